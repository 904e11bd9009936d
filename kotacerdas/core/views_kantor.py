"""The audit trail in the back office. Core imports no other app: access is checked with
has_perm (which the accounts backend grants only to TOTP-verified administrators)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .errors import permission_denied
from .selectors import AuditFilters, audit_event_list


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    # Like every back-office page: a session that has not passed TOTP is sent to sign in
    # (it would hold no permission, and a bare 403 would not tell the officer why).
    verified = getattr(request.user, "is_verified", None)
    if not request.user.is_authenticated or not (callable(verified) and verified()):
        return redirect(
            f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
        )
    if not request.user.has_perm("core.view_audit_trail"):
        return permission_denied(request)
    g = request.GET
    actor_id = g.get("actor", "")
    filters = AuditFilters(
        action=g.get("action", "").strip()[:120],
        actor_id=int(actor_id) if actor_id.isdigit() else None,
        object_type=g.get("object_type", "").strip()[:100],
        object_id=g.get("object_id", "").strip()[:64],
        region_code=g.get("region", "").strip()[:20],
        since=_date(g.get("since", "")),
        until=_date(g.get("until", "")),
    )
    page = Paginator(audit_event_list(actor=request.user, filters=filters), 50).get_page(
        g.get("page")
    )
    query = urlencode({k: v for k, v in g.items() if k != "page" and v})
    from .audit_text import changes, describe

    rows = [{"event": e, "sentence": describe(e), "changes": changes(e)} for e in page]
    return render(
        request,
        "core/kantor/audit_list.html",
        {"page": page, "rows": rows, "filters": filters, "query": query},
    )
