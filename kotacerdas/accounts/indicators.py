"""Council indicators registered by accounts (aggregates only)."""

from django.utils.translation import gettext_lazy as _

from kotacerdas.core.dimensions import Dimension
from kotacerdas.core.indicators import Indicator, IndicatorResult, IndicatorRow, register


def _citizens_per_kecamatan() -> IndicatorResult:
    """Every kecamatan of the tree, zero included, by name."""
    from django.conf import settings

    from kotacerdas.regions.selectors import region_children

    from .selectors import citizens_per_kecamatan

    counts = {r["kecamatan_code"]: r["n"] for r in citizens_per_kecamatan()}
    kecamatan = region_children(parent_code=settings.KOTACERDAS_REGION_ROOT)
    out = [
        IndicatorRow(label=k["name"], value=counts.get(k["code"], 0), code=k["code"])
        for k in sorted(kecamatan, key=lambda k: k["name"])
    ]
    return IndicatorResult(rows=out, total=sum(counts.values()))


def _staff_per_agency() -> IndicatorResult:
    from .selectors import active_staff_per_agency

    out = [
        IndicatorRow(label=r["agency__short_name"], value=r["n"], code=r["agency__code"])
        for r in active_staff_per_agency()
    ]
    return IndicatorResult(rows=out, total=sum(r.value for r in out))


register(
    Indicator(
        key="accounts.citizens_per_kecamatan",
        dimension=Dimension.GOVERNANCE,
        title=_("Registered citizens per kecamatan"),
        description=_(
            "Citizens with an active Kota Cerdas account, by the kecamatan of their desa."
        ),
        unit=_("people"),
        compute=_citizens_per_kecamatan,
        public=True,
        app="accounts",
    )
)
register(
    Indicator(
        key="accounts.staff_per_agency",
        dimension=Dimension.GOVERNANCE,
        title=_("Active staff per agency"),
        description=_("Officers with an active role in each agency (OPD)."),
        unit=_("officers"),
        compute=_staff_per_agency,
        public=True,
        app="accounts",
    )
)
