from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_POST

from . import metrics, selectors, services
from .dimensions import Dimension
from .registry import PortalService, portal_services


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The citizen portal home: the services of the six dimensions."""
    by_dimension: dict[str, list[PortalService]] = {
        value: [] for value, _label in Dimension.choices
    }
    for service in portal_services():
        by_dimension.setdefault(service.dimension, []).append(service)
    dimensions = [
        {"key": value, "label": label, "services": by_dimension[value]}
        for value, label in Dimension.choices
    ]
    return render(request, "core/home.html", {"dimensions": dimensions})


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notification_list(actor=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    services.notification_mark_read(actor=request.user)
    return redirect("core:notifications")


@require_GET
@cache_control(max_age=3600)
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "core/offline.html")


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> HttpResponse:
    from django.templatetags.static import static
    from django.utils.translation import gettext as _

    data = {
        "name": _("Kota Cerdas Kotim"),
        "short_name": "Kota Cerdas",
        "description": _("Public services of Kabupaten Kotawaringin Timur in one place."),
        "lang": request.LANGUAGE_CODE,
        "id": "/",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f5f7f9",
        "theme_color": "#0b6e4f",
        "categories": ["government", "utilities"],
        "icons": [
            {"src": static("img/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the root so its scope covers the whole portal."""
    return render(request, "core/sw.js", content_type="application/javascript")


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    from .health import readiness

    ok, checks = readiness()
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    import hmac

    token = settings.METRICS_TOKEN
    auth = request.headers.get("Authorization", "")
    by_token = bool(token) and hmac.compare_digest(auth, f"Bearer {token}")
    if not by_token and not request.user.has_perm("core.view_metrics"):
        from .errors import page_not_found

        return page_not_found(request)
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)
