"""Demo reports: generated with a fixed seed and marked `is_demo`; no real person or real
complaint is in them. Used by `manage.py seed_reports` (the demo of `make run`) and, at scale,
by the benchmarks (100,000 reports).

Points are drawn inside Kotim's real desa boundaries (uniformly in a desa's bounding box, kept
only where the region lookup agrees), with desa weighted toward Sampit, where most people live.
The reports' histories are consistent: each status has the timestamps and timeline events it
would have had through the services.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from kotacerdas.core import sla
from kotacerdas.core.refs import new_ref
from kotacerdas.regions.lookup import locate_many
from kotacerdas.regions.selectors import village_extents

from .models import (
    Category,
    EventKind,
    Kind,
    Report,
    ReportEvent,
    ReportSupport,
    Source,
    Status,
)

SAMPIT_KECAMATAN = ("62.02.05", "62.02.06")  # Baamang, Mentawa Baru Ketapang

_PHRASES: dict[str, list[str]] = {
    "jalan-rusak": [
        "Jalan berlubang cukup dalam, sering membuat pengendara motor jatuh saat hujan.",
        "Aspal mengelupas sepanjang kurang lebih 50 meter, mohon segera diperbaiki.",
        "Jalan amblas di dekat gorong-gorong, berbahaya untuk truk dan mobil.",
    ],
    "jembatan": [
        "Papan titian ulin sudah lapuk dan beberapa patah, anak sekolah lewat setiap hari."
    ],
    "drainase-banjir": [
        "Parit tersumbat sampah sehingga air meluap ke jalan setiap kali hujan deras.",
        "Genangan air setinggi mata kaki tidak surut berhari-hari di depan rumah warga.",
    ],
    "lampu-jalan": ["Lampu jalan mati sudah dua minggu, jalan sangat gelap di malam hari."],
    "sampah": [
        "Sampah di TPS sudah menumpuk dan berbau, belum diangkut sejak minggu lalu.",
        "Ada pembuangan sampah liar di lahan kosong pinggir jalan.",
    ],
    "pencemaran": ["Asap dan bau menyengat dari pembakaran limbah setiap sore."],
    "air-bersih": ["Air PDAM tidak mengalir sejak tiga hari, warga terpaksa membeli air galon."],
    "layanan-kesehatan": ["Antrean di puskesmas sangat panjang dan jam buka tidak sesuai jadwal."],
    "pendidikan": ["Atap ruang kelas bocor, murid harus pindah ke ruang lain saat hujan."],
    "adminduk": ["Pengurusan KTP-el sudah satu bulan belum selesai tanpa kejelasan."],
    "ketertiban": ["Parkir liar di bahu jalan depan pasar menyebabkan kemacetan setiap pagi."],
    "transportasi": ["Rambu lalu lintas di simpang empat roboh dan belum dipasang kembali."],
    "bansos": ["Keluarga kami terdaftar penerima bantuan tetapi belum menerima sejak awal tahun."],
    "pasar-harga": ["Atap los pasar bocor sehingga dagangan basah setiap hujan."],
    "layanan-desa": ["Kantor desa sering tutup pada jam kerja sehingga surat pengantar lama."],
    "jalan-desa": ["Jalan gang berlumpur dan sulit dilewati motor saat musim hujan."],
    "lainnya": ["Mohon perhatian pemerintah daerah untuk masalah di lingkungan kami."],
}
_ASPIRATIONS = [
    ("Taman bermain anak di kelurahan", "Usul dibangun taman bermain anak yang aman dan teduh."),
    ("Perpustakaan keliling ke desa", "Usul perpustakaan keliling datang sebulan sekali ke desa."),
    ("Jalur sepeda di tepi Mentaya", "Usul jalur sepeda dan pejalan kaki di sepanjang tepian."),
    ("Wi-Fi gratis di balai desa", "Usul Wi-Fi gratis di balai desa untuk pelajar dan UMKM."),
    ("Pelatihan UMKM digital", "Usul pelatihan pemasaran daring untuk pelaku UMKM desa."),
    ("Lampu tenaga surya di jalan desa", "Usul lampu jalan tenaga surya untuk jalan antardesa."),
]
# Share of each status among demo complaints (the rest of the flow is derived from it).
_STATUS_WEIGHTS = [
    (Status.NEW, 12),
    (Status.VERIFIED, 10),
    (Status.FORWARDED, 5),
    (Status.IN_PROGRESS, 20),
    (Status.COMPLETED, 10),
    (Status.CLOSED, 33),
    (Status.REJECTED, 5),
    (Status.REOPENED, 5),
]


@dataclass
class _Place:
    lat: float
    lng: float
    desa_code: str
    desa_name: str
    kecamatan_code: str
    kecamatan_name: str


def _points(rng: random.Random, n: int) -> list[_Place]:
    """n points inside Kotim's desa, weighted toward Sampit (60%)."""
    villages = [v for v in village_extents() if v["min_lat"] is not None]
    town = [v for v in villages if v["parent_code"] in SAMPIT_KECAMATAN]
    out: list[_Place] = []
    while len(out) < n:
        want = n - len(out)
        batch = [
            (rng.choice(town) if town and rng.random() < 0.6 else rng.choice(villages))
            for _ in range(want * 2)
        ]
        lats = [rng.uniform(v["min_lat"], v["max_lat"]) for v in batch]
        lngs = [rng.uniform(v["min_lng"], v["max_lng"]) for v in batch]
        for lat, lng, found in zip(lats, lngs, locate_many(lats, lngs), strict=True):
            if found is None or found.approximate:
                continue
            out.append(
                _Place(
                    round(lat, 6),
                    round(lng, 6),
                    found.desa.code,
                    found.desa.name,
                    found.kecamatan.code,
                    found.kecamatan.name,
                )
            )
            if len(out) == n:
                break
    return out


