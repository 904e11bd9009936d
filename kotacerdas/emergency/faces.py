"""What the 119 desk puts on the faces, its audit phrases and its periodic job (registered from
EmergencyConfig.ready())."""

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
        key="emergency.ambulance",
        dimension=Dimension.LIVING,
        title=_("Free ambulance (PSC 119)"),
        description=_("Call an ambulance with one tap; it comes to your location."),
        url_name="emergency:ambulance",
        icon="ambulance",
        order=10,
    )
)
register_portal_service(
    PortalService(
        key="emergency.fire",
        dimension=Dimension.LIVING,
        title=_("Report a fire"),
        description=_("Tell the fire brigade where the fire is, with one tap."),
        url_name="emergency:fire",
        icon="flame",
        order=20,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="emergency.board",
        title=_("119 desk"),
        description=_("Live board of emergencies and units; record calls and dispatch."),
        url_name="emergency_kantor:board",
        permission=policy.DESK,
        order=5,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="emergency.crew",
        title=_("My unit (crew)"),
        description=_("Accept jobs, tap through the statuses and share the unit's position."),
        url_name="emergency_crew:home",
        permission=policy.CREW,
        order=6,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="emergency.performance",
        title=_("119 performance"),
        description=_("Response times per kecamatan and month, calls, unit utilisation."),
        url_name="emergency_kantor:performance",
        permission=policy.VIEW_PERFORMANCE,
        order=25,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="emergency.fleet",
        title=_("Stations and units"),
        description=_("Ambulance and fire posts, units, crews and river access times."),
        url_name="emergency_kantor:fleet",
        permission=policy.MANAGE_FLEET,
        order=80,
    )
)

register_periodic(
    Periodic("emergency.prune", "kotacerdas.emergency.tasks.desk_events_prune", "17 3 * * *")
)

_INCIDENT_PHRASES = {
    "called": _("%(actor)s called 119 from the app (%(object)s)"),
    "details_added": _("%(actor)s added details to the call %(object)s"),
    "recorded": _("%(actor)s recorded the phone call %(object)s"),
    "accepted": _("%(actor)s accepted the call %(object)s"),
    "triaged": _("%(actor)s changed the triage of %(object)s"),
    "dispatched": _("%(actor)s dispatched a unit to %(object)s"),
    "unit_released": _("%(actor)s released a unit from %(object)s"),
    "cancelled": _("%(actor)s cancelled the incident %(object)s"),
    "closed": _("%(actor)s closed the incident %(object)s"),
    "unit_diterima": _("%(actor)s accepted the job %(object)s for the unit"),
    "unit_berangkat": _("%(actor)s reported the unit en route to %(object)s"),
    "unit_di_lokasi": _("%(actor)s reported the unit on scene at %(object)s"),
    "unit_membawa_pasien": _("%(actor)s reported the unit transporting from %(object)s"),
    "unit_tiba_di_faskes": _("%(actor)s reported the unit at the facility for %(object)s"),
    "unit_tersedia": _("%(actor)s cleared the unit from %(object)s"),
}
for verb, phrase in _INCIDENT_PHRASES.items():
    register_phrase(f"kotacerdas.emergency.incident.{verb}", phrase)
for action, phrase in {
    "patient.viewed": _("%(actor)s read the patient details of %(object)s"),
    "patient.added": _("%(actor)s added a patient to %(object)s"),
    "patient.updated": _("%(actor)s changed a patient of %(object)s"),
    "unit.in_service": _("%(actor)s put the unit %(object)s back in service"),
    "unit.out_of_service": _("%(actor)s took the unit %(object)s out of service"),
    "unit.created": _("%(actor)s added the unit %(object)s"),
    "unit.updated": _("%(actor)s changed the unit %(object)s"),
    "unit.crew_set": _("%(actor)s set the crew of %(object)s"),
    "station.created": _("%(actor)s added the station %(object)s"),
    "station.updated": _("%(actor)s changed the station %(object)s"),
    "desa_access.saved": _("%(actor)s set the access time of the desa %(object)s"),
    "desa_access.removed": _("%(actor)s removed the access time of the desa %(object)s"),
}.items():
    register_phrase(f"kotacerdas.emergency.{action}", phrase)
