"""Error pages in the service's own look, never a stack trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _page(request: HttpRequest, status: int, title: str, body: str) -> HttpResponse:
    return render(request, "core/error.jinja", {"title": title, "body": body}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, "Page not found", "Check the address, or go back to the start.")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request,
        403,
        "You do not have access to this",
        "Ask a facilitator of the system for access.",
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, "Something was wrong with that request", "Go back and try again.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        500,
        "Sorry, something went wrong",
        "Nothing you entered has been changed. Try again in a few minutes.",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(
        request,
        403,
        "Your session has expired",
        "For your security the page timed out. Go back, reload the page and try again.",
    )


def uri_too_long(request: HttpRequest) -> HttpResponse:
    # Nothing of the address is repeated: on /r/ it would be a respondent's link.
    return _page(
        request,
        414,
        "This web address is too long",
        "Check the link: copy the whole of it again, or ask whoever sent it for a new one.",
    )


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request,
        429,
        "Too many requests",
        "Please wait a minute and try again.",
    )
