"""A poll's results after the event: what the results page shows, and the same as CSV and
an Excel workbook.

Everything is read through :mod:`tracelead.polls.selectors`, so the page and both files
say the same thing. Results by sector come only from :func:`selectors.by_sector`, which
merges sectors under the disclosure threshold: no file holds a sector's figure that the
page would not show. Names go with open-text answers and ideas only when the poll was
named (the join page told people so); an anonymous poll never asked for one. Every text
cell passes through ``safe_cell`` (in the reports' CSV and workbook helpers) against
formula injection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from tracelead.reports.exports import (
    CONTENT_TYPES,
    Export,
    _csv_bytes,
    _sheet,
    _workbook_bytes,
)

from . import selectors
from .models import Participant, Poll, Question, QuestionKind

FORMATS = ("csv", "xlsx")
EVERYONE = "Everyone"
PULSE_NOTE = ("A pulse is five statements, one for each condition, answered in the room. It "
              "is not the full TRACE questionnaire, so read it as a conversation starter, not "
              "as the group's diagnostic.")


def withheld_sentence(split: dict[str, Any]) -> str:
    """Why a question's results by sector are not shown, in words."""
    k = split["threshold"]
    if split.get("reason") == "running":
        return ("Results by sector appear once the poll has ended: while votes can still "
                "change, comparing the figures before and after one vote would show how "
                "that person answered.")
    if split.get("reason") == "unverified":
        return ("More people said they came from a sector than checked in from it at the "
                "event, so the sectors cannot be trusted to protect anyone and results by "
                "sector are not shown.")
    return (f"Results by sector are not shown: each group must hold at least {k} people "
            f"(sectors with fewer are put together) and there must be at least two groups, "
            f"which these answers do not allow.")


@dataclass(frozen=True)
class QuestionResults:
    number: int
    question: Question
    results: dict[str, Any]
    by_sector: dict[str, Any] | None


@dataclass(frozen=True)
class PollResults:
    poll: Poll
    questions: list[QuestionResults]
    pulse: dict[str, Any] | None
    threshold: int
    joined: int
    named: bool


def poll_results(poll: Poll) -> PollResults:
    """Every question's results in order, by sector where the poll asked for sectors, and
    for a pulse each condition's level and sharedness."""
    named = not poll.anonymous
    people = ({p.pk: p for p in Participant.objects.filter(poll=poll)} if named else None)
    threshold = selectors.poll_threshold(poll)
    questions = [
        QuestionResults(number=number, question=q,
                        results=selectors.question_results(q, names=named, participants=people),
                        by_sector=selectors.by_sector(q, threshold))
        for number, q in enumerate(poll.questions.all(), start=1)
    ]
    return PollResults(
        poll=poll, questions=questions,
        pulse=selectors.pulse_results(poll) if poll.is_pulse else None,
        threshold=threshold, joined=Participant.objects.filter(poll=poll).count(),
        named=named,
    )


# --- Rows, shared by the CSV and the workbook ------------------------------------------


def _point(question: Question, value: int) -> str:
    label = (question.low_label if value == question.scale_min else
             question.high_label if value == question.scale_max else "")
    return f"{value} ({label})" if label else str(value)


def _lines(question: Question, results: dict[str, Any], *, named: bool
           ) -> list[dict[str, Any]]:
    """One question's result lines (for everyone, or for one group of sectors)."""
    kind = question.kind
    if kind == QuestionKind.SCALE:
        return [{"answer": _point(question, v), "count": c, "mean": results.get("mean")}
                for v, c in zip(results["values"], results["counts"], strict=True)]
    if kind in {QuestionKind.SINGLE, QuestionKind.MULTIPLE}:
        return [{"answer": o, "count": c}
                for o, c in zip(question.options, results["counts"], strict=True)]
    if kind == QuestionKind.WORDS:
        return [{"answer": w["word"], "count": w["count"]} for w in results["words"]]
    if kind == QuestionKind.TEXT:
        return [{"answer": t["text"], **({"name": t.get("name", "")} if named else {})}
                for t in results["texts"]]
    if kind == QuestionKind.RANKING:
        return [{"answer": r["option"], "borda_points": r["points"],
                 "mean_place": r["mean_position"]} for r in results["ranking"]]
    if kind == QuestionKind.IDEAS:
        return [{"answer": i["text"], "count": i["votes"],
                 "hidden": "yes" if i["hidden"] else "no",
                 **({"name": i.get("name", "")} if named else {})} for i in results["ideas"]]
    return []


def _columns(results: PollResults, *, group: bool, pulse: bool = False) -> list[str]:
    columns = ["question", "prompt", "kind"]
    if group:
        columns.append("group")
    columns += ["answered", "answer", "count", "mean", "borda_points", "mean_place", "hidden"]
    if pulse:
        columns += ["sharedness_rwg", "sharedness", "talk_about_first"]
    if results.named:
        columns.append("name")
    return [*columns, "note"]


