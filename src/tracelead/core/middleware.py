"""Requests refused before any view, answered with the service's own pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .views import uri_too_long

# Longer than any address tracelead makes (a link's token is 43 characters; report filters
# add a few short parameters), and well under gunicorn's request-line limit, which
# `tracelead serve` sets to its maximum (8,190), so that a mangled or padded link gets
# this page rather than gunicorn's plain one.
MAX_ADDRESS_LENGTH = 2048


class LongAddressMiddleware:
    """Answer an address (path and query) over ``MAX_ADDRESS_LENGTH`` with a 414 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if len(request.get_full_path()) > MAX_ADDRESS_LENGTH:
            return uri_too_long(request)
        return self.get_response(request)
