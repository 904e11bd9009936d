"""Who sees and who handles which report: selectors.report_queue, report_access and can_handle
for every kind of actor, on categories handled by an agency, by the desa and by the kecamatan;
Diskominfo after escalation; what the public list and each timeline audience never show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kotacerdas.accounts.models import Role
from kotacerdas.accounts.tests.factories import CitizenFactory
from kotacerdas.core import sla
from kotacerdas.core.errors import NotFound
from kotacerdas.reports import selectors, services
from kotacerdas.reports.models import EventKind, Report, Status

from .conftest import SAMPIT_DESA, agency, verified

pytestmark = pytest.mark.django_db

KECAMATAN = "62.02.06"  # Mentawa Baru Ketapang, which holds SAMPIT_DESA
OTHER_DESA = "62.02.06.2006"  # Bapeang, same kecamatan
OTHER_KECAMATAN = "62.02.01"  # Kota Besi

# The three routing levels, each with a category of the real catalogue.
CATEGORIES = {
    "agency": "jalan-rusak",  # Dinas PUPR
    "desa": "layanan-desa",  # DPMD, handled by the desa's staff
    "kecamatan": "jalan-desa",  # DPMD, handled by the kecamatan's staff
}

# actor -> (role, agency code or None, region code or None). "own agency" is the agency the
# category routes to (pupr or dpmd); "other agency" is Dishub.
ACTORS: dict[str, tuple[str | None, str | None, str | None]] = {
    "petugas own agency": (Role.PETUGAS_OPD, "own", None),
    "kepala own agency": (Role.KEPALA_OPD, "own", None),
    "petugas other agency": (Role.PETUGAS_OPD, "dishub", None),
    "operator desa": (Role.OPERATOR_DESA, None, SAMPIT_DESA),
    "kepala desa": (Role.KEPALA_DESA, None, SAMPIT_DESA),
    "operator other desa": (Role.OPERATOR_DESA, None, OTHER_DESA),
    "kepala other desa": (Role.KEPALA_DESA, None, OTHER_DESA),
    "operator kecamatan": (Role.OPERATOR_KECAMATAN, None, KECAMATAN),
    "operator other kecamatan": (Role.OPERATOR_KECAMATAN, None, OTHER_KECAMATAN),
    "admin": (Role.ADMIN, None, None),
    "dewan": (Role.DEWAN, None, None),
    "dispatcher": (Role.DISPATCHER, None, None),
    "citizen": (None, None, None),
    "anonymous": (None, None, None),
}

# (sees it in the queue / as staff, may act on it) per actor and routing level.
NOTHING = (False, False)
EXPECTED: dict[str, dict[str, tuple[bool, bool]]] = {
    "petugas own agency": {"agency": (True, True), "desa": (True, True),
                           "kecamatan": (True, True)},
    "kepala own agency": {"agency": (True, True), "desa": (True, True),
                          "kecamatan": (True, True)},
    "petugas other agency": {"agency": NOTHING, "desa": NOTHING, "kecamatan": NOTHING},
    # Desa staff see everything in their desa, act only on what is routed to the desa.
    "operator desa": {"agency": (True, False), "desa": (True, True),
                      "kecamatan": (True, False)},
    "kepala desa": {"agency": (True, False), "desa": (True, True), "kecamatan": (True, False)},
    "operator other desa": {"agency": NOTHING, "desa": NOTHING, "kecamatan": NOTHING},
    "kepala other desa": {"agency": NOTHING, "desa": NOTHING, "kecamatan": NOTHING},
    # Kecamatan staff act on what is routed to the kecamatan or its desas.
    "operator kecamatan": {"agency": (True, False), "desa": (True, True),
                           "kecamatan": (True, True)},
    "operator other kecamatan": {"agency": NOTHING, "desa": NOTHING, "kecamatan": NOTHING},
    "admin": {"agency": (True, True), "desa": (True, True), "kecamatan": (True, True)},
    "dewan": {"agency": NOTHING, "desa": NOTHING, "kecamatan": NOTHING},
    "dispatcher": {"agency": NOTHING, "desa": NOTHING, "kecamatan": NOTHING},
    "citizen": {"agency": NOTHING, "desa": NOTHING, "kecamatan": NOTHING},
    "anonymous": {"agency": NOTHING, "desa": NOTHING, "kecamatan": NOTHING},
}  # fmt: skip
# Who also sees the same kind of report filed in Kota Besi: regency-wide and agency-wide
# grants, and the staff of that kecamatan.
SEES_KOTA_BESI = {"admin", "petugas own agency", "kepala own agency", "operator other kecamatan"}


@pytest.fixture
def make_actor(catalogue: None, make_staff: Callable[..., Any]) -> Callable[[str, str], Any]:
    def make(name: str, own_agency: str) -> Any:
        if name == "anonymous":
            return AnonymousUser()
        if name == "citizen":
            return CitizenFactory()
        role, agency_code, region = ACTORS[name]
        if agency_code == "own":
            agency_code = own_agency
        user = make_staff(
            role, agency=agency(agency_code) if agency_code else None, region_code=region
        )
        return verified(user)

    return make


@pytest.mark.parametrize("level", list(CATEGORIES))
@pytest.mark.parametrize("name", list(ACTORS))
def test_who_sees_and_handles(
    name: str, level: str, file_report: Callable[..., Any], make_actor: Callable[..., Any]
):
    # Confidential, so that only staff in scope (and the reporter) may open it at all.
    report = file_report(category_code=CATEGORIES[level], is_confidential=True)
    public = file_report(category_code=CATEGORIES[level])
    elsewhere = file_report(category_code=CATEGORIES[level], lat=-2.3654, lng=112.74)
    actor = make_actor(name, report.agency.code)
    sees, handles = EXPECTED[name][level]

    expected = ([report.ref, public.ref] if sees else []) + (
        [elsewhere.ref] if name in SEES_KOTA_BESI else []
    )
    assert sorted(_queue(actor)) == sorted(expected)
    assert selectors.can_handle(actor=actor, report=report) is handles

    if sees:
        access = selectors.report_access(actor=actor, ref=report.ref)
        assert (access.is_reporter, access.is_staff, access.can_handle, access.is_public) == (
            False,
            True,
            handles,
            False,
        )
        assert access.shows_reporter is True
    else:
        with pytest.raises(NotFound) as caught:
            selectors.report_access(actor=actor, ref=report.ref)
        assert caught.value.code == "reports.report.not_found"
        # A public report: everyone sees the public view, nothing more.
        access = selectors.report_access(actor=actor, ref=public.ref)
        assert (access.is_staff, access.can_handle, access.is_public) == (False, False, True)
        assert access.shows_reporter is False


def _queue(actor: Any) -> list[str]:
    return list(selectors.report_queue(actor=actor).values_list("ref", flat=True))


def test_the_reporter_sees_their_confidential_report_but_does_not_handle_it(
    file_report: Callable[..., Any],
):
    report = file_report(is_confidential=True)
    access = selectors.report_access(actor=report.reporter, ref=report.ref)
    assert (access.is_reporter, access.is_staff, access.can_handle) == (True, False, False)
    assert access.shows_reporter is False
    assert _queue(report.reporter) == []


def test_anonymous_reporter_is_never_shown(
    file_report: Callable[..., Any], pupr_officer: Any, admin_user: Any
):
    report = file_report(is_anonymous=True)
    for actor in (pupr_officer, admin_user):
        access = selectors.report_access(actor=verified(actor), ref=report.ref)
        assert access.is_staff is True
        assert access.shows_reporter is False


def test_unverified_staff_session_sees_nothing(file_report: Callable[..., Any], pupr_officer):
    report = file_report(is_confidential=True)
    assert _queue(pupr_officer) == []  # no TOTP: no staff permissions
    assert selectors.can_handle(actor=pupr_officer, report=report) is False
    with pytest.raises(NotFound):
        selectors.report_access(actor=pupr_officer, ref=report.ref)


def test_forwarding_moves_the_report_between_agencies(
    file_report: Callable[..., Any], pupr_officer: Any, dishub_officer: Any
):
    pupr, dishub = verified(pupr_officer), verified(dishub_officer)
    report = file_report()
    services.report_forward(actor=pupr, ref=report.ref, version=1, agency_code="dishub",
                            note="Ke Dishub")  # fmt: skip
    assert (_queue(pupr), _queue(dishub)) == ([], [report.ref])
    report.refresh_from_db()
    assert selectors.can_handle(actor=pupr, report=report) is False
    assert selectors.can_handle(actor=dishub, report=report) is True


def test_diskominfo_sees_a_report_only_from_escalation_level_2(
    file_report: Callable[..., Any], make_staff: Callable[..., Any], pupr_head: Any
):
    central = verified(make_staff(Role.PETUGAS_OPD, agency=agency("diskominfo")))
    own = file_report(category_code="lainnya")  # Diskominfo's own category
    report = file_report(is_confidential=True)
    assert report.due_at is not None
    Report.objects.filter(pk=own.pk).update(due_at=report.due_at + dt.timedelta(days=30))

    assert _queue(central) == [own.ref]
    services.reports_escalate(now=sla.add_working_days(report.due_at, 1))
    report.refresh_from_db()
    assert report.escalation_level == 1
    assert _queue(central) == [own.ref]
    assert selectors.can_handle(actor=central, report=report) is False
    with pytest.raises(NotFound):
        selectors.report_access(actor=central, ref=report.ref)

    services.reports_escalate(now=sla.add_working_days(report.due_at, 2))
    report.refresh_from_db()
    assert report.escalation_level == 2
    assert sorted(_queue(central)) == sorted([own.ref, report.ref])
    assert selectors.can_handle(actor=central, report=report) is True
    assert selectors.report_access(actor=central, ref=report.ref).is_staff is True


def test_public_reports_never_show_confidential_or_rejected(
    file_report: Callable[..., Any], admin_user: Any
):
    officer = verified(admin_user)
    shown = []
    for status_path in ([], ["verify"], ["verify", "progress"], ["verify", "complete"]):
        report = file_report()
        secret = file_report(is_confidential=True)
        for r in (report, secret):
            for action in status_path:
                r = _act(action, r, officer)
        shown.append(report.ref)
    rejected = file_report()
    services.report_reject(actor=officer, ref=rejected.ref, version=1,
                           reason="Bukan kewenangan kabupaten.")  # fmt: skip

    public = selectors.public_reports()
    assert sorted(public.values_list("ref", flat=True)) == sorted(shown)
    assert not public.filter(is_confidential=True).exists()
    rejected_filter = selectors.clean_filters(status=Status.REJECTED)
    assert list(selectors.public_reports(filters=rejected_filter)) == []
    with pytest.raises(NotFound):
        selectors.public_report_get(ref=rejected.ref)
    assert {s.status for s in public} == {
        Status.NEW, Status.VERIFIED, Status.IN_PROGRESS, Status.COMPLETED,
    }  # fmt: skip


def _act(action: str, report: Report, officer: Any) -> Report:
    report.refresh_from_db()
    if action == "verify":
        return services.report_verify(actor=officer, ref=report.ref, version=report.version)
    if action == "progress":
        return services.report_progress(
            actor=officer, ref=report.ref, version=report.version, message="Dijadwalkan"
        )
    return services.report_complete(
        actor=officer, ref=report.ref, version=report.version, message="Sudah diperbaiki semua."
    )


def test_timeline_audiences(file_report: Callable[..., Any], pupr_officer: Any, pupr_head: Any):
    officer = verified(pupr_officer)
    report = file_report()
    report = services.report_verify(actor=officer, ref=report.ref, version=1)
    report = services.report_ask(actor=officer, ref=report.ref, version=2, question="Di mana?")
    services.report_answer(actor=report.reporter, ref=report.ref, message="Depan pasar.")
    assert report.due_at is not None
    services.reports_escalate(now=sla.add_working_days(report.due_at, 1))  # internal

    def kinds(actor: Any) -> list[str]:
        access = selectors.report_access(actor=actor, ref=report.ref)
        return [e.kind for e in selectors.timeline(access=access)]

    everything = ["created", "status", "question", "answer", "escalated"]
    assert kinds(officer) == everything
    assert kinds(report.reporter) == ["created", "status", "question", "answer"]
    assert kinds(None) == ["created", "status"]
    assert kinds(CitizenFactory()) == ["created", "status"]
    assert kinds(verified(pupr_head)) == everything
    assert EventKind.ESCALATED.value == everything[-1]
