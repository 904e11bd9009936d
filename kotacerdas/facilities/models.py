from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SCHOOL = "school", _("School")
    HEALTH = "health", _("Health facility")


class Facility(models.Model):
    """A public facility from a reference list (schools by NPSN, health facilities by their
    Kemenkes code). A neutral table: admission and the emergency desk read it through
    facilities.selectors and keep their own operational data in their own apps."""

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=32, help_text=_("NPSN or Kemenkes code"))
    name = models.CharField(_("name"), max_length=200)
    subtype = models.CharField(_("type"), max_length=30, help_text=_("SD, SMP, puskesmas, ..."))
    ownership = models.CharField(_("ownership"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # Kecamatan from the source list, desa from point-in-polygon where the point lies inside.
    kecamatan_code = models.CharField(_("kecamatan"), max_length=20, db_index=True)
    region_code = models.CharField(_("region"), max_length=20, db_index=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="facility_kind_code_uniq")
        ]

    def __str__(self) -> str:
        return self.name
