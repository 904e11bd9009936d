from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        from .selectors import notification_unread_count

        unread = notification_unread_count(actor=user)
    return {
        "PLATFORM_REGION_NAME": settings.KOTACERDAS_REGION_NAME,
        "PLATFORM_REGION_ROOT": settings.KOTACERDAS_REGION_ROOT,
        "DEMO_MODE": settings.KOTACERDAS_DEMO,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        "unread_notifications": unread,
    }
