"""Guards for values that leave the application in files people open elsewhere."""

from __future__ import annotations

import unicodedata

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab,
# carriage return and NUL, as a way to smuggle one in): OWASP's CSV injection advice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")


def safe_cell(value: object) -> object:
    """A text value made inert in CSV and Excel: a leading apostrophe stops formulas.

    The first character is compared after NFKC normalisation, since spreadsheets may fold
    look-alikes such as the fullwidth "＝" into the ASCII sign.
    """
    if isinstance(value, str) and unicodedata.normalize("NFKC", value[:1]).startswith(
            FORMULA_TRIGGERS):
        return "'" + value
    return value
