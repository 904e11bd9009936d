"""The council's own live indicator: how far this year's masterplan targets are realised."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from kotacerdas.core.dimensions import Dimension
from kotacerdas.core.indicators import Indicator, IndicatorResult, IndicatorRow, register


def program_realisation() -> IndicatorResult:
    """Per dimension, the mean realisation (percent of target) of this year's program targets
    that have a realisation; the total is the mean over all of them."""
    from .models import ProgramTarget
    from .selectors import current_year

    percents: dict[str, list[float]] = defaultdict(list)
    rows = ProgramTarget.objects.filter(
        year=current_year(), realisation__isnull=False, target__gt=0
    ).values_list("program__dimension", "target", "realisation")
    for dimension, target, realisation in rows:
        if realisation is None:  # excluded by the filter; here for the type checker
            continue
        percents[dimension].append(float(realisation) / float(target) * 100)
    out = [
        IndicatorRow(label=str(label), value=round(sum(p) / len(p), 1), code=value)
        for value, label in Dimension.choices
        if (p := percents.get(value))
    ]
    every = [x for p in percents.values() for x in p]
    return IndicatorResult(rows=out, total=round(sum(every) / len(every), 1) if every else None)


register(
    Indicator(
        key="council.program_realisation",
        dimension=Dimension.GOVERNANCE,
        title=_("Masterplan realisation this year"),
        description=_(
            "Mean realisation of this year's masterplan program targets, as a percent of "
            "target, per dimension."
        ),
        unit=_("%"),
        compute=program_realisation,
        public=True,
        app="council",
    )
)
