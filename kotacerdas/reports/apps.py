from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "kotacerdas.reports"
    label = "reports"
    verbose_name = _("Reports and aspirations")

    def ready(self) -> None:
        # Registers portal/back-office entries, indicators, audit phrases and periodic jobs.
        from . import faces, indicators  # noqa: F401
