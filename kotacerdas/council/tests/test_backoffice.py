from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertInHTML, assertRedirects

from kotacerdas.accounts.tests.factories import ALL_ROLES
from kotacerdas.core.registry import backoffice_modules
from kotacerdas.council.models import Program, ProgramTarget

from .conftest import ALLOWED_CHANGE, ALLOWED_DASHBOARD, council_events

pytestmark = pytest.mark.django_db


def _state() -> tuple[list[Any], list[Any], int]:
    return (
        list(Program.objects.order_by("pk").values()),
        list(ProgramTarget.objects.order_by("pk").values()),
        council_events().count(),
    )


def _version(html: str) -> str:
    match = re.search(r'name="expected_updated_at" value="([^"]+)"', html)
    assert match is not None
    return match[1]


def _create_payload(**over: str) -> dict[str, str]:
    return {
        "code": "spmb-online", "name": "SPMB Online", "dimension": "society",
        "owner_agency": "dinkes", "status": "planned", "description": "Penerimaan murid.",
        **over,
    }  # fmt: skip


def _requests(program: Program, year: int) -> list[tuple[str, str, dict | None]]:
    base = f"/kantor/program/{program.code}/"
    return [
        ("get", "/kantor/program/", None),
        ("get", "/kantor/program/baru/", None),
        ("post", "/kantor/program/baru/", _create_payload()),
        ("get", base, None),
        ("post", base, {**_create_payload(name="Changed"), "expected_updated_at": ""}),
        ("get", f"{base}target/?year={year}", None),
        ("get", f"{base}target/{year}/", None),
        ("post", f"{base}target/{year}/", {"indicator": "M", "unit": "u", "target": "5"}),
    ]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_backoffice_role_matrix(role, client_for, make_program, this_year):
    program = make_program("p1", year=this_year)
    client = client_for(role)
    before = _state()

    for method, url, data in _requests(program, this_year):
        response = getattr(client, method)(url, data or {})
        if role in ALLOWED_CHANGE:
            assert response.status_code in (200, 302), (url, response.status_code)
        else:
            assert response.status_code == 403, (url, response.status_code)

    if role not in ALLOWED_CHANGE:
        assert _state() == before
    else:
        assert Program.objects.filter(code="spmb-online").exists()


@pytest.mark.parametrize("who", ["anonymous", "unverified", "citizen"])
def test_backoffice_refuses_without_a_verified_staff_session(
    who, make_program, this_year, unverified_admin_client, citizen_client
):
    program = make_program("p1", year=this_year)
    client = {
        "anonymous": Client(),
        "unverified": unverified_admin_client,
        "citizen": citizen_client,
    }[who]
    before = _state()

    for method, url, data in _requests(program, this_year):
        response = getattr(client, method)(url, data or {})
        if who == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/akun/masuk/?next=/kantor/program/")
        else:
            assert response.status_code == 403
    assert _state() == before


def test_backoffice_modules_are_registered(client_for):
    seen: dict[str, list[str]] = {role: [] for role in ALL_ROLES}
    for role in ALL_ROLES:
        client = client_for(role)
        user = client.get("/kantor/program/").wsgi_request.user
        seen[role] = [m.key for m in backoffice_modules(user) if m.key.startswith("council.")]
    for role, keys in seen.items():
        expected = []
        if role in ALLOWED_DASHBOARD:
            expected.append("council.dashboard")
        if role in ALLOWED_CHANGE:
            expected.append("council.programs")
        assert keys == expected, role


def test_program_list_page(admin_client, make_program, this_year, django_assert_num_queries):
    make_program("p0", name="Alpha", year=this_year, target="1200", realisation="600")
    with django_assert_num_queries(7):
        response = admin_client.get("/kantor/program/")
    assertInHTML(
        f"""<tr id="program-p0"><td><code>p0</code></td>
          <th scope="row"><a href="/kantor/program/p0/">Alpha</a></th>
          <td>Smart Living</td><td>Dinkes</td><td><span class="tag tag-info">Running</span></td>
          <td class="num">1,200 trips</td><td class="num">600 trips</td>
          <td><a class="button button-small button-ghost" href="/kantor/program/p0/target/{this_year}/">Set {this_year}</a></td>
        </tr>""",
        response.content.decode(),
    )  # fmt: skip
    for i in range(1, 21):
        make_program(f"p{i}", year=this_year)
    with django_assert_num_queries(7):
        response = admin_client.get("/kantor/program/")
    assert len(re.findall(r'<tr id="program-', response.content.decode())) == 21


def test_create_program(admin_client, dinkes):
    response = admin_client.post("/kantor/program/baru/", _create_payload(is_quick_win="on"))

    assertRedirects(response, "/kantor/program/spmb-online/", fetch_redirect_response=False)
    program = Program.objects.get(code="spmb-online")
    assert (program.name, program.dimension, program.owner_agency_id, program.is_quick_win) == (
        "SPMB Online", "society", dinkes.pk, True,
    )  # fmt: skip
    assert council_events().get().action == "kotacerdas.council.program.created"
    page = admin_client.get("/kantor/program/spmb-online/")
    assertContains(page, "Program SPMB Online created.")
    assertContains(page, "No yearly targets yet.")


