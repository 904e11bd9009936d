"""Reading NASA FIRMS hotspot files and the FIRMS area API.

Two CSV shapes are read, told apart by their header:
- the **archive** (standard) product, as in the yearly country files: `brightness`,
  `bright_t31`, `version` 1 (VIIRS files keep these MODIS-style names: I-4 and I-5), with a
  `type` column (0 vegetation fire, 1 volcano, 2 other static land source, 3 offshore);
- the **near-real-time** product and the area API: VIIRS `bright_ti4`/`bright_ti5`,
  `version` "2.0NRT", no `type` (MODIS NRT keeps `brightness`/`bright_t31`, "6.1NRT").

Confidence follows FIRMS' own classes: VIIRS l/n/h; a numeric (MODIS) confidence maps the way
SiPongi does: 0-29 low, 30-79 nominal, 80-100 high.

Parsing checks every row and collects every problem (row number, column, message) before
anything is written: a file with a bad row is refused whole, with its per-row report.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from .models import Confidence, FileFormat

COMMON_COLUMNS = (
    "latitude",
    "longitude",
    "acq_date",
    "acq_time",
    "satellite",
    "instrument",
    "confidence",
    "version",
    "frp",
)
BRIGHTNESS_COLUMNS = {
    FileFormat.ARCHIVE: ("brightness", "bright_t31"),
    FileFormat.NRT: ("bright_ti4", "bright_ti5"),
}
OPTIONAL_COLUMNS = ("scan", "track", "daynight", "type")
MAX_REPORTED_ERRORS = 200
_CONFIDENCE_CLASSES = {
    "l": Confidence.LOW,
    "low": Confidence.LOW,
    "n": Confidence.NOMINAL,
    "nominal": Confidence.NOMINAL,
    "h": Confidence.HIGH,
    "high": Confidence.HIGH,
}


class FileRefused(Exception):
    """The whole file cannot be read (empty, not CSV text, columns missing)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    lat: float
    lng: float
    acquired_at: dt.datetime
    satellite: str
    instrument: str
    confidence: str
    confidence_raw: str
    brightness: float
    brightness_2: float | None
    scan: float | None
    track: float | None
    frp: float
    daynight: str
    fire_type: int | None
    version: str

    @property
    def fingerprint(self) -> str:
        """The same detection from the same satellite is the same hotspot, whichever file or
        fetch brings it (position to 1e-4 degrees, about 11 m)."""
        key = (
            f"{self.satellite}|{self.instrument}|{self.acquired_at:%Y%m%d%H%M}|"
            f"{self.lat:.4f}|{self.lng:.4f}"
        )
        return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Parsed:
    file_format: str
    rows: list[Row] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
    error_count: int = 0
    total: int = 0

    def error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": line, "column": column, "message": message})


