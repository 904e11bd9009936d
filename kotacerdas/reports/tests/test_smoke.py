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
