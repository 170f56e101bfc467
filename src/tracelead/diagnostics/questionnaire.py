"""The respondent's questionnaire as pages, and the checking of what each page sends.

Page 0 is the introduction, pages 1..k are the instrument's scales (one condition per
page), and the last page holds the free-text questions. Nothing here touches the
database: the views pass in what was posted and get back clean answers or errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext

from tracelead.instruments import Instrument, Scale

DONT_KNOW = "dk"


@dataclass(frozen=True)
class PageError:
    field: str
    message: str
    # A value no page offers can only come from a crafted request: nothing of it is kept.
    crafted: bool = False


@dataclass
class PageInput:
    """What one page sent once checked: answers to keep, and the errors to show."""

    answers: dict[str, int | None] = field(default_factory=dict)
    free_text: dict[str, str] = field(default_factory=dict)
    errors: list[PageError] = field(default_factory=list)

    @property
    def crafted(self) -> bool:
        return any(error.crafted for error in self.errors)


def page_count(instrument: Instrument) -> int:
    """Question pages after the introduction: one per scale, then the free-text page."""
    return len(instrument.scales) + (1 if instrument.free_text else 0)


def scale_for_page(instrument: Instrument, page: int) -> Scale | None:
    if 1 <= page <= len(instrument.scales):
        return instrument.scales[page - 1]
    return None


def is_free_text_page(instrument: Instrument, page: int) -> bool:
    return bool(instrument.free_text) and page == len(instrument.scales) + 1


def read_scale_page(
    instrument: Instrument, scale: Scale, data: Mapping[str, str], *, require_all: bool
) -> PageInput:
    """Check the answers posted for one scale.

    A value must be one of the response scale's values or "Don't know" (kept as None,
    which the analysis treats as missing). Anything else is refused with a message and
    nothing from the page is kept.
    """
    allowed = {str(option.value): option.value for option in instrument.response_scale}
    result = PageInput()
    for item in scale.items:
        raw = data.get(item.key)
        if raw is None or raw == "":
            if require_all:
                result.errors.append(PageError(
                    item.key, gettext("Choose an answer for “%(item)s”") % {"item": item.text}
                ))
            continue
        if raw == DONT_KNOW and instrument.dont_know_label:
            result.answers[item.key] = None
        elif raw in allowed:
            result.answers[item.key] = allowed[raw]
        else:
            result.errors.append(
                PageError(
                    item.key,
                    gettext("Choose one of the answers offered for “%(item)s”")
                    % {"item": item.text},
                    crafted=True,
                )
            )
    if result.crafted:
        # A value outside the scale means a crafted request: keep nothing from it.
        result.answers = {}
    return result


def free_text_value(raw: str) -> str:
    """A comment as it is counted and kept: line breaks as LF, the ends trimmed."""
    return raw.replace("\r\n", "\n").replace("\r", "\n").strip()


def read_free_text_page(instrument: Instrument, data: Mapping[str, str]) -> PageInput:
    result = PageInput()
    for prompt in instrument.free_text:
        # Browsers send a textarea's line breaks as CRLF; the character counter in the page
        # sees one character per break, so the length is counted with one here too
        # (code points after trimming, as static/tracelead/init.js counts).
        text = free_text_value(data.get(prompt.key) or "")
        if len(text) > prompt.max_length:
            result.errors.append(
                PageError(
                    prompt.key,
                    gettext("Keep your answer to “%(prompt)s” to %(limit)s characters or fewer "
                            "(it has %(length)s)")
                    % {"prompt": prompt.text, "limit": prompt.max_length, "length": len(text)},
                )
            )
        elif text:
            result.free_text[prompt.key] = text
    if result.errors:
        result.free_text = {}
    return result


def first_incomplete_page(instrument: Instrument, answers: Mapping[str, int | None]) -> int | None:
    """The first scale page with an unanswered item, or None when all are answered."""
    for number, scale in enumerate(instrument.scales, start=1):
        if any(item.key not in answers for item in scale.items):
            return number
    return None


def clean_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, int | None]:
    """Answers limited to the instrument's items and values (used before submitting)."""
    allowed = {option.value for option in instrument.response_scale}
    clean: dict[str, int | None] = {}
    for item in instrument.items:
        if item.key not in answers:
            continue
        value = answers[item.key]
        if value is None or (isinstance(value, int) and value in allowed):
            clean[item.key] = value
        else:
            raise ValueError(f"answer to {item.key} is outside the response scale: {value!r}")
    return clean
