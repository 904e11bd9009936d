"""Demo data for fire detection (`manage.py seed_fires`, called by seed_demo): smoke/heat
sensors in public buildings of Sampit, all marked demo, at made-up points inside real
kelurahan. Their secrets are written to var/demo_sensors.txt so that anyone can try
`manage.py sensor_publish CODE SECRET`. Hotspots are never invented: `make data` imports the
real 2022 FIRMS file."""

from __future__ import annotations

import random
from pathlib import Path

from django.conf import settings

from kotacerdas.accounts.selectors import agency_by_codes

from .models import Sensor, SensorKind

DEMO_SENSORS = [
    # code, name, building, kind, agency
    (
        "pasar-sampit-01",
        "Detektor asap blok A",
        "Pasar Induk Sampit (demo)",
        SensorKind.SMOKE,
        "disperdagin",
    ),
    (
        "pasar-sampit-02",
        "Detektor panas blok B",
        "Pasar Induk Sampit (demo)",
        SensorKind.HEAT,
        "disperdagin",
    ),
    (
        "rsud-murjani-01",
        "Detektor asap gudang",
        "RSUD dr. Murjani (demo)",
        SensorKind.MULTI,
        "rsud-murjani",
    ),
    ("kantor-bupati-01", "Detektor asap arsip", "Kantor Bupati (demo)", SensorKind.SMOKE, "bpkad"),
]
# Points inside kelurahan of Sampit (Mentawa Baru Ketapang), jittered by a seeded generator.
SAMPIT_POINTS = [(-2.5370, 112.9490), (-2.5372, 112.9494), (-2.5428, 112.9468), (-2.5320, 112.9530)]


def seed_fires(*, seed: int = 6) -> list[tuple[str, str]]:
    from kotacerdas.accounts import crypto
    from kotacerdas.regions.lookup import locate

    from . import signing

    rng = random.Random(seed)
    agencies = agency_by_codes(codes=[a for *_x, a in DEMO_SENSORS])
    secrets_out: list[tuple[str, str]] = []
    for (code, name, building, kind, agency), (lat, lng) in zip(
        DEMO_SENSORS, SAMPIT_POINTS, strict=True
    ):
        if Sensor.objects.filter(code=code).exists():
            continue
        lat += rng.uniform(-0.0003, 0.0003)
        lng += rng.uniform(-0.0003, 0.0003)
        place = locate(lat, lng)
        secret = signing.new_secret()
        Sensor.objects.create(
            code=code,
            name=name,
            kind=kind,
            building=building,
            lat=round(lat, 6),
            lng=round(lng, 6),
            desa_code=place.desa.code,
            desa_name=place.desa.name,
            kecamatan_code=place.kecamatan.code,
            kecamatan_name=place.kecamatan.name,
            agency_id=agencies[agency].pk if agency in agencies else None,
            secret_encrypted=crypto.encrypt(secret),
            heartbeat_seconds=300,
            is_demo=True,
        )
        secrets_out.append((code, secret))
    if secrets_out:
        path = Path(settings.VAR_DIR) / "demo_sensors.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            for code, secret in secrets_out:
                fh.write(f"{code} {secret}\n")
    return secrets_out
