from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "kotacerdas.regions"
    label = "regions"
    verbose_name = _("Regions")

    def ready(self) -> None:
        from kotacerdas.core.registry import PortalService, register_portal_service

        register_portal_service(
            PortalService(
                key="regions.map",
                dimension="governance",
                title=_("Region map"),
                description=_(
                    "The kecamatan and desa/kelurahan of the regency on a map: find which one "
                    "you live in."
                ),
                url_name="regions:map",
                icon="map",
                order=90,
            )
        )
