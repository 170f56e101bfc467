"""English or Welsh for the pages that offer both (docs/welsh.md).

Only the pages a respondent, an academy member at sign-up or check-in, or a poll voter
sees are offered in Welsh; their views are wrapped in :func:`bilingual`. Every other page
stays in English whatever the visitor chose, so a staff page never comes out half
translated by Django's own catalogues. The choice is Django's language cookie, set by its
``set_language`` view from the switch on every bilingual page; it is never guessed from
the browser, so a page changes language only when the reader asks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

WELSH = "cy"


def chosen_language(request: HttpRequest) -> str:
    """The language the reader chose with the switch, or the site's default (English)."""
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def html_lang(code: str | None = None) -> str:
    """The ``lang`` attribute for a language code: ``cy`` or ``en``.

    English pages keep the ``lang="en"`` they always had, rather than ``en-GB``.
    """
    code = code or translation.get_language() or settings.LANGUAGE_CODE
    return WELSH if code.split("-")[0] == WELSH else "en"


def bilingual(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run ``view`` (and render its page) in the reader's chosen language.

    The page's layout then sets ``<html lang>`` and shows the language switch.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = chosen_language(request)
        request.bilingual = True  # type: ignore[attr-defined]
        with translation.override(language):
            request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
            response = view(request, *args, **kwargs)
            render = getattr(response, "render", None)
            if render is not None and not getattr(response, "is_rendered", True):
                render()
        response.headers.setdefault("Content-Language", html_lang(language))
        patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper
