from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "kotacerdas.emergency"
    label = "emergency"
    verbose_name = _("119 emergency desk")

    def ready(self) -> None:
        # Registers portal/back-office entries, indicators, audit phrases and periodic jobs.
        from . import faces, indicators  # noqa: F401
