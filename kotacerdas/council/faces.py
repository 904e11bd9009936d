"""What the council app puts on the three faces (registered from CouncilConfig.ready())."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kotacerdas.core.models import Dimension
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
