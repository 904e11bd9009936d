"""Fire detection (layanan deteksi kebakaran): satellite hotspots, fire events, ground checks,
alerts and building sensors.

- A `Hotspot` is one FIRMS detection inside the regency (with its desa and kecamatan). Its
  `fingerprint` (satellite, instrument, time, position) makes a re-import a no-op.
- Hotspots chain into a `FireEvent` (see grouping.py): within `FIRES_EVENT_RADIUS_M` and
  `FIRES_EVENT_WINDOW_HOURS` of a hotspot of the event. An event moves
  baru → dicek_lapangan (a `GroundCheck` found fire or no fire) → ditangani → padam.
- A `FireAlert` is one message to one person on one channel about one event: unique, so
  nobody hears twice about the same event; retried through the task queue until delivered.
- A `Sensor` is a smoke/heat detector in a building with its own secret; every message it
  sends (MQTT or webhook) is checked and logged as a `SensorMessage`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Confidence(models.TextChoices):
    """FIRMS' classes. VIIRS gives l/n/h; a numeric (MODIS-style) confidence maps the way
    SiPongi does: 0-29 low, 30-79 nominal, 80-100 high."""

    LOW = "rendah", _("Low")
    NOMINAL = "sedang", _("Nominal")
    HIGH = "tinggi", _("High")


CONFIDENCE_RANK: dict[str, int] = {Confidence.LOW: 0, Confidence.NOMINAL: 1, Confidence.HIGH: 2}


class FileFormat(models.TextChoices):
    ARCHIVE = "arsip", _("FIRMS archive (standard)")
    NRT = "nrt", _("FIRMS near real time")


class ImportSource(models.TextChoices):
    UPLOAD = "unggah", _("Uploaded file")
    COMMAND = "perintah", _("Command")
    FIRMS_API = "firms_api", _("FIRMS area API")


class ImportOutcome(models.TextChoices):
    DONE = "selesai", _("Imported")
    REFUSED = "ditolak", _("Refused")


class ImportRun(models.Model):
    """One file or API fetch: what it held and what it added. A refused file keeps its per-row
    report and added nothing."""

    source = models.CharField(max_length=12, choices=ImportSource.choices)
    filename = models.CharField(max_length=200, blank=True)
    file_format = models.CharField(max_length=8, choices=FileFormat.choices, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    outcome = models.CharField(max_length=8, choices=ImportOutcome.choices)
    rows_total = models.PositiveIntegerField(default=0)
    rows_outside = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    events_new = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    code = models.CharField(max_length=60, blank=True)  # the refusal's stable error code
    errors = models.JSONField(default=list, blank=True)  # [{row, field, message}], capped
    message = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source} {self.filename} {self.started_at:%Y-%m-%d %H:%M}"


class EventStatus(models.TextChoices):
    NEW = "baru", pgettext_lazy("fire event", "New")
    CHECKED = "dicek_lapangan", _("Ground-checked")
    HANDLING = "ditangani", _("Being handled")
    OUT = "padam", _("Extinguished")


class CheckResult(models.TextChoices):
    FIRE = "api", pgettext_lazy("ground check", "Fire")
    NO_FIRE = "bukan_api", pgettext_lazy("ground check", "No fire")


class FireEvent(models.Model):
    """Hotspots chained in space and time. Its figures (count, FRP, first/last detection,
    place) are recomputed from its hotspots whenever the grouping touches it."""

    ref = models.CharField(max_length=16, unique=True)
    status = models.CharField(
        max_length=16, choices=EventStatus.choices, default=EventStatus.NEW, db_index=True
    )
    check_result = models.CharField(max_length=10, choices=CheckResult.choices, blank=True)
    hotspot_count = models.PositiveIntegerField(default=0)
    frp_total = models.FloatField(default=0.0)
    max_confidence = models.CharField(max_length=8, choices=Confidence.choices)
    first_detected_at = models.DateTimeField(db_index=True)
    last_detected_at = models.DateTimeField(db_index=True)
    lat = models.FloatField()
    lng = models.FloatField()
    min_lat = models.FloatField()
    min_lng = models.FloatField()
    max_lat = models.FloatField()
    max_lng = models.FloatField()
    desa_code = models.CharField(max_length=20, db_index=True)
    desa_name = models.CharField(max_length=120)
    kecamatan_code = models.CharField(max_length=20, db_index=True)
    kecamatan_name = models.CharField(max_length=120)
    # Whether the event qualifies for alerts (confidence and fire type, see grouping), and when
    # its alerts were created (once per event).
    alertable = models.BooleanField(default=False)
    alerted_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    out_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_detected_at", "-pk"]
        indexes = [
            models.Index(fields=["kecamatan_code", "first_detected_at"], name="fire_event_kec_idx")
        ]

    def __str__(self) -> str:
        return self.ref


class Hotspot(models.Model):
    fingerprint = models.CharField(max_length=40, unique=True)
    lat = models.FloatField()
    lng = models.FloatField()
    acquired_at = models.DateTimeField(db_index=True)  # acq_date + acq_time, UTC
    satellite = models.CharField(max_length=8)
    instrument = models.CharField(max_length=8)
    confidence = models.CharField(max_length=8, choices=Confidence.choices)
    confidence_raw = models.CharField(max_length=8)
    brightness = models.FloatField()  # I-4 (VIIRS) or band 21/22 (MODIS), kelvin
    brightness_2 = models.FloatField(null=True, blank=True)  # I-5 / band 31, kelvin
    scan = models.FloatField(null=True, blank=True)
    track = models.FloatField(null=True, blank=True)
    frp = models.FloatField()  # fire radiative power, MW
    daynight = models.CharField(max_length=1, blank=True)
    fire_type = models.PositiveSmallIntegerField(null=True, blank=True)  # archive files only
    version = models.CharField(max_length=12)
    desa_code = models.CharField(max_length=20, db_index=True)
    desa_name = models.CharField(max_length=120)
    kecamatan_code = models.CharField(max_length=20)
    kecamatan_name = models.CharField(max_length=120)
    approximate = models.BooleanField(default=False)  # just outside every polygon
    event = models.ForeignKey(
        FireEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="hotspots"
    )
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["acquired_at", "pk"]

    def __str__(self) -> str:
        return f"{self.lat:.4f},{self.lng:.4f} {self.acquired_at:%Y-%m-%d %H:%M}"


class GroupingState(models.Model):
    """One row, locked while hotspots are added and grouped, so two imports never interleave."""

    key = models.CharField(max_length=16, unique=True, default="fires")
    runs = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class CheckStatus(models.TextChoices):
    ASSIGNED = "ditugaskan", _("Assigned")
    DONE = "selesai", _("Reported")
    CANCELLED = "dibatalkan", _("Cancelled")


class GroundCheck(models.Model):
    """A field visit to an event: assigned to a desa (its operators and kepala desa) or to a
    person (a BPBD/Damkar team leader), answered from a phone with a photo."""

    event = models.ForeignKey(FireEvent, on_delete=models.CASCADE, related_name="checks")
    status = models.CharField(
        max_length=12, choices=CheckStatus.choices, default=CheckStatus.ASSIGNED, db_index=True
    )
    assignee_region_code = models.CharField(max_length=20, blank=True, db_index=True)
    assignee_region_name = models.CharField(max_length=120, blank=True)
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fire_checks",
    )
    instructions = models.TextField(blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=CheckResult.choices, blank=True)
    note = models.TextField(blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    photo = models.FileField(upload_to="fires/%Y/%m/", blank=True)
    thumbnail = models.FileField(upload_to="fires/%Y/%m/", blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at", "-pk"]
        constraints = [
            # One open check per event: a second assignment is a conflict, not a duplicate.
            models.UniqueConstraint(
                fields=["event"],
                condition=Q(status="ditugaskan"),
                name="fire_one_open_check_per_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id}/{self.pk}"


class EventIncident(models.Model):
    """A 119 fire incident (citizen report or call) near a satellite event."""

    event = models.ForeignKey(FireEvent, on_delete=models.CASCADE, related_name="incidents")
    incident_ref = models.CharField(max_length=16)
    distance_m = models.FloatField()
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "incident_ref"], name="fire_event_incident")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} ↔ {self.incident_ref}"


class Channel(models.TextChoices):
    IN_APP = "aplikasi", _("In-app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS/WhatsApp")


class AlertStatus(models.TextChoices):
    PENDING = "menunggu", _("Waiting")
    SENT = "terkirim", _("Delivered")
    FAILED = "gagal", _("Failed")


class AlertKind(models.TextChoices):
    NEW_EVENT = "kejadian_baru", _("New fire event")
    DIGEST = "ringkasan", _("Morning summary")
    SENSOR_OFFLINE = "sensor_mati", _("Sensor offline")


class FireAlert(models.Model):
    """One message to one person on one channel. `key` names what it is about (an event, a
    day's summary, a sensor outage) and is unique with the recipient and channel: the same
    thing is never sent twice."""

    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    key = models.CharField(max_length=60)
    event = models.ForeignKey(
        FireEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fire_alerts"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=200, blank=True)  # e-mail or phone used
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=AlertStatus.choices, default=AlertStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["key", "recipient", "channel"], name="fire_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.recipient_id} ({self.channel})"


class SensorKind(models.TextChoices):
    SMOKE = "asap", _("Smoke")
    HEAT = "panas", _("Heat")
    MULTI = "multi", _("Smoke and heat")


class Sensor(models.Model):
    """A detector in a building. Its secret signs every message (HMAC-SHA256); it is stored
    encrypted (the platform must recompute signatures, so a hash would not do)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=SensorKind.choices, default=SensorKind.SMOKE)
    building = models.CharField(max_length=160)
    address = models.CharField(max_length=300, blank=True)
    lat = models.FloatField()
    lng = models.FloatField()
    desa_code = models.CharField(max_length=20, db_index=True)
    desa_name = models.CharField(max_length=120)
    kecamatan_code = models.CharField(max_length=20)
    kecamatan_name = models.CharField(max_length=120)
    agency_id = models.IntegerField(null=True, blank=True, db_index=True)  # owner agency
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    heartbeat_seconds = models.PositiveIntegerField(default=300)
    online = models.BooleanField(default=False)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    offline_since = models.DateTimeField(null=True, blank=True)
    last_alarm_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class MessageChannel(models.TextChoices):
    MQTT = "mqtt", "MQTT"
    HTTP = "http", _("Webhook")


class MessageOutcome(models.TextChoices):
    ACCEPTED = "diterima", pgettext_lazy("sensor message", "Accepted")
    REFUSED = "ditolak", _("Refused")


class SensorMessage(models.Model):
    """Every message a sensor (or something claiming to be one) sent, with what became of it."""

    sensor = models.ForeignKey(
        Sensor, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    claimed_code = models.CharField(max_length=80, blank=True)
    channel = models.CharField(max_length=6, choices=MessageChannel.choices)
    message_type = models.CharField(max_length=12, blank=True)
    outcome = models.CharField(max_length=10, choices=MessageOutcome.choices)
    reason = models.CharField(max_length=60, blank=True)  # a stable error code
    detail = models.CharField(max_length=300, blank=True)
    incident_ref = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.claimed_code} {self.outcome} {self.reason}"


class SensorNonce(models.Model):
    """Nonces seen inside the replay window; a second message with the same one is a replay."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sensor", "nonce"], name="sensor_nonce_once")
        ]

    def __str__(self) -> str:
        return self.nonce
