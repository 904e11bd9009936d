"""Back-office pages of accounts: the kantor home, staff and memberships, agencies, citizens,
personal access tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kotacerdas.core.errors import NotFound, ServiceError
from kotacerdas.core.forms import apply_service_error
from kotacerdas.core.registry import backoffice_modules

from . import policy, selectors, services
from .backends import active_memberships
from .decorators import staff_view
from .forms import AgencyForm, MembershipForm, StaffCreateForm, TokenForm

PAGE_SIZE = 25


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/kantor/home.html",
        {
            "modules": backoffice_modules(request.user),
            "memberships": active_memberships(request.user),
        },
    )


# --- Staff ----------------------------------------------------------------------------------------
@staff_view(policy.VIEW_STAFF)
def staff_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    qs = selectors.staff_list(actor=request.user, search=q).prefetch_related("memberships__agency")
    return render(
        request,
        "accounts/kantor/staff_list.html",
        {
            "page": _page(request, qs),
            "q": q,
            "query": f"q={q}" if q else "",
            "can_manage": request.user.has_perm(policy.MANAGE_STAFF),
        },
    )


@staff_view(policy.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_create(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Staff account created. Now give it a role."))
            return redirect("kantor:staff_detail", user_id=user.pk)
    return render(request, "accounts/kantor/staff_form.html", {"form": form})


@staff_view(policy.VIEW_STAFF)
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        staff = selectors.staff_get(actor=request.user, user_id=user_id)
    except NotFound:
        # A just-created account has no staff role yet: administrators may still open it.
        if not request.user.has_perm(policy.MANAGE_STAFF):
            raise
        from .models import User

        found = User.objects.filter(pk=user_id).first()
        if found is None:
            raise
        staff = found
    can_manage = request.user.has_perm(policy.MANAGE_STAFF)
    agencies = [(a.code, a.short_name) for a in selectors.agency_list()]
    form = MembershipForm(request.POST or None, agencies=agencies)
    if request.method == "POST":
        if not can_manage:
            from kotacerdas.core.errors import permission_denied

            return permission_denied(request)
        if form.is_valid():
            try:
                services.membership_create(
                    actor=request.user,
                    user_id=staff.pk,
                    role=form.cleaned_data["role"],
                    agency_code=form.cleaned_data["agency"],
                    region_code=form.cleaned_data["region"].strip(),
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Role granted."))
                return redirect("kantor:staff_detail", user_id=staff.pk)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return render(
        request,
        "accounts/kantor/staff_detail.html",
        {
            "staff": staff,
            "form": form,
            "can_manage": can_manage,
            "memberships": selectors.membership_list(user=staff),
            "has_totp": TOTPDevice.objects.filter(user=staff, confirmed=True).exists(),
        },
    )


@staff_view(policy.MANAGE_STAFF)
@require_POST
def membership_revoke(request: HttpRequest, membership_id: int) -> HttpResponse:
    try:
        membership = services.membership_revoke(actor=request.user, membership_id=membership_id)
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return redirect(request.POST.get("back") or "kantor:staff_list")
    messages.success(request, _("Role removed."))
    return redirect("kantor:staff_detail", user_id=membership.user_id)


@staff_view(policy.MANAGE_STAFF)
@require_POST
def staff_set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, user_id=user_id, active=active)
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Account activated.") if active else _("Account deactivated."))
    return redirect("kantor:staff_detail", user_id=user_id)


@staff_view(policy.MANAGE_STAFF)
@require_POST
def staff_reset_totp(request: HttpRequest, user_id: int) -> HttpResponse:
    services.totp_device_reset(actor=request.user, user_id=user_id)
    messages.success(
        request, _("Authenticator reset: the officer enrols a new one at next sign-in.")
    )
    return redirect("kantor:staff_detail", user_id=user_id)


# --- Agencies -------------------------------------------------------------------------------------
@staff_view(policy.MANAGE_AGENCIES)
def agency_list(request: HttpRequest) -> HttpResponse:
    from django.db.models import Count, Q

    qs = selectors.agency_list(active_only=False).annotate(
        staff_count=Count("memberships", filter=Q(memberships__is_active=True))
    )
    return render(request, "accounts/kantor/agency_list.html", {"agencies": qs})


@staff_view(policy.MANAGE_AGENCIES)
@require_http_methods(["GET", "POST"])
def agency_edit(request: HttpRequest, agency_id: int | None = None) -> HttpResponse:
    agency = None
    if agency_id is not None:
        from .models import Agency

        agency = Agency.objects.filter(pk=agency_id).first()
        if agency is None:
            raise NotFound()
    initial = (
        {
            "code": agency.code,
            "short_name": agency.short_name,
            "name": agency.name,
            "is_active": agency.is_active,
        }
        if agency
        else {"is_active": True}
    )
    form = AgencyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_save(actor=request.user, agency_id=agency_id, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Agency saved."))
            return redirect("kantor:agency_list")
    return render(request, "accounts/kantor/agency_form.html", {"form": form, "agency": agency})


# --- Citizens -------------------------------------------------------------------------------------
@staff_view(policy.VIEW_CITIZENS)
def citizen_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    qs = selectors.citizen_list(actor=request.user, search=q)
    return render(
        request,
        "accounts/kantor/citizen_list.html",
        {
            "page": _page(request, qs),
            "q": q,
            "query": f"q={q}" if q else "",
        },
    )


@staff_view(policy.VIEW_CITIZENS)
@require_http_methods(["GET", "POST"])
def citizen_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    profile = selectors.citizen_get(actor=request.user, user_id=user_id)  # NotFound → 404
    revealed = None
    if request.method == "POST":
        revealed = services.citizen_nik_reveal(actor=request.user, user_id=user_id)
    return render(
        request,
        "accounts/kantor/citizen_detail.html",
        {
            "profile": profile,
            "revealed_nik": revealed,
            "can_reveal": request.user.has_perm(policy.VIEW_CITIZEN_IDENTITY),
        },
    )


# --- Tokens ---------------------------------------------------------------------------------------
@staff_view(policy.MANAGE_OWN_TOKENS)
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _row, new_token = services.api_token_create(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            form = TokenForm()
    return render(
        request,
        "accounts/kantor/token_list.html",
        {
            "tokens": selectors.api_token_list(actor=request.user),
            "form": form,
            "new_token": new_token,
        },
    )


@staff_view(policy.MANAGE_OWN_TOKENS)
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.api_token_revoke(actor=request.user, token_id=token_id)
    messages.success(request, _("Token revoked."))
    return redirect("kantor:token_list")
