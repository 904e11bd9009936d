"""Template helpers shared by the three faces: `{% load kc %}`.

- `{% backoffice_modules as modules %}`: the back-office modules the user may open.
- `{% nav_current "core:home" %}` / `{% nav_current "kantor:home" prefix=True %}`: writes
  ` aria-current="page"` on the link of the page (or section) being shown.
- `{% chart spec caption=… source=… %}`: a chart figure with its table fallback (the contract
  is documented at the top of static/src/charts.js).
- `{% sla_tag deadline done_at=… %}`: an on time / due soon / overdue / late tag.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kotacerdas.core import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def backoffice_modules(context: template.Context) -> list[registry.BackofficeModule]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return registry.backoffice_modules(user)


@register.simple_tag(takes_context=True)
def backoffice_nav(context: template.Context) -> list[dict[str, Any]]:
    """The modules the user may open, with their URL and whether each is the current one: the
    module whose URL is the longest prefix of the path (so /kantor/119/kinerja/ marks "119
    performance", not also "119 desk")."""
    request = context.get("request")
    entries: list[dict[str, Any]] = []
    for module in backoffice_modules(context):
        try:
            url = reverse(module.url_name)
        except NoReverseMatch:
            continue
        entries.append({"title": module.title, "url": url, "current": False})
    path = getattr(request, "path", "")
    best = max(
        (e for e in entries if e["url"] != "/" and path.startswith(e["url"])),
        key=lambda e: len(e["url"]),
        default=None,
    )
    if best is not None:
        best["current"] = True
    return entries


@register.simple_tag(takes_context=True)
def nav_current(context: template.Context, url_name: str, prefix: bool = False) -> SafeString:
    request = context.get("request")
    if request is None:
        return mark_safe("")
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return mark_safe("")
    path = request.path
    hit = path.startswith(url) if prefix and url != "/" else path == url
    return mark_safe(' aria-current="page"') if hit else mark_safe("")


@register.filter
def json_attr(value: Any) -> str:
    """JSON for an HTML attribute: autoescaping turns the quotes into entities, which the
    browser turns back before the script reads the attribute."""
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


@register.inclusion_tag("partials/chart.html")
def chart(
    spec: dict[str, Any], caption: Any = "", source: Any = "", table_label: Any = ""
) -> dict[str, Any]:
    labels = list(spec.get("labels", []))
    series = list(spec.get("series", []))
    columns = [list(s.get("values") or []) for s in series]
    rows = [
        {"label": label, "values": [col[i] if i < len(col) else None for col in columns]}
        for i, label in enumerate(labels)
    ]
    return {
        "spec": spec,
        "caption": caption,
        "source": source,
        "table_label": table_label or _("Data table"),
        "series": series,
        "rows": rows,
        "unit": spec.get("unit", ""),
    }


@register.simple_tag
def sla_tag(deadline: dt.datetime | None, done_at: dt.datetime | None = None) -> SafeString:
    """Overdue past the deadline, due soon within its last working day, on time otherwise;
    once done: on time or late."""
    if deadline is None:
        return mark_safe("")
    from kotacerdas.core.sla import working_days_between

    now = timezone.now()
    if done_at is not None:
        if done_at <= deadline:
            return format_html('<span class="tag sla-on-time">{}</span>', _("On time"))
        return format_html('<span class="tag sla-overdue">{}</span>', _("Late"))
    if now > deadline:
        return format_html('<span class="tag sla-overdue">{}</span>', _("Overdue"))
    if working_days_between(now, deadline) <= 1:
        return format_html('<span class="tag sla-due-soon">{}</span>', _("Due soon"))
    return format_html('<span class="tag sla-on-time">{}</span>', _("On time"))
