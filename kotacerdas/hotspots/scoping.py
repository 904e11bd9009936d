"""Who reaches which fires. Hotspots and events belong to no agency: a role scoped by region
reaches its desa/kecamatan; a role scoped by agency reaches the whole regency if the agency is
one of the fire agencies (`FIRES_AGENCY_CODES`) and nothing otherwise; a regency-wide role
reaches everything."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from kotacerdas.accounts.selectors import agency_by_codes, scope_for
from kotacerdas.regions.selectors import within_q


@dataclass(frozen=True)
class Area:
    everything: bool
    codes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.everything and not self.codes

    def allows(self, region_code: str) -> bool:
        if self.everything:
            return True
        return any(region_code == c or region_code.startswith(c + ".") for c in self.codes)

    def q(self, field: str) -> Q:
        """A filter on a region-code field (a Q that matches nothing when the area is empty)."""
        if self.everything:
            return Q()
        if not self.codes:
            return Q(pk__in=[])
        combined = Q()
        for code in self.codes:
            combined |= within_q(field, code)
        return combined


def fire_agency_ids() -> set[int]:
    return {a.pk for a in agency_by_codes(codes=list(settings.FIRES_AGENCY_CODES)).values()}


def _fire_agency_ids_for(actor: Any) -> set[int]:
    """The fire agencies' ids, looked up once per actor object (i.e. once per request)."""
    cached = getattr(actor, "_fire_agency_ids", None)
    if cached is None:
        cached = fire_agency_ids()
        with contextlib.suppress(AttributeError):  # e.g. AnonymousUser has slots
            actor._fire_agency_ids = cached
    return cached


def area_for(actor: Any, perm: str) -> Area:
    scope = scope_for(actor=actor, perm=perm)
    codes: list[str] = []
    agencies: set[int] | None = None
    for grant in scope.grants:
        if grant.agency_id is None and grant.region_code is None:
            return Area(everything=True)
        if grant.agency_id is not None:
            if agencies is None:
                agencies = _fire_agency_ids_for(actor)
            if grant.agency_id not in agencies:
                continue
            if grant.region_code is None:
                return Area(everything=True)
        if grant.region_code:
            codes.append(grant.region_code)
    return Area(everything=False, codes=tuple(sorted(set(codes))))
