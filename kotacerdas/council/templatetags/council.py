"""`{% load council %}`: number display for targets, realisations and indicator values."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def figure(value: Any) -> str:
    """Up to two decimals, trailing zeros dropped, grouped in the page's language
    (1.200,5 in Indonesian, 1,200.5 in English). None: an en dash."""
    if value is None or value == "":
        return "–"
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"{number.normalize():f}"
    return formats.number_format(text, use_l10n=True, force_grouping=True)
