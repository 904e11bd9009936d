from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    WARGA = "warga", _("Citizen")
    OPERATOR_DESA = "operator_desa", _("Village operator")
    KEPALA_DESA = "kepala_desa", _("Village head")
    OPERATOR_KECAMATAN = "operator_kecamatan", _("District operator")
    PETUGAS_OPD = "petugas_opd", _("Agency officer")
    KEPALA_OPD = "kepala_opd", _("Agency head")
    DISPATCHER = "dispatcher", _("Emergency dispatcher")
    DEWAN = "dewan", _("Smart City Council")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = frozenset(r for r in Role if r != Role.WARGA)


class Sex(models.TextChoices):
    MALE = "L", _("Male")
    FEMALE = "P", _("Female")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: object) -> User:
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One account for every face. Citizens sign in with their e-mail or phone number, staff with
    a username; roles come from memberships, not from flags on the user."""

    username = models.CharField(_("username"), max_length=150, unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    email = models.EmailField(_("e-mail"), max_length=254, null=True, blank=True, unique=True)
    phone = models.CharField(_("phone"), max_length=20, null=True, blank=True, unique=True)
    language = models.CharField(_("language"), max_length=8, default="id")
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo account"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "id"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.username


class Agency(models.Model):
    """An agency of the regency (Organisasi Perangkat Daerah, OPD)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agency (OPD)")
        verbose_name_plural = _("agencies (OPD)")
        ordering = ["short_name"]

    def __str__(self) -> str:
        return self.short_name


class Membership(models.Model):
    """One role a user holds, in an agency and/or a region. No region means the whole tree
    the platform runs (the regency)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("agency"),
    )
    region = models.ForeignKey(
        "regions.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
    )
    # Denormalised from region for prefix matching without a join.
    region_code = models.CharField(_("region code"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "agency", "region"],
                name="membership_unique_role_scope",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["user", "is_active"], name="membership_user_active_idx")]

    def __str__(self) -> str:
        parts = [self.get_role_display()]
        if self.agency_id:
            parts.append(str(self.agency))
        if self.region_id:
            parts.append(self.region_code)
        return " · ".join(str(p) for p in parts)


class CitizenProfile(models.Model):
    """A citizen's identity. NIK and KK are personal data (UU 27/2022): stored encrypted, with a
    keyed hash for exact lookup, and never written to logs or the audit trail in clear."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="citizen")
    nik_encrypted = models.TextField()
    nik_hash = models.CharField(max_length=64, unique=True)
    nik_last4 = models.CharField(max_length=4)
    nik_region_prefix = models.CharField(max_length=4, help_text="first 4 digits, for masking")
    kk_encrypted = models.TextField(blank=True)
    kk_hash = models.CharField(max_length=64, blank=True, db_index=True)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    desa = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    desa_code = models.CharField(max_length=20, db_index=True)
    kecamatan_code = models.CharField(max_length=20, db_index=True)
    dukcapil_status = models.CharField(_("Dukcapil check"), max_length=20, default="unchecked")
    dukcapil_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("citizen identity")
        verbose_name_plural = _("citizen identities")

    def __str__(self) -> str:
        return f"{self.user} ({self.nik_masked})"

    @property
    def nik_masked(self) -> str:
        return f"{self.nik_region_prefix}********{self.nik_last4}"


class ApiToken(models.Model):
    """A personal access token for integrations. Only its SHA-256 is stored; the token itself is
    shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expiry_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