def test_create_program_shows_field_errors(admin_client, make_program):
    make_program("taken")
    response = admin_client.post(
        "/kantor/program/baru/", _create_payload(code="Not a slug!", name="", owner_agency="nope")
    )
    assert response.status_code == 422
    html = response.content.decode()
    assertInHTML(
        '<ul class="errorlist" id="id_name_error"><li>This field is required.</li></ul>',
        html,
    )
    assertContains(
        response,
        "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.",
        status_code=422,
    )
    assertContains(
        response,
        "Select a valid choice. That choice is not one of the available choices.",
        status_code=422,
    )

    response = admin_client.post("/kantor/program/baru/", _create_payload(code="taken"))
    assert response.status_code == 422
    assertContains(response, "Masterplan program with this Code already exists.", status_code=422)
    assert Program.objects.count() == 1


def test_edit_program_and_conflict(admin_client, make_program):
    program = make_program("p1")
    page = admin_client.get("/kantor/program/p1/")
    version = _version(page.content.decode())
    payload = {**_create_payload(name="Renamed", status="done"), "expected_updated_at": version}
    del payload["code"]

    response = admin_client.post("/kantor/program/p1/", payload)
    assertRedirects(response, "/kantor/program/p1/", fetch_redirect_response=False)
    program.refresh_from_db()
    assert (program.name, program.status, program.dimension) == ("Renamed", "done", "society")

    # A second editor still holding the old version.
    response = admin_client.post("/kantor/program/p1/", {**payload, "name": "Late"})
    assert response.status_code == 409
    assertContains(
        response, "This was changed by someone else; reload and try again.", status_code=409
    )
    assert Program.objects.get().name == "Renamed"
    assert council_events().count() == 1

    response = admin_client.post(
        "/kantor/program/p1/", {**payload, "expected_updated_at": "garbage"}
    )
    assert response.status_code == 422
    assertContains(response, "The form is out of date; reload the page.", status_code=422)


def test_unknown_program_is_404_for_admin(admin_client, client_for):
    assert admin_client.get("/kantor/program/nope/").status_code == 404
    assert admin_client.get("/kantor/program/nope/target/2026/").status_code == 404
    assert admin_client.get("/kantor/program/nope/target/?year=2026").status_code == 404
    # Not allowed at all: 403 whatever the code.
    assert client_for("dewan").get("/kantor/program/nope/").status_code == 403


def test_set_target_through_the_form(admin_client, make_program, this_year):
    program = make_program("p1", year=this_year - 1)

    response = admin_client.get(f"/kantor/program/p1/target/?year={this_year}")
    assertRedirects(
        response, f"/kantor/program/p1/target/{this_year}/", fetch_redirect_response=False
    )
    page = admin_client.get(f"/kantor/program/p1/target/{this_year}/")
    # A new year starts from the latest year's measure and unit.
    assertInHTML(
        '<input type="text" name="indicator" value="Trips served" maxlength="200" required id="id_indicator">',
        page.content.decode(),
    )
    assertContains(page, "This year has no target yet.")

    response = admin_client.post(
        f"/kantor/program/p1/target/{this_year}/",
        {"indicator": "Trips served", "unit": "trips", "target": "1500", "realisation": "",
         "expected_updated_at": ""},
    )  # fmt: skip
    assertRedirects(response, "/kantor/program/p1/", fetch_redirect_response=False)
    row = ProgramTarget.objects.get(program=program, year=this_year)
    assert (row.target, row.realisation) == (Decimal("1500.00"), None)
    assertContains(admin_client.get("/kantor/program/p1/"), f"Target for {this_year} saved.")


def test_set_target_errors(admin_client, make_program, this_year):
    make_program("p1", year=this_year, target="100", realisation="10")
    url = f"/kantor/program/p1/target/{this_year}/"
    page = admin_client.get(url)
    version = _version(page.content.decode())

    response = admin_client.post(
        url, {"indicator": "M", "unit": "u", "target": "-5", "expected_updated_at": version}
    )
    assert response.status_code == 422
    assertContains(response, "Ensure this value is greater than or equal to 0.", status_code=422)

    ok = {
        "indicator": "M",
        "unit": "u",
        "target": "100",
        "realisation": "20",
        "expected_updated_at": version,
    }
    assert admin_client.post(url, ok).status_code == 302
    response = admin_client.post(url, {**ok, "realisation": "30"})
    assert response.status_code == 409
    assertContains(
        response, "This was changed by someone else; reload and try again.", status_code=409
    )
    assert ProgramTarget.objects.get().realisation == Decimal("20.00")

    assert admin_client.get("/kantor/program/p1/target/1999/").status_code == 404
    response = admin_client.get("/kantor/program/p1/target/?year=abc")
    assertRedirects(response, "/kantor/program/p1/", fetch_redirect_response=False)
    assertContains(admin_client.get("/kantor/program/p1/"), "Enter a year between 2000 and 2100.")
