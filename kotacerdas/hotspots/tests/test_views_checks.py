"""Ground checks from the phone (/kantor/karhutla/cek/): the list of open checks, the answer with
a real photo, the photo served only to who may see the check, bad input, the managers' view and
cancellation, and the query budgets.

The data is the real Kalimantan 2022 file; the check is on an event in Desa Ujung Pandaran
(Teluk Sampit), assigned to the desa by a BPBD officer."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from kotacerdas.core.models import AuditEvent
from kotacerdas.hotspots import services
from kotacerdas.hotspots.models import (
    CheckResult,
    CheckStatus,
    EventStatus,
    FireEvent,
    GroundCheck,
)

from .conftest import UJUNG_PANDARAN

pytestmark = pytest.mark.django_db

BASE = "/kantor/karhutla"
# A phone in the field: what the browser of a cheap Android sends.
PHONE = {
    "HTTP_USER_AGENT": (
        "Mozilla/5.0 (Linux; Android 11; SM-A125F) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Mobile Safari/537.36"
    ),
    "HTTP_SEC_CH_UA_MOBILE": "?1",
    "HTTP_VIEWPORT_WIDTH": "360",
}


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def login(staff_client: Callable[[Any], Client]) -> Callable[[Any], Client]:
    def make(user: Any) -> Client:
        client = staff_client(user)
        client.cookies["django_language"] = "en"
        return client

    return make


def html_of(response: Any) -> str:
    return str(response.content.decode())


def jpeg(
    width: int = 1200, height: int = 900, colour: tuple[int, int, int] = (200, 80, 20)
) -> bytes:
    """A real JPEG, as a phone camera makes one (smaller)."""
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), colour)
    for x in range(0, width, 40):  # some detail, so the encoder has work to do
        image.paste((30, 30, 30), (x, 0, x + 10, height))
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def photo_upload(name: str = "api.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg() if data is None else data, content_type="image/jpeg")


@pytest.fixture
def event(kalimantan_2022: Any) -> FireEvent:
    found = (
        FireEvent.objects.filter(
            desa_code=UJUNG_PANDARAN, merged_into__isnull=True, status=EventStatus.NEW
        )
        .order_by("first_detected_at", "pk")
        .first()
    )
    assert found is not None
    return found


@pytest.fixture
def check(event: FireEvent, bpbd_officer: Any) -> GroundCheck:
    return services.check_assign(
        actor=bpbd_officer,
        ref=event.ref,
        desa_code=UJUNG_PANDARAN,
        instructions="Cek dari dermaga, bawa kamera.",
    )


def answer(client: Client, check: GroundCheck, **data: Any) -> Any:
    payload: dict[str, Any] = {"result": CheckResult.FIRE, "note": "Api di lahan gambut."}
    payload.update(data)
    payload = {k: v for k, v in payload.items() if v is not None}
    return client.post(f"{BASE}/cek/{check.pk}/", payload, **PHONE)


# --- The list ------------------------------------------------------------------------------------
def test_desa_operator_sees_the_open_check_as_a_card(
    login: Callable[[Any], Client],
    desa_operator: Any,
    bpbd_officer: Any,
    check: GroundCheck,
    event: FireEvent,
    django_assert_max_num_queries: Any,
) -> None:
    client = login(desa_operator)
    # Session, user, TOTP device, memberships, open checks, answered checks, notifications.
    with django_assert_max_num_queries(7):
        response = client.get(f"{BASE}/cek/", **PHONE)
    assert response.status_code == 200
    html = html_of(response)
    card = html[html.index(f'id="check-{check.pk}"') :]
    card = card[: card.index("</article>")]
    assert event.ref in card
    assert event.desa_name in card
    assert event.kecamatan_name in card
    assert "Cek dari dermaga, bawa kamera." in card
    assert bpbd_officer.full_name in card
    first = timezone.localtime(event.first_detected_at)
    assert f"{first:%-d %b %Y %H:%M} WIB" in card
    assert f"{event.hotspot_count}</dd>" in card
    point = f"{event.lat:.6f},{event.lng:.6f}"
    assert f'href="geo:{point}?q={point}({event.ref})"' in card
    assert f"https://www.openstreetmap.org/?mlat={event.lat:.6f}&amp;mlon={event.lng:.6f}" in card
    assert f'href="{BASE}/cek/{check.pk}/"' in card
    assert 'name="viewport" content="width=device-width' in html
    assert "Recently answered" not in html


def test_list_queries_do_not_grow_with_checks(
    login: Callable[[Any], Client],
    desa_operator: Any,
    bpbd_officer: Any,
    kalimantan_2022: Any,
    django_assert_max_num_queries: Any,
) -> None:
    events = list(
        FireEvent.objects.filter(merged_into__isnull=True, status=EventStatus.NEW).order_by("pk")[
            :6
        ]
    )
    checks = [
        services.check_assign(actor=bpbd_officer, ref=e.ref, desa_code=UJUNG_PANDARAN)
        for e in events
    ]
    client = login(desa_operator)
    for c in checks[:3]:
        assert answer(client, c, photo=photo_upload()).status_code == 302
    with django_assert_max_num_queries(7):
        html = html_of(client.get(f"{BASE}/cek/"))
    assert html.count('class="card fires-check-card"') == 3
    assert html.count('data-check-status="selesai"') == 3
    assert html.count("fires-done-list") == 1


def test_list_scoping(
    login: Callable[[Any], Client],
    other_desa_operator: Any,
    bpbd_officer: Any,
    kecamatan_operator: Any,
    pupr_officer: Any,
    fires_admin: Any,
    check: GroundCheck,
    event: FireEvent,
) -> None:
    other = html_of(login(other_desa_operator).get(f"{BASE}/cek/"))
    assert event.ref not in other
    assert "No ground check is waiting for you." in other
    # BPBD's officers may go out themselves; the kecamatan's operators cover its desa.
    assert f'id="check-{check.pk}"' in html_of(login(bpbd_officer).get(f"{BASE}/cek/"))
    assert f'id="check-{check.pk}"' in html_of(login(kecamatan_operator).get(f"{BASE}/cek/"))
    # An agency with nothing to do with fires, and administrators (who do not go out), see no list.
    assert login(pupr_officer).get(f"{BASE}/cek/").status_code == 403
    assert login(fires_admin).get(f"{BASE}/cek/").status_code == 403


def test_list_needs_a_verified_session(desa_operator: Any, check: GroundCheck) -> None:
    client = Client()
    client.force_login(desa_operator)  # signed in, but no TOTP step
    response = client.get(f"{BASE}/cek/")
    assert response.status_code == 302
    assert "/masuk" in response["Location"] or "login" in response["Location"].lower()


# --- Answering -----------------------------------------------------------------------------------
def test_answer_form_for_the_phone(
    login: Callable[[Any], Client],
    desa_operator: Any,
    check: GroundCheck,
    event: FireEvent,
    django_assert_max_num_queries: Any,
) -> None:
    client = login(desa_operator)
    with django_assert_max_num_queries(6):
        response = client.get(f"{BASE}/cek/{check.pk}/", **PHONE)
    assert response.status_code == 200
    html = html_of(response)
    form = html[html.index('id="answer-form"') :]
    form = form[: form.index("</form>")]
    assert 'enctype="multipart/form-data"' in html
    assert 'type="radio" name="result" value="api" required' in form
    assert 'type="radio" name="result" value="bukan_api" required' in form
    assert "<span>Fire</span>" in form
    assert "<span>No fire</span>" in form
    photo = re.search(r"<input[^>]*name=\"photo\"[^>]*>", form)
    assert photo is not None
    assert 'type="file"' in photo.group(0)
    assert 'accept="image/*"' in photo.group(0)
    assert 'capture="environment"' in photo.group(0)
    assert "required" in photo.group(0)
    assert re.search(r'<input type="hidden" name="lat"', form)
    assert re.search(r'<input type="hidden" name="lng"', form)
    assert "dist/fires-check.js" in html
    assert event.desa_name in html
    assert "Cek dari dermaga" in html
    assert f"geo:{event.lat:.6f},{event.lng:.6f}" in html


def test_desa_operator_answers_with_a_photo_from_the_phone(
    login: Callable[[Any], Client],
    desa_operator: Any,
    other_desa_operator: Any,
    bpbd_officer: Any,
    pupr_officer: Any,
    fires_admin: Any,
    check: GroundCheck,
    event: FireEvent,
    django_assert_max_num_queries: Any,
) -> None:
    client = login(desa_operator)
    response = answer(
        client, check, photo=photo_upload(), lat="-3.0661", lng="113.0102", result="api"
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/cek/"

    check.refresh_from_db()
    event.refresh_from_db()
    assert check.status == CheckStatus.DONE
    assert check.result == CheckResult.FIRE
    assert check.note == "Api di lahan gambut."
    assert (check.lat, check.lng) == (-3.0661, 113.0102)
    assert check.checked_by == desa_operator
    assert check.photo
    assert check.thumbnail
    assert event.status == EventStatus.CHECKED
    assert event.check_result == CheckResult.FIRE
    assert AuditEvent.objects.filter(
        action="kotacerdas.hotspots.check.answered", actor=desa_operator
    ).exists()

    # Back on the list: the thank-you message, no open card, the answer under "recently answered".
    listing = html_of(client.get(f"{BASE}/cek/"))
    assert f"Your ground check of {event.ref} was sent: Fire." in listing
    assert f'id="check-{check.pk}"' not in listing
    done = listing[listing.index("Recently answered") :]
    assert event.ref in done
    assert 'data-result="api"' in done

    # The photo: to the operator who took it and to BPBD, as a re-encoded private JPEG.
    for user in (desa_operator, bpbd_officer):
        viewer = login(user)
        with django_assert_max_num_queries(6):
            photo = viewer.get(f"{BASE}/cek/{check.pk}/foto/")
        assert photo.status_code == 200
        assert photo["Content-Type"] == "image/jpeg"
        assert photo["Cache-Control"] == "private, max-age=600"
        body = b"".join(photo.streaming_content)
        assert body[:3] == b"\xff\xd8\xff"
        with Image.open(io.BytesIO(body)) as stored:
            assert max(stored.size) <= 1600
        thumb = viewer.get(f"{BASE}/cek/{check.pk}/foto-kecil/")
        assert thumb.status_code == 200
        with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as small:
            assert max(small.size) <= 320
    # Nobody else: another desa's operator, an agency with nothing to do with fires.
    for user in (other_desa_operator, pupr_officer):
        outsider = login(user)
        assert outsider.get(f"{BASE}/cek/{check.pk}/foto/").status_code == 404
        assert outsider.get(f"{BASE}/cek/{check.pk}/foto-kecil/").status_code == 404
        assert outsider.get(f"{BASE}/cek/{check.pk}/").status_code == 404
    assert Client().get(f"{BASE}/cek/{check.pk}/foto/").status_code == 302

    # A manager sees the answered check read-only, with its photo.
    admin = login(fires_admin)
    with django_assert_max_num_queries(6):
        page = admin.get(f"{BASE}/cek/{check.pk}/")
    html = html_of(page)
    assert page.status_code == 200
    assert 'id="answer-form"' not in html
    assert 'data-result="api"' in html
    assert "Api di lahan gambut." in html
    assert f'src="{BASE}/cek/{check.pk}/foto-kecil/"' in html
    assert f'href="{BASE}/cek/{check.pk}/foto/"' in html
    assert admin.get(f"{BASE}/cek/{check.pk}/foto/").status_code == 200


def test_no_fire_answer_without_position(
    login: Callable[[Any], Client], desa_operator: Any, check: GroundCheck, event: FireEvent
) -> None:
    response = answer(
        login(desa_operator), check, result="bukan_api", note="", photo=photo_upload("x.png")
    )
    assert response.status_code == 302
    check.refresh_from_db()
    event.refresh_from_db()
    assert (check.result, check.lat, check.lng) == (CheckResult.NO_FIRE, None, None)
    assert (event.status, event.check_result) == (EventStatus.CHECKED, CheckResult.NO_FIRE)


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"photo": None}, 422, "Attach a photo of what you found."),
        (
            {"photo": "text"},
            422,
            "This file is not a photo. Attach a JPEG, PNG or WebP image.",
        ),
        ({"result": None, "photo": "jpeg"}, 422, "Say whether there is a fire."),
        ({"result": "maybe", "photo": "jpeg"}, 422, "Select a valid choice."),
        ({"lat": "north", "lng": "113", "photo": "jpeg"}, 422, "The position is not valid."),
        ({"note": "x" * 2001, "photo": "jpeg"}, 422, "at most 2000 characters"),
    ],
    ids=["no-photo", "text-file", "no-result", "bad-result", "bad-position", "long-note"],
)
def test_bad_answers_are_form_errors(
    login: Callable[[Any], Client],
    desa_operator: Any,
    check: GroundCheck,
    event: FireEvent,
    data: dict[str, Any],
    status: int,
    message: str,
) -> None:
    data = dict(data)
    if data.get("photo") == "text":
        data["photo"] = SimpleUploadedFile(
            "foto.jpg", b"Ini bukan foto, hanya teks.\n" * 20, content_type="image/jpeg"
        )
    elif data.get("photo") == "jpeg":
        data["photo"] = photo_upload()
    response = answer(login(desa_operator), check, **data)
    assert response.status_code == status
    html = html_of(response)
    assert message.lower() in html.lower()
    assert 'id="answer-form"' in html  # the form again, to fix and resend
    check.refresh_from_db()
    event.refresh_from_db()
    assert check.status == CheckStatus.ASSIGNED
    assert not check.photo
    assert event.status == EventStatus.NEW


def test_every_missing_part_is_said_at_once(
    login: Callable[[Any], Client], desa_operator: Any, check: GroundCheck
) -> None:
    response = answer(login(desa_operator), check, result=None, photo=None)
    assert response.status_code == 422
    html = html_of(response)
    assert "Say whether there is a fire." in html
    assert "Attach a photo of what you found." in html


def test_a_photo_too_large_is_refused(
    login: Callable[[Any], Client], desa_operator: Any, check: GroundCheck, settings: Any
) -> None:
    settings.FIRES_PHOTO_MAX_BYTES = 1024 * 1024
    big = photo_upload(data=b"\xff\xd8\xff" + b"\0" * (1024 * 1024 + 10))
    response = answer(login(desa_operator), check, photo=big)
    assert response.status_code == 422
    assert "A photo may be at most 1 MB." in html_of(response)
    check.refresh_from_db()
    assert check.status == CheckStatus.ASSIGNED


def test_answering_twice_is_a_conflict(
    login: Callable[[Any], Client],
    desa_operator: Any,
    kecamatan_operator: Any,
    check: GroundCheck,
    event: FireEvent,
) -> None:
    assert answer(login(desa_operator), check, photo=photo_upload()).status_code == 302
    # The kecamatan's operator had the form open too, and sends a different answer.
    late = answer(login(kecamatan_operator), check, result="bukan_api", photo=photo_upload())
    assert late.status_code == 409
    html = html_of(late)
    assert "This ground check was already answered or cancelled." in html
    assert 'data-error-code="fires.check.closed"' in html
    assert 'id="answer-form"' not in html
    assert 'data-result="api"' in html  # the answer that stands
    check.refresh_from_db()
    event.refresh_from_db()
    assert (check.result, check.checked_by) == (CheckResult.FIRE, desa_operator)
    assert event.check_result == CheckResult.FIRE
    # And the same person sending again gets the same answer.
    again = answer(login(desa_operator), check, photo=photo_upload())
    assert again.status_code == 409


def test_a_manager_may_look_but_not_answer(
    login: Callable[[Any], Client], fires_admin: Any, check: GroundCheck
) -> None:
    admin = login(fires_admin)
    page = html_of(admin.get(f"{BASE}/cek/{check.pk}/"))
    assert 'id="answer-form"' not in page
    assert "Waiting for the answer from the field." in page
    assert f'action="{BASE}/cek/{check.pk}/batal/"' in page
    assert answer(admin, check, photo=photo_upload()).status_code == 403
    check.refresh_from_db()
    assert check.status == CheckStatus.ASSIGNED


# --- Cancelling ----------------------------------------------------------------------------------
def test_bpbd_cancels_a_check(
    login: Callable[[Any], Client],
    bpbd_officer: Any,
    desa_operator: Any,
    check: GroundCheck,
    event: FireEvent,
    django_assert_max_num_queries: Any,
) -> None:
    # The desa's operator may answer but not cancel.
    assert (
        login(desa_operator).post(f"{BASE}/cek/{check.pk}/batal/", {"reason": "x"}).status_code
        == 403
    )
    client = login(bpbd_officer)
    with django_assert_max_num_queries(20):
        response = client.post(f"{BASE}/cek/{check.pk}/batal/", {"reason": "Jalan terputus"})
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/kejadian/{event.ref}/"
    check.refresh_from_db()
    assert (check.status, check.note) == (CheckStatus.CANCELLED, "Jalan terputus")
    assert AuditEvent.objects.filter(
        action="kotacerdas.hotspots.check.cancelled", actor=bpbd_officer
    ).exists()
    # It leaves the desa's list, and its page says it was cancelled (no form).
    operator = login(desa_operator)
    assert f'id="check-{check.pk}"' not in html_of(operator.get(f"{BASE}/cek/"))
    page = html_of(operator.get(f"{BASE}/cek/{check.pk}/"))
    assert "This ground check was cancelled." in page
    assert "Jalan terputus" in page
    assert 'id="answer-form"' not in page
    # An answer now is a conflict; cancelling again too (said on the event page).
    assert answer(operator, check, photo=photo_upload()).status_code == 409
    again = client.post(f"{BASE}/cek/{check.pk}/batal/", follow=True)
    assert "This ground check is already closed." in html_of(again)
    # GET is not a way to cancel.
    assert client.get(f"{BASE}/cek/{check.pk}/batal/").status_code == 405


def test_unknown_check_is_404(login: Callable[[Any], Client], bpbd_officer: Any) -> None:
    client = login(bpbd_officer)
    assert client.get(f"{BASE}/cek/999999/").status_code == 404
    assert client.get(f"{BASE}/cek/999999/foto/").status_code == 404
    assert client.post(f"{BASE}/cek/999999/batal/").status_code == 404


def test_an_open_check_has_no_photo_yet(
    login: Callable[[Any], Client], bpbd_officer: Any, check: GroundCheck
) -> None:
    assert login(bpbd_officer).get(f"{BASE}/cek/{check.pk}/foto/").status_code == 404
