from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilConfig(AppConfig):
    name = "kotacerdas.council"
    label = "council"
    verbose_name = _("Smart City Council")

    def ready(self) -> None:
        from . import faces, indicators  # noqa: F401  (registers face entries and indicators)
