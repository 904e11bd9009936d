"""Citizen reports and aspirations (pengaduan & aspirasi).

A report moves through a fixed set of states (`Status`, transitions in `TRANSITIONS`), enforced
by services.py; every move leaves a `ReportEvent` on the timeline (what the citizen and the
public see) and an audit event (what the back office sees). The service catalogue
(`Category`) is data: its routing rule says which agency and which region level handles a
category, and its SLA how many working days each stage may take.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kotacerdas.core.dimensions import Dimension


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    ASPIRATION = "aspiration", _("Aspiration")


class HandlingLevel(models.TextChoices):
    """Who handles a category: the agency's officers, or the staff of the report's kecamatan or
    desa (the agency still sees it and answers for it)."""

    AGENCY = "agency", _("Agency")
    KECAMATAN = "kecamatan", _("Kecamatan")
    DESA = "desa", _("Desa/kelurahan")


class Status(models.TextChoices):
    NEW = "baru", _("New")
    VERIFIED = "diverifikasi", _("Verified")
    FORWARDED = "didisposisikan", _("Forwarded")
    IN_PROGRESS = "diproses", _("In progress")
    COMPLETED = "selesai", _("Completed")
    CLOSED = "ditutup", _("Closed")
    REJECTED = "ditolak", _("Rejected")
    REOPENED = "dibuka_kembali", _("Reopened")


# The flow. Services refuse every other move (reports.status.transition_forbidden).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.VERIFIED, Status.REJECTED, Status.FORWARDED}),
    Status.VERIFIED: frozenset({Status.FORWARDED, Status.IN_PROGRESS, Status.COMPLETED}),
    # A report forwarded before anyone verified it is verified (or rejected) by its new agency.
    Status.FORWARDED: frozenset(
        {
            Status.VERIFIED,
            Status.REJECTED,
            Status.FORWARDED,
            Status.IN_PROGRESS,
            Status.COMPLETED,
        }
    ),
    Status.IN_PROGRESS: frozenset({Status.FORWARDED, Status.COMPLETED}),
    Status.COMPLETED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.REOPENED: frozenset({Status.FORWARDED, Status.IN_PROGRESS, Status.COMPLETED}),
    Status.CLOSED: frozenset(),
    Status.REJECTED: frozenset(),
}
OPEN_STATUSES = frozenset(
    {Status.NEW, Status.VERIFIED, Status.FORWARDED, Status.IN_PROGRESS, Status.REOPENED}
)
# Open311 knows two states: open and closed.
OPEN311_CLOSED = frozenset({Status.COMPLETED, Status.CLOSED, Status.REJECTED})

STATUS_TAG_CLASSES: dict[str, str] = {
    Status.NEW: "tag-info",
    Status.VERIFIED: "tag-info",
    Status.FORWARDED: "tag-info",
    Status.IN_PROGRESS: "tag-warn",
    Status.COMPLETED: "tag-ok",
    Status.CLOSED: "tag-muted",
    Status.REJECTED: "tag-danger",
    Status.REOPENED: "tag-warn",
}


class Category(models.Model):
    """One entry of the service catalogue; `code` is its Open311 service_code."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    description = models.TextField(_("description (Indonesian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    group = models.CharField(_("group"), max_length=80, blank=True)
    keywords = models.CharField(
        _("search words"), max_length=300, blank=True, help_text=_("Separated by spaces.")
    )
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible agency"),
    )
    handling_level = models.CharField(
        _("handled by"),
        max_length=12,
        choices=HandlingLevel.choices,
        default=HandlingLevel.AGENCY,
    )
    sla_verify_days = models.PositiveSmallIntegerField(
        _("days to verify"), default=3, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    sla_plan_days = models.PositiveSmallIntegerField(
        _("days to a follow-up plan"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    sla_complete_days = models.PositiveSmallIntegerField(
        _("days to complete"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    # Open311 attribute definitions: [{"code", "datatype", "required", "description", "order",
    # "values": [{"key", "name"}]}]; datatype is one of services.ATTRIBUTE_DATATYPES.
    attributes = models.JSONField(_("extra questions"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str = "id") -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def display_description(self, language: str = "id") -> str:
        return self.description_en if language == "en" and self.description_en else self.description


class ReplyTemplate(models.Model):
    """A ready answer officers start from; without a category it applies to all."""

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reply_templates",
        verbose_name=_("category"),
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class ReportPolicy(models.Model):
    """Business policy that administrators change without a deploy (one row, pk=1)."""

    aspiration_threshold = models.PositiveIntegerField(
        _("supports that put an aspiration on the Council's agenda"),
        default=25,
        validators=[MinValueValidator(1)],
    )
    reopen_window_days = models.PositiveSmallIntegerField(
        _("days a citizen may confirm or dispute a result"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    escalate_to_head_after_days = models.PositiveSmallIntegerField(
        _("working days overdue before the agency head is alerted"),
        default=0,
        validators=[MaxValueValidator(30)],
    )
    escalate_to_central_after_days = models.PositiveSmallIntegerField(
        _("working days overdue before Diskominfo is alerted"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reports policy")
        verbose_name_plural = _("reports policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class Source(models.TextChoices):
    PORTAL = "portal", _("Portal")
    API = "api", _("App (API)")
    OPEN311 = "open311", _("Open311 app")


class Report(models.Model):
    ref = models.CharField(_("number"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="reports", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    attributes = models.JSONField(_("extra answers"), default=dict, blank=True)
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    address = models.CharField(_("landmark"), max_length=200, blank=True)
    desa_code = models.CharField(_("desa/kelurahan"), max_length=20, db_index=True)
    kecamatan_code = models.CharField(_("kecamatan"), max_length=20, db_index=True)
    desa_name = models.CharField(max_length=100)
    kecamatan_name = models.CharField(max_length=100)
    location_approximate = models.BooleanField(default=False)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        verbose_name=_("reporter"),
    )
    # Contact given by an Open311 app for a person without an account (personal data: shown
    # to handling officers only, never when anonymous, never publicly).
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    is_confidential = models.BooleanField(_("confidential"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    open311_client = models.ForeignKey(
        "reports.Open311Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handling agency"),
    )
    handling_level = models.CharField(max_length=12, choices=HandlingLevel.choices)
    awaiting_citizen = models.BooleanField(_("waiting for the reporter"), default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    created_at = models.DateTimeField(_("filed"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    completion_due_at = models.DateTimeField(_("to be completed by"))
    first_response_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    completed_within_sla = models.BooleanField(null=True)

    support_count = models.PositiveIntegerField(_("supports"), default=0)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    council_response = models.TextField(_("Council's response"), blank=True)
    council_responded_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The public list and Open311: newest first among what may be shown (a partial
            # index: the ordered scan stops after one page, whatever the table's size).
            models.Index(
                F("created_at").desc(),
                F("id").desc(),
                name="report_public_recent_idx",
                condition=Q(is_confidential=False) & ~Q(status="ditolak"),
            ),
            # The same, filtered by category, kecamatan or kind (the public filters).
            models.Index(
                F("category"),
                F("created_at").desc(),
                name="report_public_category_idx",
                condition=Q(is_confidential=False) & ~Q(status="ditolak"),
            ),
            models.Index(
                F("kecamatan_code"),
                F("created_at").desc(),
                name="report_public_kecamatan_idx",
                condition=Q(is_confidential=False) & ~Q(status="ditolak"),
            ),
            models.Index(
                F("kind"),
                F("created_at").desc(),
                name="report_public_kind_idx",
                condition=Q(is_confidential=False) & ~Q(status="ditolak"),
            ),
            # The nearby-duplicate check: same category, a latitude band.
            models.Index(fields=["category", "lat"], name="report_category_lat_idx"),
            models.Index(fields=["agency", "status"], name="report_agency_status_idx"),
            models.Index(fields=["kind", "support_count"], name="report_kind_support_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_tag_class(self) -> str:
        return STATUS_TAG_CLASSES.get(self.status, "tag-muted")


class PhotoStage(models.TextChoices):
    BEFORE = "before", _("Report")
    AFTER = "after", _("Result")


class ReportPhoto(models.Model):
    """A re-encoded JPEG (no EXIF) and its thumbnail. Served through a view that applies the
    report's visibility, never straight from the media directory."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(max_length=8, choices=PhotoStage.choices, default=PhotoStage.BEFORE)
    image = models.FileField(upload_to="reports/%Y/%m/")
    thumbnail = models.FileField(upload_to="reports/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.pk}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Filed")
    STATUS = "status", _("Status changed")
    FORWARDED = "forwarded", _("Forwarded")
    QUESTION = "question", _("Question to the reporter")
    ANSWER = "answer", _("Reporter's answer")
    PROGRESS = "progress", _("Progress")
    COMPLETED = "completed", _("Completed")
    CONFIRMED = "confirmed", _("Confirmed by the reporter")
    DISPUTED = "disputed", _("Disputed by the reporter")
    RATED = "rated", _("Rated")
    ESCALATED = "escalated", _("Escalated")
    COUNCIL = "council", _("Council's response")
    NOTE = "note", _("Internal note")


class ReportEvent(models.Model):
    """One entry of a report's timeline. `is_public` entries are shown to the public (when the
    report is); the rest only to the reporter (questions, answers) or the handlers (internal
    notes, escalations). `actor_label` is what the timeline shows: an agency or "Pelapor",
    never an officer's or a reporter's name."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_public = models.BooleanField(default=True)
    visible_to_reporter = models.BooleanField(default=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind}"


class ReportSupport(models.Model):
    """'Saya juga mengalami' on a complaint, or support for an aspiration: one per person."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="report_support_once")
        ]

    def __str__(self) -> str:
        return f"{self.report_id}+{self.user_id}"


class Open311Client(models.Model):
    """A third-party app allowed to POST requests to the Open311 API; its key is shown once
    and stored as a SHA-256 hash."""

    name = models.CharField(_("app name"), max_length=100)
    contact_email = models.EmailField(_("contact e-mail"))
    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 app")
        verbose_name_plural = _("Open311 apps")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
