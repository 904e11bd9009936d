from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotspotsConfig(AppConfig):
    name = "kotacerdas.hotspots"
    label = "hotspots"
    verbose_name = _("Fire detection")

    def ready(self) -> None:
        # Registers portal/back-office entries, indicators, audit phrases, periodic jobs and
        # the hook that links 119 fire incidents to satellite events.
        from . import faces, indicators, linking  # noqa: F401
