"""Importing NASA FIRMS CSV files: the real 2022 archive files, the NRT format, confidence
classes, and every kind of bad file (refused whole, with a per-row report, nothing written)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kotacerdas.accounts.models import Role
from kotacerdas.core.errors import PermissionDenied
from kotacerdas.hotspots import firms, services
from kotacerdas.hotspots.models import (
    Confidence,
    FileFormat,
    FireEvent,
    Hotspot,
    ImportOutcome,
    ImportRun,
    ImportSource,
)
from kotacerdas.hotspots.tests.conftest import (
    ARCHIVE_HEADER,
    KALIMANTAN,
    KOTIM,
    NRT_HEADER,
    UJUNG_PANDARAN,
    import_bytes,
    nrt_file,
    nrt_row,
)

pytestmark = pytest.mark.django_db

# Inside Desa Ujung Pandaran (where the 2022 file has hotspots).
UP = (-3.1600, 112.9553)
JAKARTA = (-6.2000, 106.8166)
# A valid archive row inside Kotim, to build bad files around.
GOOD_ARCHIVE_ROW = "-3.162378,112.95565,330.10,0.39,0.44,2022-08-20,0606,N,VIIRS,n,1,291.2,4.5,D,0"


def archive_file(*rows: str, header: str = ARCHIVE_HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def counts() -> tuple[int, int]:
    return Hotspot.objects.count(), FireEvent.objects.count()


def assert_refused(run: ImportRun, code: str, before: tuple[int, int]) -> None:
    assert run.outcome == ImportOutcome.REFUSED, run.message
    assert run.code == code
    assert run.message
    assert run.rows_new == 0
    assert run.events_new == 0
    # Nothing written but the run itself (which keeps the report).
    assert counts() == before
    assert ImportRun.objects.filter(pk=run.pk, outcome=ImportOutcome.REFUSED).exists()


# --- The real files -----------------------------------------------------------------------------
def test_the_kalimantan_file_keeps_only_kotim(kalimantan_2022: ImportRun) -> None:
    run = kalimantan_2022
    assert run.outcome == ImportOutcome.DONE
    assert run.file_format == FileFormat.ARCHIVE
    assert run.rows_total == 12955
    assert run.rows_new + run.rows_outside + run.rows_duplicate == run.rows_total
    assert run.rows_new == 61
    assert run.rows_new == Hotspot.objects.count()
    assert run.rows_outside > 12000
    hotspots = list(Hotspot.objects.all())
    assert hotspots
    for h in hotspots:
        assert h.desa_code.startswith("62.02."), h.desa_code
        assert h.kecamatan_code == h.desa_code.rsplit(".", 1)[0]
        assert h.desa_name
        assert h.kecamatan_name
        assert h.event_id is not None
        assert h.import_run_id == run.pk
        assert h.version == "1"
        assert h.brightness_2 is not None  # bright_t31
    # Desa Ujung Pandaran has the most 2022 hotspots.
    up = Hotspot.objects.filter(desa_code=UJUNG_PANDARAN)
    assert up.count() == 6
    assert set(up.values_list("desa_name", flat=True)) == {"Ujung Pandaran"}
    # Events were grouped from them, each with figures that add up.
    assert run.events_new == FireEvent.objects.count() > 0
    assert sum(FireEvent.objects.values_list("hotspot_count", flat=True)) == run.rows_new
    # 2022 is history: no event was alerted.
    assert not FireEvent.objects.filter(alerted_at__isnull=False).exists()


def test_reimporting_the_same_file_adds_nothing(kalimantan_2022: ImportRun) -> None:
    before = counts()
    events = set(FireEvent.objects.values_list("ref", "hotspot_count"))
    again = import_bytes(KALIMANTAN.read_bytes(), name=KALIMANTAN.name)
    assert again.outcome == ImportOutcome.DONE
    assert again.rows_new == 0
    assert again.events_new == 0
    assert again.rows_total == 12955
    assert again.rows_duplicate == kalimantan_2022.rows_new
    assert again.rows_outside == kalimantan_2022.rows_outside
    assert counts() == before
    assert set(FireEvent.objects.values_list("ref", "hotspot_count")) == events


def test_the_kotim_file_after_the_kalimantan_file_adds_nothing(kalimantan_2022: ImportRun) -> None:
    before = counts()
    run = import_bytes(KOTIM.read_bytes(), name=KOTIM.name)
    assert run.outcome == ImportOutcome.DONE
    assert run.rows_total == 66
    assert run.rows_new == 0
    assert run.events_new == 0
    assert run.rows_duplicate == 61
    assert run.rows_new + run.rows_outside + run.rows_duplicate == run.rows_total
    assert counts() == before


def test_an_nrt_file_imports(bpbd_officer: Any) -> None:
    now = dt.datetime(2025, 8, 20, 13, 30, tzinfo=dt.UTC)
    data = nrt_file(
        [
            nrt_row(*UP, now - dt.timedelta(hours=2), confidence="h", frp=12.5),
            nrt_row(*JAKARTA, now - dt.timedelta(hours=2)),
        ]
    )
    run = import_bytes(data, actor=bpbd_officer, name="nrt.csv", now=now)
    assert run.outcome == ImportOutcome.DONE, (run.code, run.errors)
    assert run.file_format == FileFormat.NRT
    assert run.source == ImportSource.UPLOAD
    assert run.actor == bpbd_officer
    assert (run.rows_total, run.rows_new, run.rows_outside) == (2, 1, 1)
    h = Hotspot.objects.get()
    assert h.version == "2.0NRT"
    assert h.brightness == 330.5  # bright_ti4
    assert h.brightness_2 == 290.1  # bright_ti5
    assert h.fire_type is None  # NRT files have no type column
    assert h.confidence == Confidence.HIGH
    assert h.confidence_raw == "h"
    assert h.frp == 12.5
    assert h.acquired_at == dt.datetime(2025, 8, 20, 11, 30, tzinfo=dt.UTC)
    assert h.desa_code == UJUNG_PANDARAN
    assert h.kecamatan_name == "Teluk Sampit"


def test_a_file_saved_by_a_spreadsheet_imports() -> None:
    """A UTF-8 BOM, CRLF line endings, upper-case header names and a trailing blank line."""
    data = "\ufeff" + ARCHIVE_HEADER.upper() + "\r\n" + GOOD_ARCHIVE_ROW + "\r\n\r\n"
    run = import_bytes(data.encode())
    assert run.outcome == ImportOutcome.DONE, (run.code, run.message, run.errors)
    assert (run.rows_total, run.rows_new) == (1, 1)
    assert Hotspot.objects.get().daynight == "D"


def test_a_semicolon_separated_file_is_refused_clearly() -> None:
    data = ARCHIVE_HEADER.replace(",", ";") + "\n" + GOOD_ARCHIVE_ROW.replace(",", ";") + "\n"
    run = import_bytes(data.encode())
    assert_refused(run, "fires.import.columns_missing", (0, 0))
    assert "latitude" in run.message


# --- Confidence -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", Confidence.LOW),
        ("29", Confidence.LOW),
        ("29.9", Confidence.LOW),
        ("30", Confidence.NOMINAL),
        ("79", Confidence.NOMINAL),
        ("80", Confidence.HIGH),
        ("100", Confidence.HIGH),
        ("l", Confidence.LOW),
        ("n", Confidence.NOMINAL),
        ("h", Confidence.HIGH),
        ("H", Confidence.HIGH),
        ("nominal", Confidence.NOMINAL),
        ("101", None),
        ("-1", None),
        ("x", None),
        ("", None),
    ],
)
def test_confidence_classes(raw: str, expected: str | None) -> None:
    assert firms.confidence_class(raw) == expected


def test_numeric_confidence_through_an_import() -> None:
    """A MODIS-style file (numeric confidence) maps 0-29 / 30-79 / 80-100 the SiPongi way."""
    t0 = dt.datetime(2022, 9, 1, 6, 0, tzinfo=dt.UTC)
    rows = []
    for i, conf in enumerate(["0", "29", "30", "79", "80", "100"]):
        # 5 km apart along the coast of Ujung Pandaran: separate points, same desa area.
        t = t0 + dt.timedelta(minutes=i)
        rows.append(
            f"{UP[0]:.6f},{UP[1] + i * 0.0001:.6f},320.0,0.4,0.5,{t:%Y-%m-%d},{t:%H%M},Terra,MODIS,"
            f"{conf},6.1,290.0,3.0,D,0"
        )
    run = import_bytes(archive_file(*rows))
    assert run.outcome == ImportOutcome.DONE, run.errors
    got = dict(Hotspot.objects.values_list("confidence_raw", "confidence"))
    assert got == {
        "0": Confidence.LOW,
        "29": Confidence.LOW,
        "30": Confidence.NOMINAL,
        "79": Confidence.NOMINAL,
        "80": Confidence.HIGH,
        "100": Confidence.HIGH,
    }
    assert FireEvent.objects.get().max_confidence == Confidence.HIGH


def test_viirs_letters_through_an_import() -> None:
    t0 = dt.datetime(2022, 9, 1, 6, 0, tzinfo=dt.UTC)
    data = nrt_file(
        [
            nrt_row(UP[0], UP[1], t0, confidence="l"),
            nrt_row(UP[0], UP[1] + 0.001, t0, confidence="n"),
            nrt_row(UP[0], UP[1] + 0.002, t0, confidence="h"),
        ]
    )
    run = import_bytes(data)
    assert run.outcome == ImportOutcome.DONE
    assert dict(Hotspot.objects.values_list("confidence_raw", "confidence")) == {
        "l": Confidence.LOW,
        "n": Confidence.NOMINAL,
        "h": Confidence.HIGH,
    }


# --- Bad files ------------------------------------------------------------------------------------
def test_missing_columns_are_refused(kalimantan_2022: ImportRun) -> None:
    before = counts()
    header = ARCHIVE_HEADER.replace(",frp", "").replace("acq_time,", "")
    row = "-3.162378,112.95565,330.10,0.39,0.44,2022-08-20,N,VIIRS,n,1,291.2,D,0"
    run = import_bytes(archive_file(row, header=header))
    assert_refused(run, "fires.import.columns_missing", before)
    assert "acq_time" in run.message
    assert "frp" in run.message


def test_a_renamed_column_is_refused() -> None:
    before = counts()
    header = ARCHIVE_HEADER.replace("latitude", "lat")
    run = import_bytes(archive_file(GOOD_ARCHIVE_ROW, header=header))
    assert_refused(run, "fires.import.columns_missing", before)
    assert "latitude" in run.message


def test_wrong_types_are_refused_with_a_per_row_report(kalimantan_2022: ImportRun) -> None:
    """What is refused: a number column that is not a number (frp "abc", brightness ""), a
    date that is not YYYY-MM-DD, a time that is not HHMM in 0000-2359, a confidence that is
    neither l/n/h nor 0-100, a type outside 0-3, daynight other than D/N. One bad row refuses
    the whole file; every problem is reported by row (file line) and column."""
    before = counts()
    good = GOOD_ARCHIVE_ROW.split(",")

    def row(**changes: str) -> str:
        cols = ARCHIVE_HEADER.split(",")
        values = list(good)
        for name, value in changes.items():
            values[cols.index(name)] = value
        return ",".join(values)

    data = archive_file(
        row(),  # line 2: fine
        row(frp="abc"),  # line 3
        row(acq_date="2022/01/01"),  # line 4
        row(acq_time="25:00"),  # line 5
        row(acq_time="2500"),  # line 6
        row(acq_time="0660"),  # line 7
        row(confidence="maybe"),  # line 8
        row(brightness=""),  # line 9
        row(type="7"),  # line 10
        row(daynight="X"),  # line 11
        row(longitude="east"),  # line 12
    )
    run = import_bytes(data, name="bad-types.csv")
    assert_refused(run, "fires.import.rows_invalid", before)
    assert run.rows_total == 11
    assert run.error_count == 10
    assert "10 row(s)" in run.message
    report = {(e["row"], e["column"]) for e in run.errors}
    assert report == {
        (3, "frp"),
        (4, "acq_date"),
        (5, "acq_time"),
        (6, "acq_time"),
        (7, "acq_time"),
        (8, "confidence"),
        (9, "brightness"),
        (10, "type"),
        (11, "daynight"),
        (12, "longitude"),
    }
    by_row = {e["row"]: e["message"] for e in run.errors}
    assert "abc" in by_row[3]
    assert "2022/01/01" in by_row[4]
    assert "25:00" in by_row[5]


def test_coordinates_out_of_range_are_refused() -> None:
    before = counts()
    lat95 = GOOD_ARCHIVE_ROW.replace("-3.162378", "95")
    lng200 = GOOD_ARCHIVE_ROW.replace("112.95565", "200.5")
    nan = GOOD_ARCHIVE_ROW.replace("-3.162378", "nan")
    run = import_bytes(archive_file(GOOD_ARCHIVE_ROW, lat95, lng200, nan))
    assert_refused(run, "fires.import.rows_invalid", before)
    assert [(e["row"], e["column"]) for e in run.errors] == [
        (3, "latitude"),
        (4, "longitude"),
        (5, "latitude"),
    ]
    assert "-90" in run.errors[0]["message"]


def test_a_row_with_too_few_values_is_refused() -> None:
    before = counts()
    run = import_bytes(archive_file(GOOD_ARCHIVE_ROW, "-3.16,112.95,330"))
    assert_refused(run, "fires.import.rows_invalid", before)
    assert run.errors == [
        {"row": 3, "column": "", "message": "The row has 3 values; the header has 15."}
    ]


def test_rows_outside_kotim_are_counted_not_refused() -> None:
    t = dt.datetime(2022, 9, 1, 6, 0, tzinfo=dt.UTC)
    run = import_bytes(nrt_file([nrt_row(*JAKARTA, t), nrt_row(0.5, 110.0, t), nrt_row(*UP, t)]))
    assert run.outcome == ImportOutcome.DONE
    assert (run.rows_total, run.rows_outside, run.rows_new, run.rows_duplicate) == (3, 2, 1, 0)
    assert Hotspot.objects.get().desa_code == UJUNG_PANDARAN


def test_only_outside_rows_import_nothing() -> None:
    t = dt.datetime(2022, 9, 1, 6, 0, tzinfo=dt.UTC)
    run = import_bytes(nrt_file([nrt_row(*JAKARTA, t)]))
    assert run.outcome == ImportOutcome.DONE
    assert (run.rows_total, run.rows_outside, run.rows_new) == (1, 1, 0)
    assert counts() == (0, 0)


def test_the_same_file_twice_and_duplicates_within_a_file() -> None:
    t = dt.datetime(2022, 9, 1, 6, 0, tzinfo=dt.UTC)
    data = nrt_file([nrt_row(*UP, t), nrt_row(*UP, t)])
    first = import_bytes(data)
    assert (first.rows_total, first.rows_new, first.rows_duplicate) == (2, 1, 1)
    before = counts()
    second = import_bytes(data)
    assert second.outcome == ImportOutcome.DONE
    assert (second.rows_total, second.rows_new, second.rows_duplicate) == (2, 0, 2)
    assert second.events_new == 0
    assert counts() == before == (1, 1)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "fires.import.empty"),
        (b"\n\n  \n", "fires.import.empty"),
        ((ARCHIVE_HEADER + "\n").encode(), "fires.import.empty"),
        ((NRT_HEADER + "\n\n").encode(), "fires.import.empty"),
    ],
    ids=["zero-bytes", "blank-lines", "archive-header-only", "nrt-header-only"],
)
def test_empty_files_are_refused(data: bytes, code: str) -> None:
    run = import_bytes(data)
    assert_refused(run, code, (0, 0))
    assert "empty" in run.message.lower() or "no hotspots" in run.message.lower()


class CountingUpload(io.BytesIO):
    """An upload that records whether it was read."""

    reads = 0

    def read(self, *args: Any) -> bytes:
        self.reads += 1
        return super().read(*args)


def test_a_50_mb_file_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    row = (GOOD_ARCHIVE_ROW + "\n").encode()
    data = (ARCHIVE_HEADER + "\n").encode() + row * (50 * 1024 * 1024 // len(row) + 1)
    assert len(data) > 50 * 1024 * 1024
    upload = CountingUpload(data)
    parsed: list[str] = []
    monkeypatch.setattr(firms, "parse", lambda text: parsed.append(text))
    run = services.hotspots_import(
        actor=None, source=ImportSource.COMMAND, upload=upload, filename="big.csv"
    )
    assert_refused(run, "fires.import.too_large", (0, 0))
    assert "50 MB" in run.message
    assert "25 MB" in run.message
    assert run.size_bytes == len(data)
    assert upload.reads == 0
    assert parsed == []


def test_too_large_bytes_from_the_api_path_are_refused(settings: Any) -> None:
    settings.FIRES_IMPORT_MAX_BYTES = 1000
    data = archive_file(*([GOOD_ARCHIVE_ROW] * 20))
    run = services.hotspots_import(actor=None, source=ImportSource.FIRMS_API, data=data)
    assert_refused(run, "fires.import.too_large", (0, 0))


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 40,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100,
        b"PK\x03\x04" + bytes(range(256)),
        "latitude,longitude\n".encode("utf-16"),
        b"\xff\xfe\xfa not utf-8 \xc3\x28",
    ],
    ids=["random", "png", "zip", "utf16", "bad-utf8"],
)
def test_a_binary_file_is_refused(data: bytes) -> None:
    run = import_bytes(data, name="photo.csv")
    assert_refused(run, "fires.import.not_csv", (0, 0))
    assert "CSV" in run.message


def test_nothing_is_half_imported(kalimantan_2022: ImportRun) -> None:
    """999 good rows inside Kotim and one bad row: nothing of the 999 is kept."""
    before = counts()
    t0 = dt.datetime(2024, 9, 1, 6, 0, tzinfo=dt.UTC)
    rows = [nrt_row(UP[0], UP[1] + i * 0.00002, t0 + dt.timedelta(minutes=i)) for i in range(999)]
    rows.append(nrt_row(*UP, t0, frp=-1))
    run = import_bytes(nrt_file(rows))
    assert_refused(run, "fires.import.rows_invalid", before)
    assert run.errors == [
        {"row": 1001, "column": "frp", "message": "Fire radiative power cannot be negative."}
    ]


def test_the_report_is_capped_but_the_count_is_not() -> None:
    bad = GOOD_ARCHIVE_ROW.replace(",4.5,", ",abc,")
    run = import_bytes(archive_file(*([bad] * 500)))
    assert run.outcome == ImportOutcome.REFUSED
    assert run.error_count == 500
    assert len(run.errors) == firms.MAX_REPORTED_ERRORS
    assert run.errors[0]["row"] == 2


# --- The command ---------------------------------------------------------------------------------
def test_the_command_imports_and_reports(tmp_path: Any) -> None:
    path = tmp_path / "kotim.csv"
    path.write_bytes(KOTIM.read_bytes())
    out = io.StringIO()
    call_command("import_hotspots", str(path), stdout=out)
    assert "kotim.csv: 66 rows, 61 new" in out.getvalue()
    run = ImportRun.objects.get()
    assert run.source == ImportSource.COMMAND
    assert run.actor is None
    assert Hotspot.objects.count() == 61


def test_the_command_refuses_a_bad_file_with_its_row_report(tmp_path: Any) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(archive_file(GOOD_ARCHIVE_ROW, GOOD_ARCHIVE_ROW.replace("-3.162378", "95")))
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_hotspots", str(path), stderr=err)
    assert caught.value.returncode != 0
    text = err.getvalue()
    assert "bad.csv: refused (fires.import.rows_invalid)" in text
    assert "row 3 latitude: A latitude lies between -90 and 90." in text
    assert counts() == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_as_a_process(tmp_path: Any) -> None:
    """The real `manage.py import_hotspots` on a bad file: exit status 1, report on stderr."""
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    from tests.conftest import REPO, child_env, database_url

    path = tmp_path / "bad.csv"
    path.write_bytes(archive_file(GOOD_ARCHIVE_ROW.replace(",0606,", ",9999,")))
    env = child_env(
        DATABASE_URL=database_url(connection.settings_dict),
        SECRET_KEY=settings.SECRET_KEY,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "import_hotspots", str(path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "refused (fires.import.rows_invalid)" in result.stderr
    assert "row 2 acq_time" in result.stderr
    assert "1 file(s) refused" in result.stderr
    assert Hotspot.objects.count() == 0


# --- Who may import ------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["pupr_officer", "desa_operator", "kecamatan_operator", "desk"])
def test_import_by_an_unauthorised_person_is_denied(
    who: str, request: pytest.FixtureRequest
) -> None:
    actor = request.getfixturevalue(who)
    data = nrt_file([nrt_row(*UP, dt.datetime(2022, 9, 1, 6, 0, tzinfo=dt.UTC))])
    with pytest.raises(PermissionDenied):
        import_bytes(data, actor=actor)
    assert counts() == (0, 0)
    assert ImportRun.objects.count() == 0


def test_import_by_a_citizen_or_anonymous_is_denied(citizen: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    from kotacerdas.core.errors import AuthenticationRequired

    data = nrt_file([nrt_row(*UP, dt.datetime(2022, 9, 1, 6, 0, tzinfo=dt.UTC))])
    with pytest.raises(PermissionDenied):
        import_bytes(data, actor=citizen)
    with pytest.raises(AuthenticationRequired):
        import_bytes(data, actor=AnonymousUser())
    assert ImportRun.objects.count() == 0


def test_an_unverified_bpbd_officer_is_denied(
    agencies: dict[str, Any], make_staff: Callable[..., Any]
) -> None:
    """Staff permissions need a TOTP-verified session."""
    officer = make_staff(Role.PETUGAS_OPD, agency=agencies["bpbd"])
    data = nrt_file([nrt_row(*UP, dt.datetime(2022, 9, 1, 6, 0, tzinfo=dt.UTC))])
    with pytest.raises(PermissionDenied):
        import_bytes(data, actor=officer)


@pytest.mark.parametrize("who", ["bpbd_officer", "bpbd_head", "fires_admin"])
def test_import_by_fire_staff_is_allowed(who: str, request: pytest.FixtureRequest) -> None:
    actor = request.getfixturevalue(who)
    data = nrt_file([nrt_row(*UP, dt.datetime(2022, 9, 1, 6, 0, tzinfo=dt.UTC))])
    run = import_bytes(data, actor=actor)
    assert run.outcome == ImportOutcome.DONE
    assert run.actor == actor
    assert run.rows_new == 1


def test_a_detection_from_the_future_is_refused(bpbd_officer: Any) -> None:
    """A row dated after now (+1 h of slack) is a broken file or clock: it would alert as fresh."""
    now = dt.datetime(2025, 8, 20, 13, 30, tzinfo=dt.UTC)
    before = counts()
    data = nrt_file(
        [
            nrt_row(*UP, now - dt.timedelta(hours=2)),
            nrt_row(*UP, now + dt.timedelta(minutes=50)),  # within the slack: accepted
            nrt_row(*UP, now + dt.timedelta(days=3)),
        ]
    )
    run = import_bytes(data, actor=bpbd_officer, name="future.csv", now=now)
    assert_refused(run, "fires.import.rows_invalid", before)
    assert [(e["row"], e["column"]) for e in run.errors] == [(4, "acq_date")]
    assert "in the future" in str(run.errors[0]["message"])
