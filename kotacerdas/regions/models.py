from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINSI = "provinsi", _("Province")
    KABUPATEN = "kabupaten", _("Regency")
    KOTA = "kota", _("City")
    KECAMATAN = "kecamatan", _("District (kecamatan)")
    KELURAHAN = "kelurahan", _("Urban village (kelurahan)")
    DESA = "desa", _("Village (desa)")


VILLAGE_LEVELS = (Level.DESA, Level.KELURAHAN)


class Region(models.Model):
    """A node of the Kemendagri region tree. The dotted code is hierarchical, so "inside X" is a
    prefix match (`code == X or code startswith X + "."`) on an indexed column."""

    code = models.CharField(_("Kemendagri code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # The parent's code even when the parent is outside the imported tree (the kabupaten row
    # points at its province).
    parent_code = models.CharField(_("parent code"), max_length=20, blank=True, db_index=True)
    lat = models.FloatField(_("centroid latitude"), null=True, blank=True)
    lng = models.FloatField(_("centroid longitude"), null=True, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    # Boundary as GeoJSON geometry text, with its bounding box for cheap filtering.
    geometry = models.TextField(_("boundary (GeoJSON)"), blank=True)
    min_lng = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lng = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [
            models.Index(
                fields=["code"], name="region_code_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_village(self) -> bool:
        return self.level in VILLAGE_LEVELS