def _ref(rng: random.Random, when: dt.datetime, used: set[str]) -> str:
    while True:
        ref = new_ref(when, rng=rng)
        if ref not in used:
            used.add(ref)
            return ref


def generate(
    *,
    n: int,
    seed: int = 20261123,
    days: int = 120,
    reporters: list[Any] | None = None,
    now: dt.datetime | None = None,
    batch_size: int = 2000,
) -> Iterator[int]:
    """Create n demo reports with their timelines in batches; yields the running count."""
    rng = random.Random(seed)
    now = now or timezone.now()
    categories = list(Category.objects.filter(is_active=True).select_related("agency"))
    if not categories:
        raise RuntimeError("load the report catalogue first (import_report_catalogue)")
    by_code = {c.code: c for c in categories}
    reporters = reporters or []
    used = set(Report.objects.values_list("ref", flat=True))
    places = _points(rng, n)
    statuses, weights = zip(*_STATUS_WEIGHTS, strict=True)
    done = 0
    for start in range(0, n, batch_size):
        reports: list[Report] = []
        plans: list[tuple[Report, list[tuple[str, str, str, dt.datetime, str, bool]]]] = []
        for place in places[start : start + batch_size]:
            aspiration = rng.random() < 0.12
            if aspiration:
                category = by_code.get(rng.choice(["lainnya", "pendidikan", "transportasi"]))
                title, text = rng.choice(_ASPIRATIONS)
            else:
                category = rng.choice(categories)
                text = rng.choice(_PHRASES.get(category.code, _PHRASES["lainnya"]))
                title = text.split(",")[0][:80]
            assert category is not None
            created = now - dt.timedelta(seconds=rng.randint(3600, days * 86400))
            status = rng.choices(statuses, weights)[0]
            if aspiration and status in (Status.REJECTED, Status.REOPENED, Status.FORWARDED):
                status = Status.VERIFIED
            report, events = _history(rng, category, status, created, now)
            report.ref = _ref(rng, created, used)
            report.kind = Kind.ASPIRATION if aspiration else Kind.COMPLAINT
            report.title, report.description = title, text
            report.lat, report.lng = place.lat, place.lng
            report.desa_code, report.desa_name = place.desa_code, place.desa_name
            report.kecamatan_code, report.kecamatan_name = (
                place.kecamatan_code,
                place.kecamatan_name,
            )
            report.reporter = rng.choice(reporters) if reporters else None
            report.is_anonymous = rng.random() < 0.1
            report.is_confidential = rng.random() < 0.05
            report.source = Source.PORTAL
            report.token = _uuid(rng)
            report.is_demo = True
            if aspiration and report.status != Status.REJECTED:
                report.support_count = int(rng.paretovariate(1.3)) - 1
            reports.append(report)
            plans.append((report, events))
        with transaction.atomic():
            Report.objects.bulk_create(reports, batch_size=500)
            rows: list[ReportEvent] = []
            supports: list[ReportSupport] = []
            for report, events in plans:
                for kind, from_status, to_status, when, message, public in events:
                    by_reporter = kind in (
                        EventKind.CREATED,
                        EventKind.CONFIRMED,
                        EventKind.DISPUTED,
                    )
                    rows.append(
                        ReportEvent(
                            report=report,
                            kind=kind,
                            from_status=from_status,
                            to_status=to_status,
                            message=message,
                            actor_label="Pelapor" if by_reporter else report.agency.short_name,
                            agency=None if by_reporter else report.agency,
                            is_public=public,
                            created_at=when,
                        )
                    )
                if report.support_count and reporters:
                    backers = rng.sample(reporters, min(report.support_count, len(reporters)))
                    report.support_count = len(backers)
                    supports += [ReportSupport(report=report, user=u) for u in backers]
            ReportEvent.objects.bulk_create(rows, batch_size=2000)
            if supports:
                ReportSupport.objects.bulk_create(supports, batch_size=2000)
                Report.objects.bulk_update(
                    [r for r, _events in plans if r.support_count], ["support_count"]
                )
        done += len(reports)
        yield done


