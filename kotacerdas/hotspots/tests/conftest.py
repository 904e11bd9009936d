"""Fixtures of the fire-detection tests: the real agencies, officers of each kind, the real
2022 FIRMS files, sensors with their secrets, a live MQTT listener on the real broker
(Mosquitto at MQTT_URL, started by scripts/ensure-mosquitto.sh), and signed messages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from kotacerdas.accounts.models import Agency, Role
from kotacerdas.accounts.tests.factories import AgencyFactory
from kotacerdas.hotspots import services, signing
from kotacerdas.hotspots.models import ImportRun, ImportSource, Sensor

DATA = Path(settings.BASE_DIR) / "data" / "hotspots"
KALIMANTAN = DATA / "firms_viirs_snpp_2022_kalimantan.csv"
KOTIM = DATA / "firms_viirs_snpp_2022_kotim.csv"
# Desa Ujung Pandaran (Teluk Sampit) has the most 2022 hotspots; a point inside it.
UJUNG_PANDARAN = "62.02.11.2004"
# A point in Sampit (Kelurahan Sawahan, Kecamatan Mentawa Baru Ketapang).
SAMPIT = (-2.5336, 112.9500)
SAMPIT_DESA = "62.02.06.1007"
BAPEANG = "62.02.06.2006"

ARCHIVE_HEADER = (
    "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,"
    "confidence,version,bright_t31,frp,daynight,type"
)
NRT_HEADER = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
    "confidence,version,bright_ti5,frp,daynight"
)


def verified(user: Any) -> Any:
    """The user as a TOTP-verified session sees it (staff permissions apply)."""
    user.is_verified = lambda: True
    return user


@pytest.fixture
def agencies(db: None) -> dict[str, Agency]:
    with open(
        Path(settings.BASE_DIR) / "data" / "agencies" / "agencies.csv", encoding="utf-8"
    ) as f:
        for row in csv.DictReader(f):
            AgencyFactory(code=row["code"], short_name=row["short_name"], name=row["name"])
    return {a.code: a for a in Agency.objects.all()}


@pytest.fixture
def bpbd_officer(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Any:
    """A BPBD officer (petugas_opd): sees and manages fires regency-wide."""
    return verified(make_staff(Role.PETUGAS_OPD, agency=agencies["bpbd"]))


@pytest.fixture
def bpbd_head(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Any:
    return verified(make_staff(Role.KEPALA_OPD, agency=agencies["bpbd"]))


@pytest.fixture
def pupr_officer(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Any:
    """An officer of an agency that has nothing to do with fires: sees nothing."""
    return verified(make_staff(Role.PETUGAS_OPD, agency=agencies["pupr"]))


@pytest.fixture
def desa_operator(make_staff: Callable[..., Any]) -> Any:
    """Operator of Desa Ujung Pandaran (where the 2022 file has hotspots)."""
    return verified(
        make_staff(Role.OPERATOR_DESA, region_code=UJUNG_PANDARAN, email="op.up@example.test")
    )


@pytest.fixture
def other_desa_operator(make_staff: Callable[..., Any]) -> Any:
    return verified(make_staff(Role.OPERATOR_DESA, region_code=BAPEANG))


@pytest.fixture
def kecamatan_operator(make_staff: Callable[..., Any]) -> Any:
    """Operator of Kecamatan Teluk Sampit (62.02.11)."""
    return verified(make_staff(Role.OPERATOR_KECAMATAN, region_code="62.02.11"))


@pytest.fixture
def fires_admin(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Any:
    return verified(make_staff(Role.ADMIN, agency=agencies["diskominfo"]))


@pytest.fixture
def desk(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Any:
    return verified(make_staff(Role.DISPATCHER, agency=agencies["dinkes"]))


def import_bytes(
    data: bytes, *, actor: Any = None, name: str = "test.csv", now: Any = None
) -> ImportRun:
    """Import CSV bytes as a file upload by `actor` (or as the command when actor is None)."""
    source = ImportSource.UPLOAD if actor is not None else ImportSource.COMMAND
    return services.hotspots_import(
        actor=actor, source=source, upload=io.BytesIO(data), filename=name, now=now
    )


@pytest.fixture
def kalimantan_2022(db: None) -> ImportRun:
    """The real Kalimantan 2022 file imported (61 hotspots in Kotim)."""
    return import_bytes(KALIMANTAN.read_bytes(), name=KALIMANTAN.name)


def nrt_row(
    lat: float,
    lng: float,
    when: dt.datetime,
    *,
    confidence: str = "n",
    frp: float = 5.0,
    satellite: str = "N",
) -> str:
    """One NRT (VIIRS 2.0NRT) row; `when` is converted to UTC."""
    t = when.astimezone(dt.UTC)
    return (
        f"{lat:.6f},{lng:.6f},330.5,0.4,0.5,{t:%Y-%m-%d},{t:%H%M},{satellite},VIIRS,"
        f"{confidence},2.0NRT,290.1,{frp},D"
    )


def nrt_file(rows: list[str]) -> bytes:
    return ("\n".join([NRT_HEADER, *rows]) + "\n").encode()


@pytest.fixture
def make_sensor(db: None) -> Callable[..., tuple[Sensor, str]]:
    """make_sensor(code=..., at=SAMPIT) -> (sensor, secret), created directly."""
    from kotacerdas.accounts import crypto
    from kotacerdas.regions.lookup import locate

    def make(
        code: str = "pasar-uji-01", at: tuple[float, float] = SAMPIT, **kw: Any
    ) -> tuple[Sensor, str]:
        secret = signing.new_secret()
        place = locate(*at)
        sensor = Sensor.objects.create(
            code=code,
            name=kw.pop("name", "Detektor uji"),
            building=kw.pop("building", "Pasar Uji"),
            lat=at[0],
            lng=at[1],
            desa_code=place.desa.code,
            desa_name=place.desa.name,
            kecamatan_code=place.kecamatan.code,
            kecamatan_name=place.kecamatan.name,
            secret_encrypted=crypto.encrypt(secret),
            **kw,
        )
        return sensor, secret

    return make


def message(
    secret: str,
    code: str,
    kind: str = "alarm",
    *,
    ts: int | None = None,
    nonce: str | None = None,
    value: Any = None,
) -> bytes:
    """A signed sensor message, as a device sends it."""
    return signing.signed_message(
        secret,
        code,
        kind,
        int(time.time()) if ts is None else ts,
        nonce or secrets.token_hex(8),
        value,
    )


@pytest.fixture
def mqtt_listener(transactional_db: None) -> Generator[Any, None, None]:
    """A live listener on the real broker, with a per-test topic prefix so that parallel
    test workers never see each other's messages. Needs transactional_db: the listener's
    thread has its own database connection."""
    from kotacerdas.hotspots.mqtt import Listener

    prefix = f"kctest/{secrets.token_hex(4)}/sensors"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(settings, "MQTT_TOPIC_PREFIX", prefix, raising=False)
        listener = Listener(client_id=f"kc-test-{secrets.token_hex(4)}")
        listener.start()
        try:
            yield listener
        finally:
            listener.stop()


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def now() -> dt.datetime:
    return timezone.now()


# --- Added by the domain tests: task queue and outside-service doubles --------------------------
@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Tasks run at once in this process (alerts' e-mail/SMS delivery after commit)."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "notifications"],
        }
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def sms_double(settings: Any) -> Generator[Any, None, None]:
    """A local Fonnte-style SMS/WhatsApp gateway (tests/doubles.py), configured in settings."""
    from kotacerdas.hotspots.tests.doubles import sms_gateway

    with sms_gateway() as gateway:
        settings.SMS_GATEWAY_URL = gateway.url
        settings.SMS_GATEWAY_TOKEN = gateway.token
        settings.SMS_GATEWAY_TIMEOUT = 5.0
        yield gateway


@pytest.fixture
def firms_double(settings: Any) -> Generator[Any, None, None]:
    """A local FIRMS area API (tests/doubles.py) with its MAP_KEY set in settings."""
    from kotacerdas.hotspots.tests.doubles import firms_area

    with firms_area() as api:
        settings.FIRMS_API_URL = api.url
        settings.FIRMS_MAP_KEY = api.map_key
        settings.FIRMS_TIMEOUT = 5.0
        yield api


@pytest.fixture(autouse=True)
def _english_messages() -> Generator[None, None, None]:
    """Service messages in English, as the tests assert them (pages choose their language per
    request: the tests that read pages set the language cookie)."""
    from django.utils import translation

    with translation.override("en"):
        yield
