"""Importing the leadership inventory's positions, and the outcome measures' values, from a
CSV or Excel (.xlsx) file.

Outcome values: the columns ``measure`` (one of the strategy's measures, by name),
``date`` and ``value``; a value for a measure and day already recorded replaces it.

Positions:

The first row names the columns, in any order, case-insensitive:

``title``       the position (required)
``needed``      how many the organisation needs, a whole number of at least 1 (required)
``in post``     how many are in post (optional; 0 when empty)
``kind``        ``formal`` (default) or ``informal`` (a category of informal influencers)
``clinical``    yes or no (optional; no when empty)
``succession``  ``ready now``, ``ready later`` or ``none`` (default)
``skills``      the skills the role needs (optional)

The file is read as the academy's imports read it (:mod:`tracelead.academy.importing`:
CSV in UTF-8 or the first sheet of a workbook; formulas refused). Every row is checked
before anything is written; a file with any bad row changes nothing, and each problem is
reported by line (CSV) or row (Excel) and column. A title already in the inventory is
updated with the row's figures; a title given twice in the file is a problem.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from tracelead.academy.importing import (
    Cell,
    Columns,
    ImportProblem,
    Rows,
    _date,
    _looks_like_formula,
    _text,
    read_and_check,
    table_rows,
)

from . import services
from .models import Outcome, PositionKind, Strategy, Succession

MAX_ROWS = 5_000
HEADINGS: dict[str, tuple[str, ...]] = {
    "title": ("title", "position", "role", "position title"),
    "needed": ("needed", "how many needed", "number needed", "establishment"),
    "in_post": ("in post", "in role", "filled", "number in post"),
    "kind": ("kind", "type", "formal or informal"),
    "clinical": ("clinical", "clinical role"),
    "succession": ("succession", "succession cover", "cover"),
    "skills": ("skills", "skills needed"),
}
HEADING_FIELDS = {alias: name for name, aliases in HEADINGS.items() for alias in aliases}
REQUIRED = ("title", "needed")
WORDS = {"in_post": "in post"}
KINDS = {"formal": PositionKind.FORMAL, "formal role": PositionKind.FORMAL,
         "informal": PositionKind.INFORMAL, "informal influencers": PositionKind.INFORMAL}
COVERS = {"ready now": Succession.READY_NOW, "ready later": Succession.READY_LATER,
          "none": Succession.NONE, "no one": Succession.NONE, "no one yet": Succession.NONE}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class PositionRow:
    line: int
    title: str
    needed: int
    in_post: int
    kind: str
    clinical: bool
    succession: str
    skills: str


@dataclass
class ParsedPositions:
    rows: list[PositionRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    unit: str = "line"


@dataclass
class PositionImportResult:
    created: int = 0
    updated: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    unit: str = "line"


def parse_positions(*, strategy: Strategy, data: bytes, filename: str = "") -> ParsedPositions:
    """Read and check a positions file; never raises for bad content."""
    parsed = ParsedPositions()
    read_and_check(parsed, data, filename, lambda rows: _check_rows(parsed, rows))
    return parsed


def _check_rows(parsed: ParsedPositions, rows: Rows) -> None:
    first_line: dict[str, int] = {}
    for number, cells, formulas, columns in table_rows(
            parsed, rows, heading_fields=HEADING_FIELDS, required=REQUIRED,
            max_rows=MAX_ROWS, things="positions", words=WORDS):
        _check_row(parsed, number, cells, formulas, columns, first_line)


def _whole(text: str) -> int | None:
    cleaned = text.replace(",", "").strip()
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    return int(cleaned) if cleaned.isdigit() else None


def _check_row(parsed: ParsedPositions, number: int, cells: list[Cell], formulas: set[int],
               columns: Columns, first_line: dict[str, int]) -> None:
    problems: list[ImportProblem] = []

    def problem(name: str, message: str) -> None:
        problems.append(ImportProblem(number, columns[name][1], message, parsed.unit))

    def value(name: str) -> str:
        if name not in columns:
            return ""
        position = columns[name][0]
        if position in formulas:
            problem(name, "is a formula; type the value itself")
            return ""
        text = _text(cells[position] if position < len(cells) else None)
        if _looks_like_formula(text):
            problem(name, "starts like a formula (=, +, - or @); remove that sign")
            return ""
        return text

    title = value("title")
    if not title:
        problem("title", "the title is empty")
    elif len(title) > 120:
        problem("title", "keep the title to 120 characters or fewer")
    elif title.casefold() in first_line:
        problem("title", f"the same position is on {parsed.unit} {first_line[title.casefold()]}"
                         " too; give each position once")
    needed = _whole(value("needed"))
    if needed is None or not 1 <= needed <= 100_000:
        problem("needed", "must be a whole number from 1 to 100,000")
    raw_in_post = value("in_post")
    in_post = _whole(raw_in_post) if raw_in_post else 0
    if in_post is None or in_post > 100_000:
        problem("in_post", "must be a whole number from 0 to 100,000")
    kind = KINDS.get(value("kind").casefold() or "formal")
    if kind is None:
        problem("kind", "must be formal or informal")
    clinical_text = value("clinical").casefold()
    if clinical_text not in YES | NO:
        problem("clinical", "must be yes or no")
    cover = COVERS.get(value("succession").casefold() or "none")
    if cover is None:
        problem("succession", "must be ready now, ready later or none")
    skills = value("skills")
    if len(skills) > 1000:
        problem("skills", "keep the skills to 1,000 characters or fewer")
    if problems or needed is None or in_post is None or kind is None or cover is None:
        parsed.problems += problems
        return
    first_line[title.casefold()] = number
    parsed.rows.append(PositionRow(number, title, needed, in_post, kind,
                                   clinical_text in YES, cover, skills))


@transaction.atomic
def positions_write(*, strategy: Strategy, parsed: ParsedPositions) -> PositionImportResult:
    result = PositionImportResult(ignored_columns=parsed.ignored_columns, unit=parsed.unit)
    existing = {p.title.casefold(): p for p in strategy.positions.all()}
    for row in parsed.rows:
        found = existing.get(row.title.casefold())
        services.position_save(
            strategy=strategy, title=row.title, needed=row.needed, in_post=row.in_post,
            kind=row.kind, clinical=row.clinical, succession=row.succession,
            skills=row.skills, position=found,
            groups=list(found.groups.all()) if found else (),
            behaviours=found.behaviours if found else ())
        if found:
            result.updated += 1
        else:
            result.created += 1
    return result


def position_import(*, strategy: Strategy, data: bytes, filename: str = ""
                    ) -> PositionImportResult:
    """Check the whole file, then write it, or write nothing and say what is wrong."""
    parsed = parse_positions(strategy=strategy, data=data, filename=filename)
    if parsed.problems:
        return PositionImportResult(problems=parsed.problems, unit=parsed.unit,
                                    ignored_columns=parsed.ignored_columns)
    return positions_write(strategy=strategy, parsed=parsed)


# --- Outcome values ---------------------------------------------------------------------

VALUE_HEADINGS: dict[str, tuple[str, ...]] = {
    "measure": ("measure", "outcome", "name"),
    "date": ("date", "on", "month", "period"),
    "value": ("value", "figure", "result"),
}
VALUE_FIELDS = {alias: name for name, aliases in VALUE_HEADINGS.items() for alias in aliases}
MAX_VALUE_ROWS = 20_000


@dataclass(frozen=True)
class ValueRow:
    line: int
    outcome: Outcome
    on: dt.date
    value: float


@dataclass
class ParsedValues:
    rows: list[ValueRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    unit: str = "line"


@dataclass
class ValueImportResult:
    written: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    unit: str = "line"


def _number(text: str) -> float | None:
    cleaned = text.replace(",", "").replace("£", "").replace("%", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_values(*, strategy: Strategy, data: bytes, filename: str = "",
                 today: dt.date | None = None) -> ParsedValues:
    """Read and check a file of outcome values (measure by name, date, value)."""
    parsed = ParsedValues()
    outcomes = {o.name.casefold(): o for o in strategy.outcomes.all()}
    day = today or timezone.localdate()

    def check(rows: Rows) -> None:
        seen: dict[tuple[int, dt.date], int] = {}
        for number, cells, formulas, columns in table_rows(
                parsed, rows, heading_fields=VALUE_FIELDS, required=("measure", "date", "value"),
                max_rows=MAX_VALUE_ROWS, things="values"):
            _check_value(parsed, number, cells, formulas, columns, outcomes, seen, day)

    read_and_check(parsed, data, filename, check)
    return parsed


def _check_value(parsed: ParsedValues, number: int, cells: list[Cell], formulas: set[int],
                 columns: Columns, outcomes: dict[str, Outcome],
                 seen: dict[tuple[int, dt.date], int], today: dt.date) -> None:
    problems: list[ImportProblem] = []

    def problem(name: str, message: str) -> None:
        problems.append(ImportProblem(number, columns[name][1], message, parsed.unit))

    def cell(name: str) -> Cell:
        position = columns[name][0]
        if position in formulas:
            problem(name, "is a formula; type the value itself")
            return None
        return cells[position] if position < len(cells) else None

    outcome = outcomes.get(_text(cell("measure")).casefold())
    if outcome is None:
        problem("measure", "is not one of the strategy's measures; add it first")
    raw_date = cell("date")
    on: dt.date | None
    try:
        on = _date(raw_date)
    except ValueError:
        on = None
        problem("date", "must be a date such as 2026-03-31 or 31/03/2026")
    if on is not None and on > today:
        problem("date", "cannot be in the future")
    value = _number(_text(cell("value")))
    if value is None:
        problem("value", "must be a number")
    if problems or outcome is None or on is None or value is None:
        parsed.problems += problems
        return
    key = (outcome.pk, on)
    if key in seen:
        parsed.problems.append(ImportProblem(
            number, columns["date"][1], f"the same measure and date are on {parsed.unit} "
            f"{seen[key]} too", parsed.unit))
        return
    seen[key] = number
    parsed.rows.append(ValueRow(number, outcome, on, value))


@transaction.atomic
def value_import(*, strategy: Strategy, data: bytes, filename: str = "",
                 today: dt.date | None = None) -> ValueImportResult:
    """Check the whole file, then write every value (replacing one recorded for the same
    measure and day), or write nothing and say what is wrong."""
    parsed = parse_values(strategy=strategy, data=data, filename=filename, today=today)
    result = ValueImportResult(ignored_columns=parsed.ignored_columns, unit=parsed.unit,
                               problems=parsed.problems)
    if parsed.problems:
        return result
    for row in parsed.rows:
        services.outcome_value_save(outcome=row.outcome, on=row.on, value=row.value,
                                    today=today)
    result.written = len(parsed.rows)
    return result
