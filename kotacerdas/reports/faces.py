"""What the reports app puts on the faces, its audit phrases and its periodic job (registered
from ReportsConfig.ready())."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kotacerdas.core.audit_text import register_phrase
from kotacerdas.core.dimensions import Dimension
from kotacerdas.core.registry import (
    BackofficeModule,
    PortalService,
    register_backoffice_module,
    register_portal_service,
)
from kotacerdas.core.schedule import Periodic, register_periodic

from . import policy

register_portal_service(
    PortalService(
        key="reports",
        dimension=Dimension.GOVERNANCE,
        title=_("Reports and aspirations"),
        description=_("Report a problem or share an idea, and follow it until it is solved."),
        url_name="reports:list",
        icon="megaphone",
        order=10,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="reports.queue",
        title=_("Citizen reports"),
        description=_("The reports routed to you, with their deadlines."),
        url_name="reports_kantor:queue",
        permission=policy.VIEW,
        order=20,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="reports.performance",
        title=_("Report performance"),
        description=_("Figures per agency and the overdue list."),
        url_name="reports_kantor:performance",
        permission=policy.VIEW_PERFORMANCE,
        order=21,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="reports.catalogue",
        title=_("Report catalogue"),
        description=_("Categories, routing, deadlines, reply templates and policy."),
        url_name="reports_kantor:catalogue",
        permission=policy.MANAGE_CATALOGUE,
        order=85,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="reports.open311",
        title=_("Open311 apps"),
        description=_("API keys for third-party apps that file reports."),
        url_name="reports_kantor:open311_clients",
        permission=policy.MANAGE_OPEN311,
        order=86,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="reports.agenda",
        title=_("Aspirations on the agenda"),
        description=_("Aspirations with enough public support, waiting for a response."),
        url_name="reports_kantor:agenda",
        permission=policy.RESPOND_ASPIRATION,
        order=15,
    )
)

register_periodic(
    Periodic("reports.escalate", "kotacerdas.reports.tasks.reports_escalate", "*/15 * * * *")
)

_PHRASES = {
    "created": _("%(actor)s filed the report %(object)s"),
    "supported": _("%(actor)s supported the report %(object)s"),
    "verified": _("%(actor)s verified the report %(object)s"),
    "rejected": _("%(actor)s rejected the report %(object)s"),
    "forwarded": _("%(actor)s forwarded the report %(object)s"),
    "question_asked": _("%(actor)s asked the reporter of %(object)s a question"),
    "answered": _("%(actor)s answered a question on the report %(object)s"),
    "progressed": _("%(actor)s recorded progress on the report %(object)s"),
    "completed": _("%(actor)s completed the report %(object)s"),
    "confirmed": _("%(actor)s confirmed the result of the report %(object)s"),
    "reopened": _("%(actor)s disputed the result and reopened the report %(object)s"),
    "rated": _("%(actor)s rated the handling of the report %(object)s"),
    "escalated": _("%(actor)s escalated the overdue report %(object)s"),
    "closed": _("%(actor)s closed the report %(object)s"),
    "council_responded": _("%(actor)s answered the aspiration %(object)s for the Council"),
}
for verb, phrase in _PHRASES.items():
    register_phrase(f"kotacerdas.reports.report.{verb}", phrase)
register_phrase(
    "kotacerdas.reports.category.created", _("%(actor)s created the category %(object)s")
)
register_phrase(
    "kotacerdas.reports.category.updated", _("%(actor)s changed the category %(object)s")
)
register_phrase(
    "kotacerdas.reports.template.saved", _("%(actor)s saved the reply template %(object)s")
)
register_phrase("kotacerdas.reports.policy.updated", _("%(actor)s changed the reports policy"))
register_phrase(
    "kotacerdas.reports.catalogue.imported", _("%(actor)s imported the report catalogue")
)
register_phrase(
    "kotacerdas.reports.open311_client.created", _("%(actor)s issued an Open311 key to %(object)s")
)
register_phrase(
    "kotacerdas.reports.open311_client.revoked",
    _("%(actor)s revoked the Open311 key of %(object)s"),
)
