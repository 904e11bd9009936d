from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import selectors


@require_GET
def region_map(request: HttpRequest) -> HttpResponse:
    """The portal map of kecamatan and desa/kelurahan, with a list that works without JS."""
    root = settings.KOTACERDAS_REGION_ROOT
    kecamatan = selectors.region_map_summary(root_code=root)
    geojson = reverse("api-v1:region_geojson")
    config = {
        "kecamatanUrl": f"{geojson}?{urlencode({'level': 'kecamatan', 'parent': root})}",
        "desaUrl": f"{geojson}?{urlencode({'level': 'desa', 'parent': root})}",
        "lookupUrl": reverse("api-v1:region_lookup"),
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "desaMinZoom": 11,
        "strings": {
            "kecamatan": _("Kecamatan"),
            "desa": _("Desa"),
            "kelurahan": _("Kelurahan"),
            "code": _("Code"),
            "level": _("Level"),
            "kecamatanLayer": _("Kecamatan"),
            "desaLayer": _("Desa/kelurahan"),
            "locating": _("Finding your location…"),
            "youAreIn": _("You are in %(desa)s, kecamatan %(kecamatan)s."),
            "youAreNear": _("You are near %(desa)s, kecamatan %(kecamatan)s (about %(m)s m away)."),
            "outside": _("Your location is outside %(region)s.")
            % {"region": settings.KOTACERDAS_REGION_NAME},
            "noGeolocation": _("Your browser cannot share its location."),
            "denied": _("We could not get your location. Allow location access and try again."),
            "failed": _("The map data could not be loaded. The list below has every region."),
            "lookupFailed": _("We could not look up your location. Please try again."),
        },
    }
    context = {
        "kecamatan_list": kecamatan,
        "totals": {
            "kecamatan": len(kecamatan),
            "desa": sum(k["desa_count"] for k in kecamatan),
            "kelurahan": sum(k["kelurahan_count"] for k in kecamatan),
        },
        "map_config": config,
    }
    return render(request, "regions/map.html", context)
