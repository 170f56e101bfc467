"""The Jinja2 environment for tracelead's pages.

Templates live in each app's ``templates/`` folder (as with Django's own engine) and may
use the NHS design system's macros from ``nhsuk-frontend-jinja``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, npgettext, pgettext
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
)

from tracelead.core.forms import field_context
from tracelead.core.language import html_lang
from tracelead.diagnostics.presentation import distribution_bar

# Pinned in package.json; the built CSS and JS carry the version in their file names.
NHSUK_FRONTEND_VERSION = "10.6.1"


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def _template_dirs() -> list[str]:
    dirs = []
    for config in apps.get_app_configs():
        folder = Path(config.path) / "templates"
        if folder.is_dir() and config.name.startswith("tracelead"):
            dirs.append(str(folder))
    return dirs


def fmt_number(value: float | None, digits: int = 2) -> str:
    """A figure for people: fixed decimals, an en dash when it cannot be computed."""
    if value is None or value != value:  # NaN
        return "–"
    return f"{value:.{digits}f}"


def clamp(value: float | None, low: float, high: float) -> float | None:
    """A confidence limit cut to the ends of the response scale (small groups run past)."""
    if value is None or value != value:
        return value
    return max(low, min(high, value))


def fmt_percent(value: float | None, digits: int = 0) -> str:
    if value is None or value != value:
        return "–"
    return f"{value * 100:.{digits}f}%"


def fmt_date(value: Any, fmt: str = "j F Y") -> str:
    # As Django's own date filter: an aware time is shown in local time (Europe/London).
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return "" if value is None else date_format(value, fmt)


def choice_item(choice: dict[str, Any], flag: str) -> dict[str, Any]:
    """A form choice as the NHS macros' item: value, text and checked or selected."""
    return {"value": choice["value"], "text": choice["text"], flag: choice["selected"]}


def pair_item(pair: tuple[str, str]) -> dict[str, str]:
    """A (value, label) pair as a radios item."""
    return {"value": pair[0], "text": pair[1]}


def _bytecode_cache() -> FileSystemBytecodeCache:
    """Compiled templates kept in the data folder, so that a restarted server does not
    compile them again (about 2 s of its start). Jinja checks each against its template's
    source and the Python version, and writes each file whole (a temporary file renamed),
    so servers sharing the folder cannot read a half-written one. The folder is the
    owner's only: the cache holds code the servers run."""
    folder = Path(settings.DATA_DIR) / "cache" / "templates"
    for each in (folder.parent.parent, folder.parent, folder):
        each.mkdir(mode=0o700, exist_ok=True)
    return FileSystemBytecodeCache(str(folder))


def environment(**options: Any) -> Environment:
    options.update(
        bytecode_cache=_bytecode_cache(),
        loader=ChoiceLoader(
            [FileSystemLoader(_template_dirs()), PackageLoader("nhsuk_frontend_jinja")]
        ),
        # The NHS macros read optional parameters as chains (params.hint.text).
        undefined=ChainableUndefined,
        autoescape=True,
        # i18n: {{ _("...") }} and {% trans %} through Django's catalogues (docs/welsh.md).
        extensions=["jinja2.ext.do", "jinja2.ext.i18n"],
    )
    env = Environment(**options)  # noqa: S701 - autoescape is on, set just above
    # New-style gettext: placeholders are named (_("Page %(page)s", page=n)) and escaped.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
    env.globals.update(
        {
            "url": url,
            "static": static,
            "get_messages": get_messages,
            "settings": settings,
            "nhsuk_version": NHSUK_FRONTEND_VERSION,
            "tl_field": field_context,
            "distribution_bar": distribution_bar,
            "html_lang": html_lang,
        }
    )
    env.filters.update(
        {
            "number": fmt_number,
            "clamp": clamp,
            "percent": fmt_percent,
            "date": fmt_date,
            "tl_choice_item": choice_item,
            "tl_pair_item": pair_item,
        }
    )
    return env
