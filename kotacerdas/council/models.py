from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kotacerdas.core.dimensions import Dimension


class ProgramStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    AT_RISK = "at_risk", _("At risk")
    DONE = "done", _("Done")
    HALTED = "halted", _("Halted")


# The look of each status in lists (classes of static/src/app.css).
STATUS_TAG_CLASSES: dict[str, str] = {
    ProgramStatus.PLANNED: "tag-muted",
    ProgramStatus.RUNNING: "tag-info",
    ProgramStatus.AT_RISK: "tag-warn",
    ProgramStatus.DONE: "tag-ok",
    ProgramStatus.HALTED: "tag-danger",
}


class Program(models.Model):
    """A program of the Smart City masterplan, owned by one agency."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    description = models.TextField(_("description"), blank=True)
    owner_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner agency"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProgramStatus.choices, default=ProgramStatus.PLANNED
    )
    is_quick_win = models.BooleanField(_("quick win"), default=False)
    is_demo = models.BooleanField(_("demo data"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("masterplan program")
        verbose_name_plural = _("masterplan programs")
        ordering = ["dimension", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def status_tag_class(self) -> str:
        return STATUS_TAG_CLASSES.get(self.status, "tag-muted")

    @property
    def year_target(self) -> ProgramTarget | None:
        """The target of the year the selector was asked for (prefetched by
        council.selectors.program_list as `year_targets`; never a query of its own)."""
        targets = self.__dict__.get("year_targets")
        if targets is None:
            raise AttributeError("year_targets not prefetched: use council.selectors.program_list")
        return targets[0] if targets else None

    @property
    def loaded_targets(self) -> list[ProgramTarget]:
        """Every year's target, oldest first, as prefetched by council.selectors.program_get and
        program_export (`all_targets`; never a query of its own)."""
        targets = self.__dict__.get("all_targets")
        if targets is None:
            raise AttributeError("all_targets not prefetched: use council.selectors.program_get")
        return targets


class ProgramTarget(models.Model):
    """A program's target and realisation for one year."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"))
    indicator = models.CharField(_("measure"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    realisation = models.DecimalField(
        _("realisation"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("program target")
        verbose_name_plural = _("program targets")
        ordering = ["program_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["program", "year"], name="program_target_year_uniq"),
            models.CheckConstraint(condition=models.Q(target__gte=0), name="program_target_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year}"

    @property
    def percent(self) -> float | None:
        if self.realisation is None or not self.target:
            return None
        return round(float(self.realisation) / float(self.target) * 100, 1)
