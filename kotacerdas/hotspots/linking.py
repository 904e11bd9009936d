"""A fire reported to the 119 desk (citizen button, phone call, sensor alarm) is linked to the
satellite fire events near it. The desk announces new fire incidents with a signal (it knows
nothing of this module); the link is made here after the desk's commit."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from kotacerdas.emergency.signals import fire_incident_opened

logger = logging.getLogger("kotacerdas.hotspots")


@receiver(fire_incident_opened, dispatch_uid="hotspots.link_fire_incident")
def on_fire_incident(
    sender: Any, *, ref: str, lat: float, lng: float, received_at: Any, **_: Any
) -> None:
    from .services import link_incident

    try:
        link_incident(ref=ref, lat=lat, lng=lng, received_at=received_at)
    except Exception:  # the call is on the desk already; linking is a bonus
        logger.exception("linking fire incident %s to satellite events failed", ref)