def _row(columns: list[str], values: dict[str, Any]) -> list[Any]:
    return [values.get(c) for c in columns]


def overall_rows(results: PollResults, columns: list[str]) -> list[list[Any]]:
    """Each question's results over everyone who answered, one row per result line."""
    rows = []
    for item in results.questions:
        q = item.question
        base = {"question": item.number, "prompt": q.prompt, "kind": q.get_kind_display(),
                "group": EVERYONE, "answered": item.results["n"]}
        lines = _lines(q, item.results, named=results.named)
        if not lines:
            rows.append(_row(columns, {**base, "note": "No answers"}))
        rows += [_row(columns, {**base, **line}) for line in lines]
    return rows


def sector_rows(results: PollResults, columns: list[str]) -> list[list[Any]]:
    """Results by sector as :func:`selectors.by_sector` merged them; a withheld
    breakdown is one row saying why."""
    rows = []
    for item in results.questions:
        split = item.by_sector
        if split is None:
            continue
        q = item.question
        base = {"question": item.number, "prompt": q.prompt, "kind": q.get_kind_display()}
        if split["withheld"]:
            rows.append(_row(columns, {**base, "note": withheld_sentence(split)}))
            continue
        for g in split["groups"]:
            part = {"values": item.results.get("values"), "counts": g["counts"],
                    "mean": g.get("mean")}
            rows += [_row(columns, {**base, "group": g["label"], "answered": g["n"], **line})
                     for line in _lines(q, part, named=False)]
    return rows


PULSE_COLUMNS = ["condition", "role", "answered", "level", "sharedness_rwg", "sharedness",
                 "talk_about_first"]


def pulse_rows(results: PollResults) -> list[list[Any]]:
    pulse = results.pulse
    if pulse is None:
        return []
    first = pulse["focus"]["key"] if pulse["focus"] else None
    return [[c["name"], c["role"], c["n"], c["level"], c["rwg"], c["sharedness"],
             "yes" if c["key"] == first else "no"] for c in pulse["conditions"]]


def _facts(results: PollResults) -> list[tuple[str, Any]]:
    poll = results.poll
    event = poll.event
    facts: list[tuple[str, Any]] = [
        ("Poll", poll.title), ("Kind", poll.get_kind_display()),
        ("Event", event.title if event else ""),
        ("Event date", timezone.localtime(event.starts_at).date().isoformat() if event else ""),
        ("People who joined", results.joined),
        ("Anonymous", "yes" if poll.anonymous else "no (names shown with open text and ideas)"),
    ]
    if poll.ask_sector:
        facts.append(("Smallest group shown by sector", results.threshold))
    if results.pulse is not None:
        facts.append(("People who took the pulse", results.pulse["people"]))
    return facts


# --- Files -----------------------------------------------------------------------------


def results_csv(results: PollResults) -> bytes:
    """One table: everyone's results, then (where sectors were asked) the merged results by
    sector, then a pulse's conditions as rows of kind "TRACE pulse condition"."""
    pulse = results.pulse is not None
    columns = _columns(results, group=True, pulse=pulse)
    rows = overall_rows(results, columns) + sector_rows(results, columns)
    for name, _role, n, level, rwg, words, first in pulse_rows(results):
        rows.append(_row(columns, {
            "kind": "TRACE pulse condition", "group": EVERYONE, "answered": n,
            "answer": name, "mean": level, "sharedness_rwg": rwg, "sharedness": words,
            "talk_about_first": first, "note": "A pulse, not the full questionnaire",
        }))
    return _csv_bytes(columns, rows)


def results_xlsx(results: PollResults) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    from tracelead.core.safety import safe_cell

    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet.append([safe_cell(f"Poll results: {results.poll.title}")])
    for key, value in _facts(results):
        sheet.append([key, safe_cell(value)])
    if results.pulse is not None:
        sheet.append([])
        sheet.append([PULSE_NOTE])
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 60
    columns = _columns(results, group=False)
    _sheet(book, "Results", columns, overall_rows(results, columns))
    if results.pulse is not None:
        _sheet(book, "Pulse", PULSE_COLUMNS, pulse_rows(results))
    if results.poll.ask_sector:
        columns = [c for c in _columns(results, group=True) if c != "name"]
        _sheet(book, "By sector", columns, sector_rows(results, columns))
    return _workbook_bytes(book)


def export_results(poll: Poll, fmt: str) -> Export:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    results = poll_results(poll)
    stem = f"tracelead-poll-{slugify(poll.title) or 'poll'}-{poll.pk}-results"
    content = results_csv(results) if fmt == "csv" else results_xlsx(results)
    return Export(content, f"{stem}.{fmt}", CONTENT_TYPES[fmt])
