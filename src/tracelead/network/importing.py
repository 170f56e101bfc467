"""Importing ties between an academy's members from a CSV or Excel (.xlsx) file.

The first row names the columns, in any order, case-insensitive (``person_a`` or
``Person A``):

``person_a``, ``person_b``  the two people, by the email address they are members with
``date``      when the tie arose, as 2026-03-31 (or 31/03/2026); may be empty for a tie
              of kind ``met``, which then takes the day of the event
``kind``      ``knew`` (they knew each other before), ``met`` (at an event) or ``worked``
              (they have worked together since)
``event``     the code of the event where they met (needed for ``met``; read only for it)

The file is read as the members' import reads it (:mod:`tracelead.academy.importing`:
CSV in UTF-8 or the first sheet of a workbook; formulas refused). Every row is checked
before anything is written; a file with any bad row changes nothing, and each problem is
reported by line (CSV) or row (Excel) and column. A tie that appears twice in the file
(in either order of the two people) and a tie already recorded are *skipped* and counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from tracelead.academy.importing import (
    Cell,
    ImportProblem,
    Rows,
    _date,
    _lookup,
    _text,
    read_and_check,
    table_rows,
)
from tracelead.academy.models import Academy, Event, Member
from tracelead.academy.services import normalise_email, normalise_event_code

from . import services
from .models import Connection, ConnectionKind, ConnectionSource

MAX_ROWS = 20_000

# Each field and the headings that name it (compared after _heading()).
HEADINGS: dict[str, tuple[str, ...]] = {
    "person_a": ("person a", "person a email", "email a", "first person", "person 1"),
    "person_b": ("person b", "person b email", "email b", "second person", "person 2"),
    "date": ("date", "on", "since", "date of tie"),
    "kind": ("kind", "kind of tie", "type", "how"),
    "event": ("event", "event code", "code"),
}
HEADING_FIELDS = {alias: name for name, aliases in HEADINGS.items() for alias in aliases}
REQUIRED = ("person_a", "person_b", "date", "kind")
KINDS = _lookup(ConnectionKind)
PEOPLE = ("person_a", "person_b")

# A tie as stored: the pair (lower id first), its kind and its event (for "met").
TieKey = tuple[int, int, str, int | None]

# Ties dated before this are typing mistakes; they would move every rate's baseline.
EARLIEST = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class ConnectionRow:
    line: int
    a: Member
    b: Member
    kind: str
    on: dt.date
    event: Event | None


@dataclass
class ParsedConnections:
    rows: list[ConnectionRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # Lines that repeat a tie given earlier in the file, and lines of ties already recorded.
    repeated_lines: list[int] = field(default_factory=list)
    recorded_lines: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    unit: str = "line"


@dataclass
class ConnectionImportResult:
    created: int = 0
    repeated_lines: list[int] = field(default_factory=list)
    recorded_lines: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    unit: str = "line"

    @property
    def repeated(self) -> int:
        return len(self.repeated_lines)

    @property
    def recorded(self) -> int:
        return len(self.recorded_lines)


def _key(a: Member, b: Member, kind: str, event: Event | None) -> TieKey:
    first, second = sorted((a.pk, b.pk))
    return first, second, kind, event.pk if event is not None else None


# --- Checking ---------------------------------------------------------------------------


def parse_connections(*, academy: Academy, data: bytes, filename: str = "",
                      today: dt.date | None = None) -> ParsedConnections:
    """Read and check a file of ties against the academy; never raises for bad content."""
    parsed = ParsedConnections()
    read_and_check(parsed, data, filename,
                   lambda rows: _check_rows(parsed, rows, academy,
                                            today or timezone.localdate()))
    return parsed


@dataclass
class _Context:
    members: dict[str, Member]
    events: dict[str, Event]
    recorded: set[TieKey]
    seen: set[TieKey]
    today: dt.date


def _check_rows(parsed: ParsedConnections, rows: Rows, academy: Academy,
                today: dt.date) -> None:
    context = _Context(
        members={m.email: m for m in Member.objects.filter(
            academy=academy, left_at__isnull=True, email__isnull=False) if m.email},
        events={e.code: e for e in Event.objects.filter(academy=academy)},
        recorded={(first, second, kind, event) for first, second, kind, event in
                  Connection.objects.filter(academy=academy).values_list(
                      "first_id", "second_id", "kind", "event_id")},
        seen=set(), today=today)
    for number, cells, formulas, columns in table_rows(
            parsed, rows, heading_fields=HEADING_FIELDS, required=REQUIRED,
            max_rows=MAX_ROWS, things="ties"):
        _check_row(parsed, number, cells, formulas, columns, context)


def _check_row(parsed: ParsedConnections, number: int, cells: list[Cell], formulas: set[int],
               columns: dict[str, tuple[int, str]], context: _Context) -> None:
    problems: list[ImportProblem] = []

    def problem(name: str, message: str) -> None:
        problems.append(ImportProblem(number, columns[name][1], message, parsed.unit))

    def raw(name: str) -> Cell:
        if name not in columns:
            return None
        position = columns[name][0]
        return cells[position] if position < len(cells) else None

    values: dict[str, str] = {}
    for name, (position, _) in columns.items():
        values[name] = _text(raw(name))
        if position in formulas:
            problem(name, "is a formula; replace it with its value")
    if problems:
        parsed.problems.extend(problems)
        return

    people: dict[str, Member] = {}
    for name in PEOPLE:
        email = normalise_email(values[name])
        if not email:
            problem(name, "the email address is empty")
            continue
        try:
            validate_email(email)
        except ValidationError:
            problem(name, "is not an email address")
            continue
        member = context.members.get(email)
        if member is None:
            problem(name, "is not the address of a current member of the academy")
        else:
            people[name] = member
    if len(people) == 2 and people["person_a"].pk == people["person_b"].pk:
        problem("person_b", "is the same person as person_a; a tie needs two people")

    kind = KINDS.get(values["kind"].lower(), "") if values["kind"] else ""
    if not values["kind"]:
        problem("kind", "the kind is empty; write knew, met or worked")
    elif not kind:
        problem("kind", "is not one of knew, met or worked")

    event = None
    if kind == ConnectionKind.MET:
        code = normalise_event_code(values.get("event", ""))
        if "event" not in columns or not code:
            where = "event" if "event" in columns else "kind"
            problem(where, "a tie of kind met needs the code of the event where they met")
        else:
            event = context.events.get(code)
            if event is None:
                problem("event", "is not the code of one of the academy's events")

    on = None
    if values["date"]:
        try:
            on = _date(raw("date"))
        except ValueError:
            problem("date", "is not a date like 2026-03-31")
        else:
            if on > context.today:
                problem("date", "is in the future")
            elif on < EARLIEST:
                problem("date", f"is before {EARLIEST.year}")
    elif event is not None:
        on = timezone.localdate(event.starts_at)
        if on > context.today:
            problem("event", "has not happened yet, so nobody can have met there")
    elif kind != ConnectionKind.MET:
        problem("date", "the date is empty")

    parsed.problems.extend(problems)
    if problems or on is None:  # no date without a problem said above
        return
    a, b = people["person_a"], people["person_b"]
    key = _key(a, b, kind, event)
    if key in context.seen:
        parsed.repeated_lines.append(number)
    elif key in context.recorded:
        parsed.recorded_lines.append(number)
    else:
        context.seen.add(key)
        parsed.rows.append(ConnectionRow(line=number, a=a, b=b, kind=kind, on=on,
                                         event=event))


# --- Writing ----------------------------------------------------------------------------


def connections_write(*, academy: Academy, parsed: ParsedConnections,
                      created_by: Any = None) -> ConnectionImportResult:
    """Record the checked rows' ties in one transaction (nothing if any problem)."""
    result = ConnectionImportResult(repeated_lines=list(parsed.repeated_lines),
                                    recorded_lines=list(parsed.recorded_lines),
                                    ignored_columns=list(parsed.ignored_columns),
                                    problems=list(parsed.problems), unit=parsed.unit)
    if result.problems:
        return result
    with transaction.atomic():
        for row in parsed.rows:
            if services.connection_add(academy=academy, a=row.a, b=row.b, kind=row.kind,
                                       on=row.on, event=row.event,
                                       source=ConnectionSource.IMPORT, created_by=created_by):
                result.created += 1
            else:  # recorded by a member while the file was being checked
                result.recorded_lines.append(row.line)
    result.recorded_lines.sort()
    return result


def connection_import(*, academy: Academy, data: bytes, filename: str = "",
                      created_by: Any = None) -> ConnectionImportResult:
    """Check the whole file, then record its ties in one transaction."""
    parsed = parse_connections(academy=academy, data=data, filename=filename)
    return connections_write(academy=academy, parsed=parsed, created_by=created_by)
