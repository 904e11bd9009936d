"""Travel time: the one routing interface of the platform (ARCHITECTURE.md).

No module computes travel time on its own; it asks `travel_seconds(origins, destination)`.
Two routers answer:

- `StraightLineRouter` (the default): great-circle distance × a circuity factor ÷ a speed that
  depends on the area type of both ends (urban when both are kelurahan, rural otherwise). The
  factors are settings (`ROUTING_CIRCUITY`, `ROUTING_SPEED_URBAN_KMH`, `ROUTING_SPEED_RURAL_KMH`).
- `OsrmTableRouter`: an OSRM-compatible table service (`ROUTING_OSRM_URL`), one request per
  question (`/table/v1/{profile}/{coords}?sources=…&destinations=…&annotations=duration`). A
  null duration in the answer means "no road": the caller gets None for that origin. When the
  service does not answer, the straight-line estimate is used and the answer says so, because a
  dispatcher must always get a ranking.

Places with no road at all (river-only villages) are not the router's business: the caller
applies its own fixed access-time overrides (the emergency desk does, per desa and station).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings

from .geo import haversine_m_array

log = logging.getLogger(__name__)

URBAN = "urban"
RURAL = "rural"


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lng: float
    area: str = RURAL  # URBAN or RURAL


@dataclass(frozen=True, slots=True)
class TravelAnswer:
    """Seconds from each origin to the destination (None: no road), and which router said so."""

    seconds: list[float | None]
    distances_m: list[float]  # straight-line, for display and tie-breaking
    source: str  # "straight_line", "osrm" or "straight_line_fallback"


def _straight_distances(origins: Sequence[Place], destination: Place) -> np.ndarray:
    if not origins:
        return np.zeros(0)
    return haversine_m_array(
        destination.lat, destination.lng, [o.lat for o in origins], [o.lng for o in origins]
    )


class StraightLineRouter:
    name = "straight_line"

    def __init__(self, *, circuity: float, urban_kmh: float, rural_kmh: float) -> None:
        if circuity < 1.0 or urban_kmh <= 0 or rural_kmh <= 0:
            raise ValueError("circuity must be >= 1 and speeds positive")
        self.circuity = circuity
        self.urban_ms = urban_kmh / 3.6
        self.rural_ms = rural_kmh / 3.6

    def speed_ms(self, origin: Place, destination: Place) -> float:
        both_urban = origin.area == URBAN and destination.area == URBAN
        return self.urban_ms if both_urban else self.rural_ms

    def travel(self, origins: Sequence[Place], destination: Place) -> TravelAnswer:
        distances = _straight_distances(origins, destination)
        urban_dest = destination.area == URBAN
        speeds = np.array(
            [self.urban_ms if (urban_dest and o.area == URBAN) else self.rural_ms for o in origins],
            dtype=float,
        )
        seconds = distances * self.circuity / speeds if len(origins) else distances
        return TravelAnswer(
            seconds=[float(s) for s in seconds],
            distances_m=[float(d) for d in distances],
            source=self.name,
        )


class OsrmTableRouter:
    """An OSRM `table` service (also served by Valhalla's OSRM-compatible mode and others)."""

    name = "osrm"

    def __init__(
        self, *, base_url: str, profile: str, timeout: float, fallback: StraightLineRouter
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout = timeout
        self.fallback = fallback

    def url_for(self, origins: Sequence[Place], destination: Place) -> str:
        coords = ";".join(f"{p.lng:.6f},{p.lat:.6f}" for p in [*origins, destination])
        sources = ";".join(str(i) for i in range(len(origins)))
        return (
            f"{self.base_url}/table/v1/{self.profile}/{coords}"
            f"?sources={sources}&destinations={len(origins)}&annotations=duration"
        )

    def travel(self, origins: Sequence[Place], destination: Place) -> TravelAnswer:
        if not origins:
            return TravelAnswer(seconds=[], distances_m=[], source=self.name)
        distances = [float(d) for d in _straight_distances(origins, destination)]
        try:
            with urllib.request.urlopen(  # noqa: S310 (the URL is the operator's setting)
                self.url_for(origins, destination), timeout=self.timeout
            ) as response:
                body = json.load(response)
            if body.get("code") != "Ok":
                raise ValueError(f"OSRM answered {body.get('code')!r}")
            rows = body["durations"]
            seconds = [None if row[0] is None else float(row[0]) for row in rows]
            if len(seconds) != len(origins):
                raise ValueError("OSRM answered a table of the wrong size")
        except (OSError, ValueError, KeyError, TypeError, IndexError, urllib.error.URLError) as exc:
            log.warning("routing: OSRM table failed (%s); using the straight-line estimate", exc)
            answer = self.fallback.travel(origins, destination)
            return TravelAnswer(
                seconds=answer.seconds,
                distances_m=answer.distances_m,
                source=f"{answer.source}_fallback",
            )
        return TravelAnswer(seconds=seconds, distances_m=distances, source=self.name)


Router = StraightLineRouter | OsrmTableRouter


def _straight_line_from_settings() -> StraightLineRouter:
    return StraightLineRouter(
        circuity=settings.ROUTING_CIRCUITY,
        urban_kmh=settings.ROUTING_SPEED_URBAN_KMH,
        rural_kmh=settings.ROUTING_SPEED_RURAL_KMH,
    )


@lru_cache(maxsize=4)
def _router(
    osrm_url: str, profile: str, timeout: float, circuity: float, urban: float, rural: float
) -> Router:
    straight = StraightLineRouter(circuity=circuity, urban_kmh=urban, rural_kmh=rural)
    if osrm_url:
        return OsrmTableRouter(
            base_url=osrm_url, profile=profile, timeout=timeout, fallback=straight
        )
    return straight


def get_router() -> Router:
    """The configured router (rebuilt only when its settings change, e.g. in tests)."""
    return _router(
        settings.ROUTING_OSRM_URL,
        settings.ROUTING_OSRM_PROFILE,
        float(settings.ROUTING_OSRM_TIMEOUT),
        float(settings.ROUTING_CIRCUITY),
        float(settings.ROUTING_SPEED_URBAN_KMH),
        float(settings.ROUTING_SPEED_RURAL_KMH),
    )


def travel_seconds(origins: Sequence[Place], destination: Place) -> TravelAnswer:
    """Estimated driving seconds from each origin to one destination."""
    return get_router().travel(origins, destination)
