"""What fire detection puts on the faces, its audit phrases and its periodic jobs (registered
from HotspotsConfig.ready())."""

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
        key="fires.hotspots",
        dimension=Dimension.ENVIRONMENT,
        title=_("Hotspot map"),
        description=_("Satellite hotspots and fire events in the regency, day by day."),
        url_name="hotspots:public_map",
        icon="flame",
        order=30,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="fires.map",
        title=_("Fire detection"),
        description=_("Hotspots, fire events, ground checks and imports."),
        url_name="hotspots_kantor:map",
        permission=policy.VIEW,
        order=8,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="fires.checks",
        title=_("My ground checks"),
        description=_("Fire events to check on the ground, answered from the phone."),
        url_name="hotspots_kantor:checks",
        permission=policy.GROUND_CHECK,
        order=9,
    )
)
register_backoffice_module(
    BackofficeModule(
        key="fires.sensors",
        title=_("Fire sensors"),
        description=_("Smoke and heat sensors in buildings: status, keys and messages."),
        url_name="hotspots_kantor:sensors",
        permission=policy.MANAGE_SENSORS,
        order=10,
    )
)

for _action, _phrase in (
    ("import.done", _("%(actor)s imported hotspots from %(object)s")),
    ("import.refused", _("%(actor)s tried to import %(object)s; it was refused")),
    ("event.merged", _("Fire events %(object)s were merged")),
    ("event.linked", _("Fire event %(object)s was linked to a 119 incident")),
    ("event.ditangani", _("%(actor)s marked fire event %(object)s as being handled")),
    ("event.padam", _("%(actor)s marked fire event %(object)s as extinguished")),
    ("check.assigned", _("%(actor)s asked for a ground check of %(object)s")),
    ("check.answered", _("%(actor)s reported the ground check of %(object)s")),
    ("check.cancelled", _("%(actor)s cancelled the ground check of %(object)s")),
    ("sensor.created", _("%(actor)s registered sensor %(object)s")),
    ("sensor.rekeyed", _("%(actor)s issued a new key for sensor %(object)s")),
    ("sensor.revoked", _("%(actor)s revoked sensor %(object)s")),
    ("sensor.offline", _("Sensor %(object)s went offline")),
    ("sensor.back_online", _("Sensor %(object)s is back online")),
):
    register_phrase(f"kotacerdas.hotspots.{_action}", _phrase)

for _job in (
    Periodic("fires.firms_fetch", "kotacerdas.hotspots.tasks.firms_fetch", "*/30 * * * *"),
    Periodic(
        "fires.alerts_requeue", "kotacerdas.hotspots.tasks.fire_alerts_requeue", "*/5 * * * *"
    ),
    Periodic("fires.morning_digest", "kotacerdas.hotspots.tasks.fire_morning_digest", "0 6 * * *"),
    Periodic(
        "fires.sensors_offline", "kotacerdas.hotspots.tasks.sensors_check_offline", "* * * * *"
    ),
    Periodic("fires.nonces_prune", "kotacerdas.hotspots.tasks.sensor_nonces_prune", "41 * * * *"),
):
    register_periodic(_job)
