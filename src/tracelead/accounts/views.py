"""Sign-in with throttling, a growing cool-off after failures and optional one-time passwords."""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.core import is_ratelimited

from tracelead.core.throttles import account_key, client_address, wait_words

from . import cooloff


def _username_key(group: str, request: HttpRequest) -> str:
    return account_key(request.POST.get("username") or "")


LOCAL_PASSWORDS_OFF = (
    "This site does not use tracelead passwords. Sign in with your organisation's account "
    "instead."
)


def sign_in_context(request: HttpRequest) -> dict[str, Any]:
    """What the sign-in page shows besides the password form: the identity providers
    (``tracelead.accounts.sso``) and whether passwords are allowed here."""
    from .sso import local_passwords_allowed, providers_for_sign_in

    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return {
        "providers": providers_for_sign_in(),
        "local_passwords": local_passwords_allowed(),
        "next": next_url,
        "form": None,
    }


class SignInView(auth_views.LoginView):
    """Django's sign-in, throttled per account, with a growing cool-off after failures
    (``tracelead.accounts.cooloff``), beside buttons for the identity providers."""

    template_name = "core/login.jinja"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        extra = sign_in_context(self.request)
        context["providers"] = extra["providers"]
        context["local_passwords"] = extra["local_passwords"]
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from .sso import local_passwords_allowed

        if not local_passwords_allowed():
            context = sign_in_context(request)
            context["sso_error"] = LOCAL_PASSWORDS_OFF
            return render(request, self.template_name, context, status=403)
        until = cooloff.wait_until(
            username=request.POST.get("username") or "", address=client_address(request)
        )
        if until is not None:
            return cooling_off(request, until)
        if is_ratelimited(
            request,
            group="sign-in",
            key=_username_key,
            rate=settings.TRACELEAD_SIGN_IN_RATE,
            method="POST",
            increment=True,
        ):
            wait = wait_words(settings.TRACELEAD_SIGN_IN_RATE)
            throttled = f"Too many sign-in attempts for this account. Wait {wait} and try again."
            return render(
                request,
                self.template_name,
                {
                    **sign_in_context(request),
                    "form": self.get_form(),
                    "throttled": throttled,
                    "next": request.POST.get("next", ""),
                },
                status=429,
            )
        return super().post(request, *args, **kwargs)


class SignOutView(auth_views.LogoutView):
    """Django's sign-out (POST only); after a sign-in through a provider that has an
    end-session endpoint, the browser goes on there so the provider signs it out too.

    It goes by a page, not a redirect: browsers hold a redirect that follows a form to
    our ``form-action 'self'`` policy, and the provider is elsewhere."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from .sso import end_session_url

        provider = end_session_url(request)
        response = super().post(request, *args, **kwargs)
        if provider is None:
            return response
        name, url = provider
        return render(
            request, "accounts/signed_out.jinja", {"provider_name": name, "provider_url": url}
        )


def cooling_off(request: HttpRequest, until: dt.datetime) -> HttpResponse:
    """The same page for any name, real or not, so a wait says nothing about accounts."""
    response = render(
        request,
        "accounts/locked.jinja",
        {"until": timezone.localtime(until)},
        status=429,
    )
    response["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds())))
    return response


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


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The name django-axes records a sign-in under: as the cool-off keys it."""
    source = credentials or request.POST
    return account_key(str(source.get("username") or ""))


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The signed-in user's API tokens: list, make (the clear token shown once), revoke."""
    # Imported here so that this page's code stays apart from sign-in's above.
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from tracelead.core.forms import add_service_errors, error_list

    from .forms import ApiTokenForm
    from .services import api_token_create, api_token_revoke

    user = request.user
    form = ApiTokenForm()
    created = None
    clear_token = ""
    status = 200
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token_id = request.POST.get("token") or ""
        token = user.api_tokens.filter(pk=int(token_id)).first() if token_id.isdigit() else None
        if token is None:  # not theirs, or no such token: the same answer
            raise Http404("No such token.")
        api_token_revoke(token=token, by=user)
        messages.success(request, f"The token “{token.name}” no longer works.")
        return redirect("api_tokens")
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                created, clear_token = api_token_create(
                    user=user, verified=user.is_verified(), **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
                status = 403
            else:
                form = ApiTokenForm()
        if form.errors and status == 200:
            status = 400
    return render(
        request,
        "accounts/api_tokens.jinja",
        {
            "form": form,
            "form_errors": error_list(form),
            "tokens": list(user.api_tokens.all()),
            "created": created,
            "clear_token": clear_token,
        },
        status=status,
    )