def confidence_class(raw: str) -> str | None:
    """FIRMS confidence → rendah/sedang/tinggi, or None when it is neither a class nor 0-100."""
    value = raw.strip().lower()
    if value in _CONFIDENCE_CLASSES:
        return _CONFIDENCE_CLASSES[value]
    try:
        number = float(value)
    except ValueError:
        return None
    if not 0 <= number <= 100:
        return None
    if number < 30:
        return Confidence.LOW
    if number < 80:
        return Confidence.NOMINAL
    return Confidence.HIGH


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def decode(data: bytes) -> str:
    if not data.strip():
        raise FileRefused("fires.import.empty", _("The file is empty."))
    if b"\x00" in data[:4096]:
        raise FileRefused("fires.import.not_csv", _("This is not a CSV text file."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused("fires.import.not_csv", _("This is not a CSV text file.")) from exc


def parse(text: str, *, latest: dt.datetime | None = None) -> Parsed:
    """Read a FIRMS CSV (archive or NRT). Raises FileRefused for a file that cannot be read at
    all; row problems are collected in `Parsed.errors`."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise FileRefused("fires.import.empty", _("The file is empty.")) from None
    except csv.Error as exc:
        raise FileRefused("fires.import.not_csv", _("This is not a CSV text file.")) from exc
    file_format = FileFormat.NRT if "bright_ti4" in header else FileFormat.ARCHIVE
    b1, b2 = BRIGHTNESS_COLUMNS[file_format]
    required = (*COMMON_COLUMNS, b1, b2)
    missing = [c for c in required if c not in header]
    if missing:
        raise FileRefused(
            "fires.import.columns_missing",
            _(
                "This is not a FIRMS hotspot file: the column(s) %(cols)s are missing. "
                "Expected the FIRMS CSV columns (latitude, longitude, acq_date, acq_time, "
                "satellite, instrument, confidence, version, frp and the brightness columns)."
            )
            % {"cols": ", ".join(missing)},
        )
    at = {name: header.index(name) for name in (*required, *OPTIONAL_COLUMNS) if name in header}
    parsed = Parsed(file_format=file_format)
    width = len(header)
    try:
        for line, record in enumerate(reader, start=2):
            if not record or not any(cell.strip() for cell in record):
                continue
            parsed.total += 1
            if len(record) != width:
                parsed.error(
                    line,
                    "",
                    _("The row has %(n)d values; the header has %(m)d.")
                    % {"n": len(record), "m": width},
                )
                continue
            row = _row(parsed, line, record, at, b1, b2, latest)
            if row is not None:
                parsed.rows.append(row)
    except csv.Error as exc:
        raise FileRefused("fires.import.not_csv", _("This is not a CSV text file.")) from exc
    if any(row.version.upper().endswith("NRT") for row in parsed.rows[:50]):
        parsed.file_format = FileFormat.NRT  # MODIS NRT keeps the archive's column names
    if parsed.total == 0:
        raise FileRefused("fires.import.empty", _("The file has a header but no hotspots."))
    return parsed


def _row(
    parsed: Parsed,
    line: int,
    record: list[str],
    at: dict[str, int],
    b1: str,
    b2: str,
    latest: dt.datetime | None = None,
) -> Row | None:
    errors_before = parsed.error_count

    def cell(name: str) -> str:
        i = at.get(name)
        return record[i].strip() if i is not None else ""

    def number(name: str, *, required: bool = True) -> float | None:
        text = cell(name)
        if not text:
            if required:
                parsed.error(line, name, _("A number is required."))
            return None
        try:
            return _float(text)
        except ValueError:
            parsed.error(line, name, _("“%(value)s” is not a number.") % {"value": text[:30]})
            return None

    lat = number("latitude")
    if lat is not None and not -90 <= lat <= 90:
        parsed.error(line, "latitude", _("A latitude lies between -90 and 90."))
    lng = number("longitude")
    if lng is not None and not -180 <= lng <= 180:
        parsed.error(line, "longitude", _("A longitude lies between -180 and 180."))
    acquired: dt.datetime | None = None
    date_text, time_text = cell("acq_date"), cell("acq_time")
    day: dt.date | None = None
    try:
        if len(date_text) != 10:  # fromisoformat also takes 20220101 and week dates
            raise ValueError(date_text)
        day = dt.date.fromisoformat(date_text)
    except ValueError:
        parsed.error(
            line,
            "acq_date",
            _("Expected a date YYYY-MM-DD; got “%(d)s”.") % {"d": date_text[:20]},
        )
    hhmm = int(time_text) if time_text.isdigit() and len(time_text) <= 4 else -1
    if hhmm < 0 or hhmm // 100 > 23 or hhmm % 100 > 59:
        parsed.error(
            line,
            "acq_time",
            _("Expected a UTC time HHMM (0000-2359); got “%(t)s”.") % {"t": time_text[:10]},
        )
    elif day is not None:
        acquired = dt.datetime(day.year, day.month, day.day, hhmm // 100, hhmm % 100, tzinfo=dt.UTC)
        if latest is not None and acquired > latest:
            # A detection from the future is a broken file (or clock): it would alert as fresh.
            parsed.error(
                line,
                "acq_date",
                _("This detection is in the future (%(when)s UTC).")
                % {"when": f"{acquired:%Y-%m-%d %H:%M}"},
            )
    conf_raw = cell("confidence")
    conf = confidence_class(conf_raw)
    if conf is None:
        parsed.error(
            line,
            "confidence",
            _("Confidence must be l, n or h, or a number 0-100; got “%(value)s”.")
            % {"value": conf_raw[:20]},
        )
    brightness = number(b1)
    brightness_2 = number(b2, required=False)
    scan = number("scan", required=False)
    track = number("track", required=False)
    frp = number("frp")
    if frp is not None and frp < 0:
        parsed.error(line, "frp", _("Fire radiative power cannot be negative."))
    fire_type: int | None = None
    type_text = cell("type")
    if type_text:
        if type_text in ("0", "1", "2", "3"):
            fire_type = int(type_text)
        else:
            parsed.error(line, "type", _("The type must be 0, 1, 2 or 3."))
    satellite, instrument = cell("satellite"), cell("instrument")
    if not satellite:
        parsed.error(line, "satellite", _("The satellite is missing."))
    if not instrument:
        parsed.error(line, "instrument", _("The instrument is missing."))
    daynight = cell("daynight").upper()
    if daynight not in ("", "D", "N"):
        parsed.error(line, "daynight", _("Day/night must be D or N."))
    if parsed.error_count != errors_before:
        return None
    assert lat is not None
    assert lng is not None
    assert acquired is not None
    assert conf is not None
    assert brightness is not None
    assert frp is not None
    return Row(
        line=line,
        lat=lat,
        lng=lng,
        acquired_at=acquired,
        satellite=satellite[:8],
        instrument=instrument[:8],
        confidence=conf,
        confidence_raw=conf_raw[:8],
        brightness=brightness,
        brightness_2=brightness_2,
        scan=scan,
        track=track,
        frp=frp,
        daynight=daynight,
        fire_type=fire_type,
        version=cell("version")[:12],
    )


# --- FIRMS area API -------------------------------------------------------------------------------
class FirmsUnavailable(Exception):
    pass


def area_url(
    *, source: str, west: float, south: float, east: float, north: float, days: int
) -> str:
    """`/api/area/csv/[MAP_KEY]/[SOURCE]/[west,south,east,north]/[DAY_RANGE]` (FIRMS API)."""
    base = settings.FIRMS_API_URL.rstrip("/")
    box = f"{west:.4f},{south:.4f},{east:.4f},{north:.4f}"
    return f"{base}/api/area/csv/{settings.FIRMS_MAP_KEY}/{source}/{box}/{int(days)}"


def fetch_area(url: str) -> bytes:
    """GET one area CSV. FIRMS answers errors as a short text body (e.g. "Invalid MAP_KEY.")
    with status 200 or 400: anything that does not start with a CSV header is an error."""
    if not url.startswith(("http://", "https://")):
        raise FirmsUnavailable("FIRMS_API_URL must be http(s)")
    request = urllib.request.Request(url, headers={"User-Agent": "KotaCerdas/1.0"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.FIRMS_TIMEOUT) as response:  # noqa: S310
            body: bytes = response.read(settings.FIRES_IMPORT_MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        # FIRMS says why in the body (e.g. "Invalid MAP_KEY." with status 400).
        try:
            reason = exc.read(300).decode("utf-8", "replace").strip()
        except OSError:
            reason = ""
        raise FirmsUnavailable(f"HTTP {exc.code}: {reason or exc.reason}"[:200]) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FirmsUnavailable(str(exc)[:200]) from exc
    if not body.lstrip().lower().startswith(b"latitude"):
        raise FirmsUnavailable(body[:200].decode("utf-8", "replace").strip() or "empty answer")
    return body
