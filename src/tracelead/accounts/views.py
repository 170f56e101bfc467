"""Sign-in with throttling, account lock-out and optional one-time passwords."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.core import is_ratelimited

THROTTLED = "Too many sign-in attempts for this account. Wait a minute and try again."


def _username_key(group: str, request: HttpRequest) -> str:
    return (request.POST.get("username") or "").strip().lower()


class SignInView(auth_views.LoginView):
    """Django's sign-in, throttled per account before django-axes' hard lock."""

    template_name = "core/login.jinja"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_ratelimited(
            request,
            group="sign-in",
            key=_username_key,
            rate=settings.TRACELEAD_SIGN_IN_RATE,
            method="POST",
            increment=True,
        ):
            form = self.get_form()
            return render(
                request,
                self.template_name,
                {"form": form, "throttled": THROTTLED, "next": request.POST.get("next", "")},
                status=429,
            )
        return super().post(request, *args, **kwargs)


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """Shown by django-axes once an account has too many failures (for any username)."""
    return render(request, "accounts/locked.jinja", status=429)


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in for users with a one-time-password device."""
    if request.user.is_verified() or not user_has_device(request.user, confirmed=True):
        return redirect(_safe_next(request))
    error = ""
    if request.method == "POST":
        code = (request.POST.get("code") or "").replace(" ", "")
        device = match_token(request.user, code) if code.isdigit() else None
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        error = "Enter the 6-digit code from your authenticator app"
    return render(
        request,
        "accounts/verify.jinja",
        {
            "error": error,
            "next": _safe_next(request),
            "form_errors": [{"text": error, "href": "#code"}] if error else [],
        },
        status=400 if error else 200,
    )


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up (or remove) a time-based one-time password for the signed-in user."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    error = ""
    if request.method == "POST" and request.POST.get("action") == "remove" and confirmed:
        TOTPDevice.objects.filter(user=user).delete()
        messages.success(request, "One-time codes are turned off for your account.")
        return redirect("two_factor")
    pending = None
    if confirmed is None:
        pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if pending is None:
            pending = TOTPDevice.objects.create(
                user=user, name="Authenticator app", confirmed=False
            )
        if request.method == "POST":
            code = (request.POST.get("code") or "").replace(" ", "")
            if code.isdigit() and pending.verify_token(code):
                pending.confirmed = True
                pending.save(update_fields=["confirmed"])
                otp_login(request, pending)
                messages.success(
                    request,
                    "One-time codes are on. You will be asked for one each time you sign in.",
                )
                return redirect("two_factor")
            error = "The code did not match. Enter the current 6-digit code from your app"
    context: dict[str, Any] = {
        "confirmed": confirmed,
        "error": error,
        "form_errors": [{"text": error, "href": "#code"}] if error else [],
    }
    if pending is not None:
        context["qr_svg"] = segno.make(pending.config_url, error="m").svg_inline(
            scale=4, title="QR code for your authenticator app"
        )
        from base64 import b32encode

        context["secret"] = b32encode(pending.bin_key).decode()
    return render(request, "accounts/two_factor.jinja", context, status=400 if error else 200)
