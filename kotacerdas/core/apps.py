from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kotacerdas.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from . import indicators  # noqa: F401  (registers the core's own indicators)
