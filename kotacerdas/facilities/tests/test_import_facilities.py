from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kotacerdas.core.models import AuditEvent
from kotacerdas.facilities.models import Facility

pytestmark = pytest.mark.django_db


def test_session_import_loaded_both_lists() -> None:
    assert Facility.objects.filter(kind="school").count() == 524
    assert Facility.objects.filter(kind="health").count() == 20
    assert Facility.objects.filter(kind="health", subtype="puskesmas").count() == 19
    assert Facility.objects.filter(lat__isnull=True).count() == 7


def test_school_row() -> None:
    school = Facility.objects.get(kind="school", code="30201317")
    assert (
        school.name,
        school.subtype,
        school.ownership,
        school.kecamatan_code,
        school.region_code,
    ) == ("SD NEGERI 1 CAMBA", "SD", "negeri", "62.02.01", "62.02.01.2007")
    assert (school.lat, school.lng) == (-2.3593, 112.877)
    assert school.attributes == {
        "npsn": "30201317",
        "kecamatan_name": "Kota Besi",
        "kemdikbud_kec_code": "140411",
        "pip_kecamatan_code": "62.02.01",
        "pip_desa_code": "62.02.01.2007",
        "coord_matches_kecamatan": True,
        "dapodik_id": "80B91D35-30F5-E011-A353-B11B3F247E54",
    }
    assert school.source.startswith("Kemdikbud school reference data")


def test_hospital_without_a_code_gets_one_from_its_name() -> None:
    rsud = Facility.objects.get(kind="health", subtype="rumah_sakit")
    assert (rsud.code, rsud.name, rsud.region_code, rsud.phone) == (
        "rsud-dr-murjani-sampit",
        "RSUD dr. Murjani Sampit",
        "62.02.06.1001",
        "(0531) 21010",
    )
    assert rsud.attributes["code_derived_from_name"] is True
    puskesmas = Facility.objects.get(kind="health", code="P6202110201")
    assert puskesmas.attributes["staff"]["perawat"] == 22
    assert puskesmas.attributes["staff_year"] == 2019


def test_region_falls_back_to_the_kecamatan_without_a_point() -> None:
    for school in Facility.objects.filter(kind="school", lat__isnull=True):
        assert school.region_code == school.kecamatan_code
    outside = Facility.objects.filter(
        kind="school", lat__isnull=False, attributes__pip_desa_code=""
    )
    assert outside.exists()
    assert all(f.region_code == f.kecamatan_code for f in outside)


def test_second_import_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    events = AuditEvent.objects.count()
    call_command("import_facilities", "data/facilities")
    out = capsys.readouterr().out
    assert (
        "Facilities: 544 rows (20 health, 524 school), 0 skipped, 7 without a location. 0 changed"
        in out
    )
    assert "schools.csv row 53: no coordinates (kept without a location)." in out
    assert AuditEvent.objects.count() == events


def test_bad_rows_are_skipped_and_reported(
    facility_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = facility_dir / "schools.csv"
    lines = path.read_text().splitlines()
    lines[1] = "," + lines[1].split(",", 1)[1]  # row 2: no NPSN
    lines[2] = lines[2].replace("62.02.01,", "62.02.99,", 1)  # row 3: unknown kecamatan
    lines[3] = lines[3].replace(lines[3].split(",")[1], "SD RENAMED", 1)  # row 4: a real change
    path.write_text("\n".join(lines) + "\n")
    call_command("import_facilities", str(facility_dir))
    out = capsys.readouterr().out
    assert "schools.csv row 2: no code (skipped)." in out
    assert "schools.csv row 3: kecamatan 62.02.99 is not in the region tree (skipped)." in out
    assert "2 skipped" in out
    assert "1 changed (0 created, 1 updated)" in out
    assert Facility.objects.filter(name="SD RENAMED").count() == 1
    event = AuditEvent.objects.filter(action="kotacerdas.facilities.facility.imported").latest("id")
    assert (event.after["updated"], event.after["skipped"]) == (1, 2)


def test_strict_refuses_skipped_rows_and_writes_nothing(facility_dir: Path) -> None:
    path = facility_dir / "schools.csv"
    lines = path.read_text().splitlines()
    lines[1] = "," + lines[1].split(",", 1)[1]
    lines[3] = lines[3].replace(lines[3].split(",")[1], "SD RENAMED", 1)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError, match=r"schools.csv row 2: no code \(skipped\)"):
        call_command("import_facilities", str(facility_dir), "--strict")
    assert not Facility.objects.filter(name="SD RENAMED").exists()


def test_missing_column_or_file_stops_everything(facility_dir: Path) -> None:
    path = facility_dir / "health_facilities.csv"
    text = path.read_text().replace("facility_code,", "kode,", 1)
    path.write_text(text)
    with pytest.raises(
        CommandError, match=r"health_facilities.csv: missing columns: facility_code."
    ):
        call_command("import_facilities", str(facility_dir))
    (facility_dir / "schools.csv").unlink()
    with pytest.raises(CommandError, match=r"schools.csv: file not found."):
        call_command("import_facilities", str(facility_dir))


def test_bad_coordinates_are_kept_without_a_location(
    facility_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = facility_dir / "schools.csv"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace("-2.3593,112.877", "-2.3593,abc")
    path.write_text("\n".join(lines) + "\n")
    call_command("import_facilities", str(facility_dir))
    assert (
        "schools.csv row 2: coordinates '-2.3593', 'abc' are not numbers (kept without a location)."
        in capsys.readouterr().out
    )
    school = Facility.objects.get(kind="school", code="30201317")
    assert (school.lat, school.lng) == (None, None)
