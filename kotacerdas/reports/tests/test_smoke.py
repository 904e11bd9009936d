"""The whole loop through the services, once (the detailed tests are beside it)."""

from __future__ import annotations

from kotacerdas.reports import selectors, services
from kotacerdas.reports.models import Status

from .conftest import SAMPIT_DESA, jpeg_bytes, upload, verified


def test_file_verify_forward_complete_confirm(file_report, pupr_officer, dishub_officer):
    report = file_report(photos=[upload(jpeg_bytes())])
    assert report.desa_code == SAMPIT_DESA
    assert report.agency.code == "pupr"
    assert report.photos.count() == 1
    officer = verified(pupr_officer)
    report = services.report_verify(actor=officer, ref=report.ref, version=report.version)
    report = services.report_forward(
        actor=officer,
        ref=report.ref,
        version=report.version,
        agency_code="dishub",
        note="Ke Dishub",
    )
    other = verified(dishub_officer)
    report = services.report_progress(
        actor=other, ref=report.ref, version=report.version, message="Dijadwalkan besok"
    )
    report = services.report_complete(
        actor=other, ref=report.ref, version=report.version, message="Sudah diperbaiki semua."
    )
    report = services.report_confirm(actor=report.reporter, ref=report.ref)
    assert report.status == Status.CLOSED
    access = selectors.report_access(actor=None, ref=report.ref)
    assert [e.to_status for e in selectors.timeline(access=access) if e.to_status] == [
        Status.NEW,
        Status.VERIFIED,
        Status.FORWARDED,
        Status.IN_PROGRESS,
        Status.COMPLETED,
        Status.CLOSED,
    ]


def test_policy_strings_are_granted_by_accounts():
    from kotacerdas.accounts import policy as accounts_policy
    from kotacerdas.reports import policy

    granted = accounts_policy.ALL_PERMISSIONS
    for name in ("VIEW", "HANDLE", "VIEW_PERFORMANCE", "MANAGE_CATALOGUE", "MANAGE_OPEN311"):
        assert getattr(policy, name) in granted
    assert policy.RESPOND_ASPIRATION in accounts_policy.ROLE_PERMISSIONS["dewan"]
    assert policy.HANDLE not in accounts_policy.ROLE_PERMISSIONS["dispatcher"]


def test_demo_reports_are_consistent(catalogue, db):
    from kotacerdas.accounts.tests.factories import CitizenFactory
    from kotacerdas.reports import demo
    from kotacerdas.reports.models import Report, ReportEvent

    citizens = [CitizenFactory() for _ in range(3)]
    assert list(demo.generate(n=60, seed=7, reporters=citizens, batch_size=25)) == [25, 50, 60]
    reports = list(Report.objects.all())
    assert len(reports) == 60
    assert all(r.is_demo for r in reports)
    for report in reports:
        last = ReportEvent.objects.filter(report=report).order_by("created_at", "pk").last()
        assert last is not None
        # The timeline ends in the report's status (ratings aside, which change no status).
        statuses = [e.to_status for e in report.events.order_by("created_at", "pk") if e.to_status]
        assert statuses[-1] == report.status
        assert report.events.first().kind == "created"
        if report.status in ("selesai", "ditutup"):
            assert report.verified_at is not None
    # Same seed, same data.
    first = sorted((r.ref, r.desa_code, r.status) for r in reports)
    Report.objects.all().delete()
    list(demo.generate(n=60, seed=7, reporters=citizens, batch_size=25))
    assert sorted((r.ref, r.desa_code, r.status) for r in Report.objects.all()) == first
