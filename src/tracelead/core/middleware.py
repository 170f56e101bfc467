"""Requests refused before any view, answered with the service's own pages; static files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

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


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, with its table of the finders' files built once per process.

    WhiteNoise stats every file the static finders list (about 2,200 from the NHS design
    system and the chart libraries, 0.4 s) each time its middleware is made. A server
    makes it once per process, but Django's test client makes a new handler, and with it
    every middleware, for each test: 0.4 s a test, about a fifth of the test suite. The
    table depends only on the settings named in ``_KEY_SETTINGS`` and on the files, which
    WhiteNoise (without ``WHITENOISE_AUTOREFRESH``) never looks at again after start-up
    either; so it is kept per process and each middleware gets its own copy of it.
    """

    _KEY_SETTINGS = (
        "STATIC_URL", "STATICFILES_DIRS", "STATICFILES_FINDERS", "INSTALLED_APPS",
        "FORCE_SCRIPT_NAME", "DEBUG", "WHITENOISE_STATIC_PREFIX", "WHITENOISE_MAX_AGE",
        "WHITENOISE_ALLOW_ALL_ORIGINS", "WHITENOISE_CHARSET", "WHITENOISE_MIMETYPES",
        "WHITENOISE_ADD_HEADERS_FUNCTION", "WHITENOISE_INDEX_FILE",
        "WHITENOISE_IMMUTABLE_FILE_TEST",
    )
    _tables: ClassVar[dict[tuple[str, ...], dict[str, Any]]] = {}

    def add_files_from_finders(self) -> None:
        key = tuple(repr(getattr(settings, name, None)) for name in self._KEY_SETTINGS)
        table = self._tables.get(key)
        if table is None:
            earlier, self.files = self.files, {}
            super().add_files_from_finders()
            table = self._tables[key] = self.files
            self.files = earlier
        # As WhiteNoise does: a finder's file replaces one of STATIC_ROOT at the same URL.
        self.files = {**self.files, **table}
