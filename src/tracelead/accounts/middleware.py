"""Session limits and the second sign-in step.

* A session ends after 30 minutes without a request and 12 hours after signing in,
  whichever comes first (both settings), as NHS guidance on shared devices expects.
* A user who has set up a time-based one-time password must enter a code before any
  page other than the code page, sign-out and static files.
* Where the site requires one-time codes (``TRACELEAD_REQUIRE_OTP``), a user without a
  confirmed device must set one up before any page other than the set-up page,
  sign-out and static files.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

SESSION_SIGNED_IN_AT = "tracelead_signed_in_at"
SESSION_LAST_SEEN = "tracelead_last_seen"


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            signed_in = request.session.get(SESSION_SIGNED_IN_AT, now)
            last_seen = request.session.get(SESSION_LAST_SEEN, now)
            idle = now - last_seen > settings.TRACELEAD_SESSION_IDLE_SECONDS
            too_old = now - signed_in > settings.TRACELEAD_SESSION_MAX_SECONDS
            if idle or too_old:
                logout(request)
                messages.info(
                    request, "You were signed out to keep your account safe. Sign in again."
                )
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return redirect(f"{reverse('login')}?next={request.path}")
            request.session.setdefault(SESSION_SIGNED_IN_AT, signed_in)
            request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


OPEN_PATHS = ("/accounts/verify/", "/accounts/logout/", "/assets/", "/r/")
SET_UP_OPEN_PATHS = ("/accounts/two-factor/", "/accounts/logout/", "/assets/", "/r/")


class RequireVerifiedMiddleware:
    """Send users with a confirmed one-time-password device to the code page first, and,
    where the site requires codes, users without one to the set-up page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        has_device = None
        if not request.path.startswith(OPEN_PATHS):
            has_device = user_has_device(user, confirmed=True)
            if has_device:
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Enter your one-time code in the web application first."},
                        status=401,
                    )
                return redirect(f"{reverse('verify')}?next={request.path}")
        if settings.TRACELEAD_REQUIRE_OTP and not request.path.startswith(SET_UP_OPEN_PATHS):
            if has_device is None:
                has_device = user_has_device(user, confirmed=True)
            if not has_device:
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Set up one-time codes in the web application first."},
                        status=401,
                    )
                return redirect(reverse("two_factor"))
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Every response to a signed-in user says ``Cache-Control: no-store``: results, links
    and personal data must not stay in a shared browser's or a proxy's cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "private, no-store"
        return response