def _uuid(rng: random.Random) -> Any:
    import uuid

    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _history(
    rng: random.Random, category: Category, status: str, created: dt.datetime, now: dt.datetime
) -> tuple[Report, list[tuple[str, str, str, dt.datetime, str, bool]]]:
    """A report in `status` with the timestamps and events that lead there."""
    report = Report(
        category=category,
        agency=category.agency,
        handling_level=category.handling_level,
        status=status,
        created_at=created,
        completion_due_at=sla.add_working_days(
            created, category.sla_verify_days + category.sla_complete_days
        ),
    )
    events: list[tuple[str, str, str, dt.datetime, str, bool]] = [
        (EventKind.CREATED, "", Status.NEW, created, "", True)
    ]
    span = max((now - created).total_seconds(), 3600)

    def step(fraction_max: float) -> dt.datetime:
        last = events[-1][3]
        room = (now - last).total_seconds()
        return last + dt.timedelta(seconds=rng.uniform(0.02, fraction_max) * min(room, span))

    if status == Status.NEW:
        report.due_at = sla.add_working_days(created, category.sla_verify_days)
    elif status == Status.REJECTED:
        when = step(0.2)
        report.first_response_at = when
        events.append(
            (
                EventKind.STATUS,
                Status.NEW,
                Status.REJECTED,
                when,
                "Laporan tidak dapat ditindaklanjuti: di luar kewenangan.",
                True,
            )
        )
    else:
        verified = step(0.15)
        report.first_response_at = report.verified_at = verified
        events.append(
            (
                EventKind.STATUS,
                Status.NEW,
                Status.VERIFIED,
                verified,
                "Laporan diterima dan diverifikasi.",
                True,
            )
        )
        current = Status.VERIFIED
        if status == Status.FORWARDED:
            events.append(
                (
                    EventKind.FORWARDED,
                    current,
                    Status.FORWARDED,
                    step(0.3),
                    "Diteruskan ke OPD terkait.",
                    True,
                )
            )
            current = Status.FORWARDED
        if status in (Status.IN_PROGRESS, Status.COMPLETED, Status.CLOSED, Status.REOPENED):
            events.append(
                (
                    EventKind.PROGRESS,
                    current,
                    Status.IN_PROGRESS,
                    step(0.3),
                    "Sudah dijadwalkan untuk ditangani.",
                    True,
                )
            )
            current = Status.IN_PROGRESS
        if status in (Status.COMPLETED, Status.CLOSED, Status.REOPENED):
            completed = step(0.5)
            if status == Status.COMPLETED:
                completed = max(completed, now - dt.timedelta(days=6))
            report.completed_at = completed
            report.completed_within_sla = completed <= report.completion_due_at
            events.append(
                (
                    EventKind.COMPLETED,
                    current,
                    Status.COMPLETED,
                    completed,
                    "Sudah ditangani di lapangan.",
                    True,
                )
            )
            current = Status.COMPLETED
        if status == Status.CLOSED:
            closed = step(0.3)
            report.closed_at = closed
            events.append((EventKind.CONFIRMED, current, Status.CLOSED, closed, "", True))
            if rng.random() < 0.7:
                report.rating = rng.choices([1, 2, 3, 4, 5], [3, 5, 15, 40, 37])[0]
                report.rated_at = closed
        if status == Status.REOPENED:
            report.completed_at = None
            report.completed_within_sla = None
            events.append(
                (
                    EventKind.DISPUTED,
                    current,
                    Status.REOPENED,
                    step(0.5),
                    "Masalah belum selesai, kembali seperti semula.",
                    True,
                )
            )
        if status in (Status.VERIFIED, Status.FORWARDED):
            report.due_at = min(
                sla.add_working_days(events[-1][3], category.sla_plan_days),
                report.completion_due_at,
            )
        elif status == Status.REOPENED:
            report.due_at = sla.add_working_days(events[-1][3], category.sla_plan_days)
        elif status == Status.IN_PROGRESS:
            report.due_at = report.completion_due_at
    report.updated_at = events[-1][3]
    report.version = len(events)
    return report, events


def seed(*, n: int = 400, seed_value: int = 20261123) -> int:
    """The demo of `make run`: n reports from the demo citizens (idempotent)."""
    if Report.objects.filter(is_demo=True).exists():
        return 0
    from kotacerdas.accounts.selectors import demo_citizens

    reporters = list(demo_citizens())
    counts = list(generate(n=n, seed=seed_value, reporters=reporters))
    return counts[-1] if counts else 0
