"""Portal pages of accounts: sign up, sign in (with TOTP for staff), profile."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.core import is_ratelimited

from kotacerdas.core.errors import ServiceError
from kotacerdas.core.forms import apply_service_error

from . import selectors, services
from .forms import ContactForm, LoginForm, OtpForm, SignupForm
from .identifiers import normalize_login
from .models import User

PENDING_KEY = "kc_2fa_pending"
PENDING_SECONDS = 300
MAX_OTP_ATTEMPTS = 5
BACKEND = "kotacerdas.accounts.backends.AccountBackend"


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _limited(request: HttpRequest, group: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True)


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "status": 429,
            "title": _("Too many attempts"),
            "message": _("Too many attempts. Please wait a moment and try again."),
        },
        status=429,
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if _limited(request, "signup", settings.RATELIMIT_SIGNUP):
            return _too_many(request)
        if form.is_valid():
            d = form.cleaned_data
            try:
                user = services.citizen_signup(
                    nik=d["nik"],
                    kk=d["kk"],
                    full_name=d["full_name"],
                    birth_date=d["birth_date"],
                    sex=d["sex"],
                    desa_code=d["desa"],
                    phone=d["phone"],
                    email=d["email"],
                    password=d["password1"],
                    language=request.LANGUAGE_CODE,
                )
            except ServiceError as exc:
                # The service speaks of `password` (as the API does); the form has two.
                if "password" in exc.fields:
                    exc.fields["password1"] = exc.fields.pop("password")
                apply_service_error(form, exc)
            else:
                login(request, user, backend=BACKEND)
                messages.success(request, _("Your account is ready. Welcome!"))
                return redirect("core:home")
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = _safe_next(request, "")
    if request.method == "POST":
        if _limited(request, "login", settings.RATELIMIT_LOGIN):
            return _too_many(request)
        if form.is_valid():
            # Normalised before authenticate: django-axes counts failures per the username
            # given here, so "0812…", "+62 812…" and "62812…" must be one name, or each way of
            # typing a number would get its own ten tries.
            user = authenticate(
                request,
                username=normalize_login(form.cleaned_data["username"]),
                password=form.cleaned_data["password"],
            )
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request)
            if user is None:
                form.add_error(None, _("The phone/e-mail/username or the password is wrong."))
            elif selectors.is_staff(user):
                request.session.cycle_key()
                request.session[PENDING_KEY] = {
                    "user": user.pk,
                    "at": time.time(),
                    "tries": 0,
                    "next": next_url,
                }
                has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
                return redirect("accounts:login_otp" if has_device else "accounts:otp_enroll")
            else:
                login(request, user, backend=BACKEND)
                services.login_recorded(user=user, staff=False)
                return redirect(next_url or "core:home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, {}
    return User.objects.filter(pk=pending["user"], is_active=True).first(), pending


def _finish_staff_login(
    request: HttpRequest, user: User, device: TOTPDevice, next_url: str
) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=BACKEND)
    otp_login(request, device)
    request.session.set_expiry(settings.STAFF_SESSION_AGE)
    services.login_recorded(user=user, staff=True)
    return redirect(next_url or "kantor:home")


@require_http_methods(["GET", "POST"])
def login_otp(request: HttpRequest) -> HttpResponse:
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Your sign-in expired. Please sign in again."))
        return redirect("accounts:login")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["otp_token"]
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        if devices and not any(d.verify_is_allowed()[0] for d in devices):
            form.add_error(
                "otp_token",
                _(
                    "Too many wrong codes in a row. Wait a few seconds, then enter the current code."
                ),
            )
            return render(request, "accounts/login_otp.html", {"form": form, "pending_user": user})
        device = next((d for d in devices if d.verify_token(token)), None)
        if device is not None:
            return _finish_staff_login(request, user, device, pending.get("next", ""))
        pending["tries"] = pending.get("tries", 0) + 1
        if pending["tries"] >= MAX_OTP_ATTEMPTS:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, _("Too many wrong codes. Sign in again."))
            return redirect("accounts:login")
        request.session[PENDING_KEY] = pending
        form.add_error(
            "otp_token", _("The code is wrong or has expired. Enter the current 6-digit code.")
        )
    return render(request, "accounts/login_otp.html", {"form": form, "pending_user": user})


@require_http_methods(["GET", "POST"])
def otp_enroll(request: HttpRequest) -> HttpResponse:
    """First sign-in of an officer: scan the QR code into an authenticator app, confirm a code."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Your sign-in expired. Please sign in again."))
        return redirect("accounts:login")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("accounts:login_otp")
    device = services.totp_device_pending(user=user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_confirm(user=user, token=form.cleaned_data["otp_token"])
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your authenticator is set up."))
            return _finish_staff_login(request, user, device, pending.get("next", ""))
    import base64

    import qrcode
    import qrcode.image.svg

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    svg = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).to_string(
        encoding="unicode"
    )
    return render(
        request,
        "accounts/otp_enroll.html",
        {
            "form": form,
            "qr_svg": svg,
            "secret": secret,
            "pending_user": user,
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("core:home")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = ContactForm(
        request.POST or None,
        initial={
            "phone": user.phone or "",
            "email": user.email or "",
            "language": user.language,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.citizen_contact_update(actor=user, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            response = redirect("accounts:profile")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                form.cleaned_data["language"],
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
            )
            return response
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "citizen": selectors.own_profile(actor=user),
            "memberships": selectors.membership_list(user=user).filter(is_active=True),
        },
    )


def lockout_response(
    request: HttpRequest, credentials: dict | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    minutes = int(float(settings.AXES_COOLOFF_TIME) * 60)
    message = _(
        "Too many wrong passwords. For your safety this sign-in is locked for %(m)s minutes."
    ) % {"m": minutes}
    if request.path.startswith("/api/"):
        from kotacerdas.core.errors import error_response

        return error_response(429, "auth.locked", message)
    return render(
        request,
        "core/error.html",
        {"status": 429, "title": _("Sign-in locked"), "message": message},
        status=429,
    )
