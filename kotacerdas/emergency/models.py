"""The 119 emergency desk (PSC 119): stations, units, incidents, assignments.

An `Incident` is one emergency (a call from the portal's button, a phone call recorded by a
call-taker, later a sensor alarm). The desk sends units to it; each sending is an `Assignment`,
which carries the crew's timestamps (acknowledged, en route, on scene, transporting, at the
facility, cleared). The incident's own timestamps are the first of its assignments' (the time
to the first crew on scene is what the desk is measured by). Every state change also appends a
`DeskEvent`, the change feed the live board and the citizen's status page follow.

Units move through `UNIT_TRANSITIONS`; services refuse every other move. Patient details are
health data (UU 27/2022): `Patient` keeps them encrypted and only the desk and the assigned
crew read them, each read audited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IncidentKind(models.TextChoices):
    MEDICAL = "medis", _("Medical emergency")
    FIRE = "kebakaran", _("Fire")
    RESCUE = "penyelamatan", _("Rescue")


class Priority(models.TextChoices):
    """Triage colours of SPGDT: red = life-threatening, yellow = urgent, green = not urgent."""

    RED = "merah", _("Red")
    YELLOW = "kuning", _("Yellow")
    GREEN = "hijau", _("Green")


PRIORITY_RANK: dict[str, int] = {Priority.RED: 0, Priority.YELLOW: 1, Priority.GREEN: 2}


class Capability(models.TextChoices):
    """What a unit can do. An ambulance with a paramedic also serves calls that need any
    ambulance (`SERVES`)."""

    ALS = "ambulans_paramedis", _("Ambulance with paramedic")
    BLS = "ambulans", _("Ambulance")
    FIRE = "damkar", _("Fire truck")
    RESCUE = "rescue", _("Rescue unit")


SERVES: dict[str, frozenset[str]] = {
    Capability.ALS: frozenset({Capability.ALS, Capability.BLS}),
    Capability.BLS: frozenset({Capability.BLS}),
    Capability.FIRE: frozenset({Capability.FIRE}),
    Capability.RESCUE: frozenset({Capability.RESCUE}),
}


def capable_units_for(need: str) -> frozenset[str]:
    """The unit capabilities that can answer an incident needing `need`."""
    return frozenset(c for c, served in SERVES.items() if need in served)


class Source(models.TextChoices):
    APP = "aplikasi", _("Citizen app")
    PHONE = "telepon", _("Phone call")
    SENSOR = "sensor", _("Sensor alarm")


class IncidentStatus(models.TextChoices):
    RECEIVED = (
        "masuk",
        pgettext_lazy("emergency", "Received"),
    )  # from the app, not yet taken by the desk
    ACCEPTED = "diterima", _("Accepted, waiting for a unit")
    DISPATCHED = "ditugaskan", _("Unit dispatched")
    EN_ROUTE = "menuju_lokasi", _("Unit on the way")
    ON_SCENE = "di_lokasi", _("Unit on scene")
    TRANSPORTING = "membawa_pasien", _("Transporting the patient")
    AT_FACILITY = "tiba_di_faskes", _("At the health facility")
    CLOSED = "selesai", _("Closed")
    CANCELLED = "dibatalkan", _("Cancelled")


OPEN_INCIDENT_STATUSES = frozenset(
    {
        IncidentStatus.RECEIVED,
        IncidentStatus.ACCEPTED,
        IncidentStatus.DISPATCHED,
        IncidentStatus.EN_ROUTE,
        IncidentStatus.ON_SCENE,
        IncidentStatus.TRANSPORTING,
        IncidentStatus.AT_FACILITY,
    }
)
# Waiting for the desk or for a unit: what the board alarms about.
WAITING_STATUSES = frozenset({IncidentStatus.RECEIVED, IncidentStatus.ACCEPTED})


class UnitStatus(models.TextChoices):
    AVAILABLE = "tersedia", _("Available")
    DISPATCHED = "ditugaskan", _("Dispatched")
    ACKNOWLEDGED = "diterima", _("Job accepted")
    EN_ROUTE = "berangkat", _("En route")
    ON_SCENE = "di_lokasi", _("On scene")
    TRANSPORTING = "membawa_pasien", _("Transporting patient")
    AT_FACILITY = "tiba_di_faskes", _("At health facility")
    OUT_OF_SERVICE = "tidak_aktif", _("Out of service")


BUSY_UNIT_STATUSES = frozenset(
    {
        UnitStatus.DISPATCHED,
        UnitStatus.ACKNOWLEDGED,
        UnitStatus.EN_ROUTE,
        UnitStatus.ON_SCENE,
        UnitStatus.TRANSPORTING,
        UnitStatus.AT_FACILITY,
    }
)

# The crew's steps. Going back to AVAILABLE ends the assignment ("clear"); a unit may clear from
# the scene when nobody needs transport (treated on scene, refused, fire out). Dispatching
# (AVAILABLE -> DISPATCHED) and out-of-service moves are the desk's, not the crew's.
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    UnitStatus.DISPATCHED: frozenset({UnitStatus.ACKNOWLEDGED}),
    UnitStatus.ACKNOWLEDGED: frozenset({UnitStatus.EN_ROUTE}),
    UnitStatus.EN_ROUTE: frozenset({UnitStatus.ON_SCENE}),
    UnitStatus.ON_SCENE: frozenset({UnitStatus.TRANSPORTING, UnitStatus.AVAILABLE}),
    UnitStatus.TRANSPORTING: frozenset({UnitStatus.AT_FACILITY}),
    UnitStatus.AT_FACILITY: frozenset({UnitStatus.AVAILABLE}),
    UnitStatus.AVAILABLE: frozenset(),
    UnitStatus.OUT_OF_SERVICE: frozenset(),
}
# Which assignment timestamp each crew step stamps, and the incident status it implies.
STEP_STAMP: dict[str, str] = {
    UnitStatus.ACKNOWLEDGED: "acknowledged_at",
    UnitStatus.EN_ROUTE: "en_route_at",
    UnitStatus.ON_SCENE: "on_scene_at",
    UnitStatus.TRANSPORTING: "transporting_at",
    UnitStatus.AT_FACILITY: "at_facility_at",
    UnitStatus.AVAILABLE: "cleared_at",
}
INCIDENT_STATUS_FOR_UNIT: dict[str, str] = {
    UnitStatus.DISPATCHED: IncidentStatus.DISPATCHED,
    UnitStatus.ACKNOWLEDGED: IncidentStatus.DISPATCHED,
    UnitStatus.EN_ROUTE: IncidentStatus.EN_ROUTE,
    UnitStatus.ON_SCENE: IncidentStatus.ON_SCENE,
    UnitStatus.TRANSPORTING: IncidentStatus.TRANSPORTING,
    UnitStatus.AT_FACILITY: IncidentStatus.AT_FACILITY,
}
INCIDENT_PROGRESS: list[str] = [
    IncidentStatus.RECEIVED,
    IncidentStatus.ACCEPTED,
    IncidentStatus.DISPATCHED,
    IncidentStatus.EN_ROUTE,
    IncidentStatus.ON_SCENE,
    IncidentStatus.TRANSPORTING,
    IncidentStatus.AT_FACILITY,
]


class ChiefComplaint(models.TextChoices):
    """The call-taker's chief complaint, a short fixed list in the spirit of dispatch protocols
    (a category, not the patient's story: that goes to the encrypted notes)."""

    CHEST_PAIN = "nyeri_dada", _("Chest pain")
    BREATHING = "sesak_napas", _("Breathing problem")
    UNCONSCIOUS = "tidak_sadar", _("Unconscious / fainting")
    STROKE = "stroke", _("Stroke signs")
    TRAFFIC = "kecelakaan_lalu_lintas", _("Traffic accident")
    INJURY = "luka_jatuh", _("Injury / fall")
    BLEEDING = "perdarahan", _("Bleeding")
    CHILDBIRTH = "persalinan", _("Childbirth / pregnancy")
    SEIZURE = "kejang", _("Seizure")
    POISONING = "keracunan", _("Poisoning / bite")
    DROWNING = "tenggelam", _("Drowning")
    BURN = "luka_bakar", _("Burns")
    SICK = "sakit_umum", _("Sick person")
    FIRE_BUILDING = "kebakaran_bangunan", _("Building fire")
    FIRE_LAND = "kebakaran_lahan", _("Land / forest fire")
    FIRE_VEHICLE = "kebakaran_kendaraan", _("Vehicle fire")
    RESCUE_TRAPPED = "terjebak", _("Person trapped")
    RESCUE_ANIMAL = "evakuasi_hewan", _("Animal (snake, bees)")
    OTHER = "lainnya", _("Other")


FIRE_COMPLAINTS = frozenset(
    {ChiefComplaint.FIRE_BUILDING, ChiefComplaint.FIRE_LAND, ChiefComplaint.FIRE_VEHICLE}
)
RESCUE_COMPLAINTS = frozenset(
    {ChiefComplaint.RESCUE_TRAPPED, ChiefComplaint.RESCUE_ANIMAL, ChiefComplaint.DROWNING}
)


class Station(models.Model):
    """Where units wait: an ambulance post (usually a puskesmas or the RSUD) or a fire post."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="emergency_stations"
    )
    # The facility the post sits at, when it is one (id in the facilities app).
    facility = models.ForeignKey(
        "facilities.Facility",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emergency_stations",
    )
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    desa_code = models.CharField(_("desa"), max_length=20, db_index=True)
    kecamatan_code = models.CharField(_("kecamatan"), max_length=20, db_index=True)
    # Fixed minutes before a unit of this post reaches the road network (a river crossing, a
    # boat to the landing): added to every estimate from the post.
    access_minutes = models.PositiveSmallIntegerField(_("access time (minutes)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    call_sign = models.CharField(_("call sign"), max_length=20, unique=True)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="units")
    capability = models.CharField(_("capability"), max_length=24, choices=Capability.choices)
    plate = models.CharField(_("number plate"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.AVAILABLE
    )
    status_changed_at = models.DateTimeField(_("status since"), null=True, blank=True)
    out_of_service_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Last known position (crew phone); the station's when never reported.
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    position_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    crew = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="emergency_units", verbose_name=_("crew")
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = pgettext_lazy("emergency", "unit")
        verbose_name_plural = _("units")
        ordering = ["call_sign"]
        indexes = [models.Index(fields=["status", "capability"], name="unit_status_cap_idx")]

    def __str__(self) -> str:
        return self.call_sign

    @property
    def position(self) -> tuple[float, float]:
        if self.lat is not None and self.lng is not None:
            return self.lat, self.lng
        return self.station.lat, self.station.lng


class DesaAccess(models.Model):
    """A desa the road estimate must not be trusted for (reached only by river, or cut off in
    the wet season): every unit from outside it is estimated at `minutes`, and the ETA is shown
    as a fixed access time, not a road time."""

    desa_code = models.CharField(_("desa"), max_length=20, unique=True)
    minutes = models.PositiveSmallIntegerField(_("access time (minutes)"))
    mode = models.CharField(_("access by"), max_length=20, default="sungai")
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("desa access time")
        verbose_name_plural = _("desa access times")
        ordering = ["desa_code"]

    def __str__(self) -> str:
        return f"{self.desa_code}: {self.minutes} min"


class Incident(models.Model):
    ref = models.CharField(_("number"), max_length=12, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.YELLOW
    )
    need = models.CharField(_("unit needed"), max_length=24, choices=Capability.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=IncidentStatus.choices,
        default=IncidentStatus.RECEIVED,
        db_index=True,
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    chief_complaint = models.CharField(
        _("chief complaint"), max_length=32, choices=ChiefComplaint.choices, blank=True
    )
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emergency_calls",
    )
    caller_phone = models.CharField(_("caller's phone"), max_length=20, blank=True, db_index=True)
    caller_name = models.CharField(_("caller's name"), max_length=120, blank=True)
    call_taker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Where: a point (GPS, pin, map click) or a desa's centre when only the desa is known.
    lat = models.FloatField()
    lng = models.FloatField()
    location_approximate = models.BooleanField(default=False)
    address = models.CharField(_("address / landmark"), max_length=300, blank=True)
    desa_code = models.CharField(max_length=20, db_index=True)
    kecamatan_code = models.CharField(max_length=20, db_index=True)
    desa_name = models.CharField(max_length=100, blank=True)
    kecamatan_name = models.CharField(max_length=100, blank=True)
    patients_count = models.PositiveSmallIntegerField(_("patients"), null=True, blank=True)
    conscious = models.BooleanField(_("conscious"), null=True, blank=True)
    breathing = models.BooleanField(_("breathing"), null=True, blank=True)
    # What happened, in the caller's words: health data, encrypted (accounts.crypto).
    details_encrypted = models.TextField(blank=True)
    # The citizen app's retry key: a double tap or a retry is the same call.
    idempotency_key = models.UUIDField(null=True, blank=True)
    received_at = models.DateTimeField(_("received"), db_index=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    en_route_at = models.DateTimeField(_("en route"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("on scene"), null=True, blank=True)
    transporting_at = models.DateTimeField(_("transporting"), null=True, blank=True)
    at_facility_at = models.DateTimeField(_("at facility"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    # Call -> first crew on scene, kept when the first crew arrives (the desk's measure).
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    # A building sensor's alarm: its code (one open incident per sensor at a time).
    sensor_code = models.CharField(max_length=40, blank=True)
    # Links other modules attach (a satellite fire event near a fire call): [{label, url}].
    links = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["caller", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="incident_caller_idempotency_uniq",
            ),
            models.UniqueConstraint(
                fields=["sensor_code"],
                condition=Q(sensor_code__gt="", closed_at__isnull=True, cancelled_at__isnull=True),
                name="incident_one_open_per_sensor",
            ),
        ]
        indexes = [
            models.Index(
                fields=["kecamatan_code", "received_at"],
                condition=Q(response_seconds__isnull=False),
                name="incident_response_idx",
            ),
            models.Index(fields=["caller", "received_at"], name="incident_caller_idx"),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INCIDENT_STATUSES


class Patient(models.Model):
    """One patient of an incident. Name and NIK are optional; all of it is health data."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="patients")
    name_encrypted = models.TextField(blank=True)
    nik_encrypted = models.TextField(blank=True)
    nik_last4 = models.CharField(max_length=4, blank=True)
    age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)  # L / P
    condition_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.pk}"  # never the patient's name


class Assignment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    destination = models.ForeignKey(
        "facilities.Facility",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("destination facility"),
    )
    # The estimate at dispatch time, to compare with what happened.
    eta_seconds = models.PositiveIntegerField(null=True, blank=True)
    eta_fixed = models.BooleanField(default=False)  # from an access-time override
    dispatched_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    transporting_at = models.DateTimeField(null=True, blank=True)
    at_facility_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    released_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["dispatched_at", "pk"]
        constraints = [
            # The last line against sending one unit twice: one open assignment per unit.
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(cleared_at__isnull=True),
                name="assignment_one_open_per_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} -> {self.incident_id}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class UnitPosition(models.Model):
    """The track a crew phone reports (kept for review and the simulated-day benchmark)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="positions")
    lat = models.FloatField()
    lng = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    recorded_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.recorded_at:%H:%M:%S}"


class EventKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    UNIT = "unit", pgettext_lazy("emergency", "Unit")


class DeskEvent(models.Model):
    """The desk's change feed: one row per change, written in the same transaction. The live
    board's stream and its polling fallback read what came after the last id they saw; the
    citizen's status page reads its incident's rows. Pruned after a day."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id}:{self.kind}"
