"""The Welsh catalogue: which sources are bilingual, extracting their strings, compiling.

The ``.po`` files under ``src/tracelead/locale`` are the source of truth and are kept in
git; the ``.mo`` files Django reads are built from them by ``scripts/setup`` (with Babel,
so GNU gettext is not needed) and are not committed. ::

    python -m tracelead.core.translations compile   # .po -> .mo (scripts/setup runs it)
    python -m tracelead.core.translations extract   # add new English strings to the .po

Every string of the pages offered in Welsh must have a Welsh entry
(tests/test_welsh_catalogue.py); docs/welsh.md says how they are reviewed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = PACKAGE_DIR / "locale"
DOMAIN = "django"
LANGUAGES = ("cy",)

# The templates and code of every page offered in Welsh (relative to src/tracelead).
BILINGUAL_SOURCES = (
    "core/templates/core/layout.jinja",
    "core/throttles.py",
    # The respondent journey (/r/<token>/...) and the email with its one-time code.
    "diagnostics/templates/diagnostics/respond_*.jinja",
    "diagnostics/templates/diagnostics/_open_link_providers.jinja",
    # A verifying open link's address confirmed through an identity provider.
    "diagnostics/open_link_sso.py",
    "accounts/templates/accounts/continue_to_provider.jinja",
    "diagnostics/respondent_views.py",
    "diagnostics/questionnaire.py",
    "diagnostics/services.py",
    # The academy's sign-up (/join/<code>/...) and check-in at an event (/c/...), and the
    # emails they send; forms.jinja draws their fields.
    "core/templates/core/forms.jinja",
    "academy/templates/academy/join*.jinja",
    "academy/templates/academy/checkin*.jinja",
    "academy/templates/academy/event_macros.jinja",
    "academy/member_forms.py",
    "academy/event_forms.py",
    "academy/member_views.py",
    "academy/event_views.py",
    "academy/services.py",
    # Poll voting on a phone (/p/...).
    "polls/templates/polls/start.jinja",
    "polls/templates/polls/join.jinja",
    "polls/templates/polls/vote.jinja",
    "polls/templates/polls/ended.jinja",
    "polls/participant_views.py",
    "polls/services.py",
)

KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
}
_JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "newstyle_gettext": "true"}


def bilingual_files() -> list[Path]:
    files: list[Path] = []
    for pattern in BILINGUAL_SOURCES:
        found = sorted(PACKAGE_DIR.glob(pattern))
        if not found:
            raise FileNotFoundError(f"BILINGUAL_SOURCES: nothing matches {pattern!r}")
        files.extend(found)
    return files


def extracted_messages() -> Iterator[tuple[str | tuple[str, ...], str | None, Path, int]]:
    """(msgid or (singular, plural), context, file, line) for each string to translate."""
    for path in bilingual_files():
        method = "jinja2.ext:babel_extract" if path.suffix == ".jinja" else "python"
        options = _JINJA_OPTIONS if path.suffix == ".jinja" else {}
        for line, message, _comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            yield message, context, path, line


def template_catalog() -> Catalog:
    """A catalogue of every extracted string, with where it is used."""
    catalog = Catalog(domain=DOMAIN, project="tracelead")
    for message, context, path, line in extracted_messages():
        catalog.add(message, locations=[(str(path.relative_to(PACKAGE_DIR)), line)],
                    context=context)
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def extract() -> None:
    """Add new English strings to each language's ``.po`` (empty, to be translated)."""
    template = template_catalog()
    for language in LANGUAGES:
        catalog = read_catalog(language)
        # No fuzzy matching: a guess from a similar string must never pass for a translation.
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        with po_path(language).open("wb") as handle:
            write_po(handle, catalog, width=88, include_previous=False, include_lineno=False)


def compile_catalogs() -> list[Path]:
    """Write each ``.po`` as the ``.mo`` Django reads; fuzzy entries are left out."""
    written = []
    for language in LANGUAGES:
        mo_path = po_path(language).with_suffix(".mo")
        with mo_path.open("wb") as handle:
            write_mo(handle, read_catalog(language), use_fuzzy=False)
        written.append(mo_path)
    return written


def main(argv: list[str]) -> int:
    if argv == ["compile"]:
        for path in compile_catalogs():
            print(f"Compiled {path.relative_to(PACKAGE_DIR.parent.parent)}")
        return 0
    if argv == ["extract"]:
        extract()
        return 0
    print("usage: python -m tracelead.core.translations compile|extract", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
