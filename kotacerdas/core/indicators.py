"""The indicator registry: each app registers the live figures the Council watches.

The Council dashboard and the public /data/ page show what is registered, nothing hard-coded.
An indicator computes a list of rows (label, value) from aggregates only: it never returns
records about a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils.functional import Promise


@dataclass(frozen=True)
class IndicatorRow:
    label: str
    value: float | int
    code: str = ""


@dataclass(frozen=True)
class IndicatorResult:
    rows: list[IndicatorRow]
    total: float | int | None = None
    note: str = ""


@dataclass(frozen=True)
class Indicator:
    key: str
    dimension: str
    title: str | Promise
    description: str | Promise
    unit: str | Promise
    compute: Callable[[], IndicatorResult]
    public: bool = True
    app: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_registry: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.key in _registry and _registry[indicator.key].compute is not indicator.compute:
        raise ValueError(f"indicator {indicator.key!r} is already registered")
    _registry[indicator.key] = indicator
    return indicator


def registered(*, public_only: bool = False) -> list[Indicator]:
    items = sorted(_registry.values(), key=lambda i: (i.dimension, i.key))
    return [i for i in items if i.public or not public_only]


def get(key: str) -> Indicator | None:
    return _registry.get(key)


def cached(
    key: str, compute: Callable[[], IndicatorResult], seconds: int
) -> Callable[[], IndicatorResult]:
    """Wrap an indicator's computation in the shared cache for `seconds` (0: no cache), for
    figures computed over whole tables. `__wrapped__` keeps the uncached function for tests."""

    def run() -> IndicatorResult:
        if seconds <= 0:
            return compute()
        result = cache.get_or_set(f"indicator:{key}", compute, seconds)
        return result if isinstance(result, IndicatorResult) else compute()

    run.__wrapped__ = compute  # type: ignore[attr-defined]
    return run
