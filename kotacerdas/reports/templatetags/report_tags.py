"""Template helpers of the reports pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def category_name(category: Any) -> str:
    """The category's name in the page's language (a filter, not an include: lists print it
    once per row)."""
    return str(category.display_name(get_language() or "id"))
