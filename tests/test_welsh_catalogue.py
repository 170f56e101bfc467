"""Every string of the pages offered in Welsh has a Welsh entry (docs/welsh.md).

The strings are extracted from the templates and code listed in
``tracelead.core.translations.BILINGUAL_SOURCES`` (as ``extract`` does), so a new English
string on one of those pages fails here until it is translated in the ``.po``.
"""

from __future__ import annotations

import re

from babel.messages.mofile import read_mo

from tracelead.core import translations

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _flat(value: object) -> object:
    """A plural entry's forms as a tuple (the .mo reader gives lists)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _key(message: str | tuple[str, ...], context: str | None) -> tuple[str, str | None]:
    return (message if isinstance(message, str) else message[0], context)


def test_every_string_of_the_bilingual_pages_has_a_welsh_entry() -> None:
    catalog = translations.read_catalog("cy")
    missing = []
    for message, context, path, line in translations.extracted_messages():
        msgid, _ = _key(message, context)
        entry = catalog.get(msgid, context=context)
        string = entry.string if entry else ""
        strings = string if isinstance(string, tuple) else (string,)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{path.relative_to(translations.PACKAGE_DIR)}:{line}: {msgid!r}")
    assert not missing, (
        "strings without a Welsh translation (run `python -m tracelead.core.translations "
        "extract`, then translate them in src/tracelead/locale/cy/LC_MESSAGES/django.po):\n"
        + "\n".join(missing)
    )


def test_a_welsh_entry_keeps_the_placeholders_of_its_english() -> None:
    wrong = []
    for entry in translations.read_catalog("cy"):
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                wrong.append(f"{ids[0]!r} -> {string!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_compiled_catalogue_matches_the_po() -> None:
    mo_path = translations.po_path("cy").with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run scripts/setup"
    with mo_path.open("rb") as handle:
        compiled = {(_flat(m.id), m.context): _flat(m.string) for m in read_mo(handle) if m.id}
    source = {
        (_flat(m.id), m.context): _flat(m.string)
        for m in translations.read_catalog("cy")
        if m.id and m.string and not m.fuzzy
    }
    assert compiled == source, (
        "the .mo is older than the .po: run `python -m tracelead.core.translations compile` "
        "(scripts/setup does)"
    )


def test_an_installed_package_carries_the_catalogues() -> None:
    """A wheel (the container image installs one) has the .po and the .mo built from it."""
    import tomllib

    root = translations.PACKAGE_DIR.parent.parent
    data = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["tracelead"]
    assert "locale/*/LC_MESSAGES/*.po" in patterns
    assert "locale/*/LC_MESSAGES/*.mo" in patterns
    assert "tracelead.core.translations compile" in (root / "deploy" / "Dockerfile").read_text()
