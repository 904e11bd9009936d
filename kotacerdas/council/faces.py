"""What the council app puts on the three faces (registered from CouncilConfig.ready())."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kotacerdas.core.dimensions import Dimension
from kotacerdas.core.registry import (
    BackofficeModule,
    PortalService,
    register_backoffice_module,
    register_portal_service,
)

from .policy import CHANGE_PROGRAM, VIEW_DASHBOARD

register_backoffice_module(
    BackofficeModule(
        key="council.dashboard",
        title=_("Council dashboard"),
        description=_("Masterplan programs and the live indicators of every dimension."),
        url_name="council:dashboard",
        permission=VIEW_DASHBOARD,
        order=10,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="council.programs",
        title=_("Masterplan programs"),
        description=_("Create and edit the masterplan's programs and set their yearly targets."),
        url_name="council:program_list",
        permission=CHANGE_PROGRAM,
        order=90,
    )
)
register_portal_service(
    PortalService(
        key="council.open_data",
        dimension=Dimension.GOVERNANCE,
        title=_("Open data"),
        description=_("How the Smart City programs are doing, with figures you can download."),
        url_name="council:open_data",
        icon="chart",
        order=90,
    )
)

# The masterplan's services, announced on the portal until the module that delivers each one
# registers the same key with its URL (core.registry keeps the live entry).
_ANNOUNCED = [
    (
        "reports",
        Dimension.GOVERNANCE,
        _("Reports and aspirations"),
        _("Report a problem or share an idea, and follow it until it is solved."),
        10,
    ),
    (
        "village",
        Dimension.GOVERNANCE,
        _("Smart Village"),
        _("Your desa's information and services, online."),
        30,
    ),
    (
        "licensing",
        Dimension.GOVERNANCE,
        _("Integrated licensing"),
        _("Apply for permits in one place and follow their progress."),
        40,
    ),
    (
        "branding.profile",
        Dimension.BRANDING,
        _("Discover Kotawaringin Timur"),
        _("Tourism, culture and events of the regency."),
        10,
    ),
    (
        "payments",
        Dimension.ECONOMY,
        _("Electronic payments"),
        _("Pay taxes, retribusi and bills with QRIS or a virtual account."),
        10,
    ),
    (
        "emergency.ambulance",
        Dimension.LIVING,
        _("Free ambulance (PSC 119)"),
        _("Call an ambulance with one tap; it comes to your location."),
        10,
    ),
    (
        "emergency.fire",
        Dimension.LIVING,
        _("Report a fire"),
        _("Tell the fire brigade where the fire is, with one tap."),
        20,
    ),
    (
        "admission",
        Dimension.SOCIETY,
        _("School admission (SPMB)"),
        _("Register your child for school online and follow the selection."),
        10,
    ),
    (
        "hotspots",
        Dimension.ENVIRONMENT,
        _("Fire detection"),
        _("Forest and land fire hotspots near you, and alerts."),
        10,
    ),
    (
        "waste",
        Dimension.ENVIRONMENT,
        _("Waste management"),
        _("Collection schedules, waste banks and reporting uncollected waste."),
        20,
    ),
]
for _key, _dimension, _title, _description, _order in _ANNOUNCED:
    register_portal_service(
        PortalService(
            key=_key, dimension=_dimension, title=_title, description=_description, order=_order
        )
    )
