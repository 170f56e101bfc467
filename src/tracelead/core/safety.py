"""Guards for values that leave the application in files people open elsewhere."""

from __future__ import annotations

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab,
# carriage return and NUL, as a way to smuggle one in): OWASP's CSV injection advice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")


def safe_cell(value: object) -> object:
    """A text value made inert in CSV and Excel: a leading apostrophe stops formulas."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
