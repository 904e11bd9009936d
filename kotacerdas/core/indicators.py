"""The indicator registry: each app registers the live figures the Council watches.

The Council dashboard and the public /data/ page show what is registered, nothing hard-coded.
An indicator computes a list of rows (label, value) from aggregates only: it never returns
records about a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
