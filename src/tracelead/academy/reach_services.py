"""Named writes of reach: targets, and the workforce figures that are reach's denominators
(entered on a page or imported from CSV). Each runs in one transaction.

The workforce CSV has a header row and three columns, in any order, case-insensitive:

``dimension``  ``organisation``, ``staff group`` (or ``profession``) or ``place``
``name``       an organisation of the system (by name), a staff group (by code or label),
               or a place (one of the academy's places, when it lists them)
``headcount``  how many people work there: a whole number, 0 or more

A row sets that figure (adding or replacing it); figures the file does not mention stay
as they are. Every row is checked first: a file with any bad row changes nothing, and each
problem is reported by line and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from tracelead.core.safety import FORMULA_TRIGGERS
from tracelead.organisations.importing import ImportProblem
from tracelead.organisations.models import Organisation

from .models import Academy, StaffGroup, Target, TargetKind, WorkforceDimension, WorkforceFigure

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_HEADCOUNT = 2_000_000  # more than the whole NHS: a typo, not a workforce
COLUMNS = ("dimension", "name", "headcount")
DIMENSIONS = {
    "organisation": WorkforceDimension.ORGANISATION,
    "organization": WorkforceDimension.ORGANISATION,
    "staff group": WorkforceDimension.STAFF_GROUP,
    "staff_group": WorkforceDimension.STAFF_GROUP,
    "profession": WorkforceDimension.STAFF_GROUP,
    "profession or staff group": WorkforceDimension.STAFF_GROUP,
    "place": WorkforceDimension.PLACE,
}


# --- Targets -----------------------------------------------------------------------------


EARLIEST = dt.date(2000, 1, 1)
MAX_SPAN_DAYS = 20 * 366


def _check_target(*, name: str, kind: str, people: int | None, share_percent: Decimal | None,
                  starts_on: dt.date, by_date: dt.date, min_events: int) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "Enter a name for the target"
    if kind not in TargetKind.values:
        problems["kind"] = "Choose whether the target is a number of people or a share"
    elif kind == TargetKind.COUNT and (people is None or people < 1):
        problems["people"] = "Enter the number of people to reach, 1 or more"
    elif kind == TargetKind.SHARE and (share_percent is None
                                       or not Decimal(0) < share_percent <= Decimal(100)):
        problems["share_percent"] = "Enter the share as a percentage, more than 0 and up to 100"
    if starts_on < EARLIEST:
        problems["starts_on"] = f"Count reach from {EARLIEST.year} or later"
    if by_date <= starts_on:
        problems["by_date"] = "The target date must be after the day reach is counted from"
    elif (by_date - starts_on).days > MAX_SPAN_DAYS:
        # Week by week over centuries would make a page nobody can load.
        problems["by_date"] = ("The target date must be within 20 years of the day reach "
                               "is counted from")
    if min_events < 1:
        problems["min_events"] = "Enter how many events make someone reached, 1 or more"
    return problems


@transaction.atomic
def target_save(*, academy: Academy, name: str, kind: str, starts_on: dt.date,
                by_date: dt.date, people: int | None = None,
                share_percent: Decimal | None = None, min_events: int = 1,
                target: Target | None = None) -> Target:
    """Add a target, or change ``target``. A count keeps no share and a share no count."""
    problems = _check_target(name=name, kind=kind, people=people, share_percent=share_percent,
                             starts_on=starts_on, by_date=by_date, min_events=min_events)
    if problems:
        raise ValidationError(problems)
    if target is not None and target.academy_id != academy.pk:
        raise ValidationError("This target belongs to another academy.")
    row = target or Target(academy=academy)
    row.name = name.strip()
    row.kind = kind
    row.people = people if kind == TargetKind.COUNT else None
    row.share_percent = share_percent if kind == TargetKind.SHARE else None
    row.starts_on = starts_on
    row.by_date = by_date
    row.min_events = min_events
    row.save()
    return row


@transaction.atomic
def target_remove(*, target: Target) -> None:
    target.delete()


# --- Workforce figures ----------------------------------------------------------------------

# A figure is known by its dimension and either the organisation's id or the key.
FigureKey = tuple[str, int | None, str]


@transaction.atomic
def workforce_save(*, academy: Academy, figures: dict[FigureKey, int | None]) -> int:
    """Set many figures at once; ``None`` removes one. Returns how many changed."""
    org_ids = {o for d, o, _ in figures if d == WorkforceDimension.ORGANISATION}
    valid_orgs = set(Organisation.objects.filter(system_id=academy.system_id, pk__in=org_ids)
                     .values_list("pk", flat=True))
    problems = [f"{key}" for key in figures if key[0] == WorkforceDimension.ORGANISATION
                and key[1] not in valid_orgs]
    problems += [f"{key}" for key, value in figures.items()
                 if value is not None and not 0 <= value <= MAX_HEADCOUNT]
    if problems:
        raise ValidationError(f"These figures cannot be saved: {', '.join(problems)}")
    existing = {(f.dimension, f.organisation_id, f.key): f
                for f in WorkforceFigure.objects.filter(academy=academy)}
    changed = 0
    for key, value in figures.items():
        row = existing.get(key)
        if value is None:
            if row is not None:
                row.delete()
                changed += 1
        elif row is None:
            WorkforceFigure.objects.create(academy=academy, dimension=key[0],
                                           organisation_id=key[1], key=key[2], headcount=value)
            changed += 1
        elif row.headcount != value:
            row.headcount = value
            row.save(update_fields=["headcount", "updated_at"])
            changed += 1
    return changed


@dataclass
class WorkforceImport:
    """What a workforce import did, or why it did nothing."""

    added: int = 0
    updated: int = 0
    problems: list[ImportProblem] = field(default_factory=list)


def _staff_groups() -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in StaffGroup.choices:
        table[str(value).lower()] = str(value)
        table[str(label).lower()] = str(value)
    return table


def parse_workforce_csv(academy: Academy, data: bytes
                        ) -> tuple[dict[FigureKey, int], dict[FigureKey, int], list[ImportProblem]]:
    """Read and check a workforce CSV; never raises for bad content. Returns the figures
    by key, the line of each, and the problems."""
    figures: dict[FigureKey, int] = {}
    lines: dict[FigureKey, int] = {}
    problems: list[ImportProblem] = []
    if len(data) > MAX_BYTES:
        return figures, lines, [ImportProblem(0, "", "the file is larger than 2 MB")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return figures, lines, [ImportProblem(0, "", "the file is not UTF-8 text "
                                                     f"(byte {error.start})")]
    if "\x00" in text:
        return figures, lines, [ImportProblem(0, "", "the file contains NUL characters")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        return figures, lines, [ImportProblem(1, "", f"the header cannot be read: {error}")]
    if not header or not any(h.strip() for h in header):
        return figures, lines, [ImportProblem(1, "", "the file is empty")]
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        return figures, lines, [ImportProblem(1, "", "missing column(s): " + ", ".join(missing)
                                              + "; the header must be dimension,name,headcount")]
    index = {name: names.index(name) for name in COLUMNS}
    organisations = {o.name.strip().lower(): o.pk for o in
                     Organisation.objects.filter(system_id=academy.system_id)}
    staff_groups = _staff_groups()
    places = {p.lower(): p for p in academy.place_list()}
    try:
        for number, record in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                problems.append(ImportProblem(number, "", f"more than {MAX_ROWS} rows; split "
                                                          "the file"))
                break
            if not any(cell.strip() for cell in record):
                continue
            cells = {c: record[index[c]].strip() if index[c] < len(record) else ""
                     for c in COLUMNS}
            row_problems = []
            for column, value in cells.items():
                if value.startswith(FORMULA_TRIGGERS) and column != "headcount":
                    row_problems.append(ImportProblem(number, column, "starts like a "
                                                      "spreadsheet formula (=, +, - or @)"))
            dimension = DIMENSIONS.get(cells["dimension"].lower())
            if dimension is None:
                row_problems.append(ImportProblem(number, "dimension", "must be organisation, "
                                                  "staff group or place"))
            name = cells["name"]
            key: FigureKey | None = None
            if not name:
                row_problems.append(ImportProblem(number, "name", "is empty"))
            elif dimension == WorkforceDimension.ORGANISATION:
                org = organisations.get(name.lower())
                if org is None:
                    row_problems.append(ImportProblem(number, "name", "is not an organisation "
                                                      "of the system"))
                else:
                    key = (dimension, org, "")
            elif dimension == WorkforceDimension.STAFF_GROUP:
                code = staff_groups.get(name.lower())
                if code is None:
                    row_problems.append(ImportProblem(number, "name", "is not one of the staff "
                                                      "groups listed on the page"))
                else:
                    key = (dimension, None, code)
            elif dimension == WorkforceDimension.PLACE:
                if places and name.lower() not in places:
                    row_problems.append(ImportProblem(number, "name", "is not one of the "
                                                      "academy's places"))
                elif len(name) > 200:
                    row_problems.append(ImportProblem(number, "name", "is longer than 200 "
                                                      "characters"))
                else:
                    key = (dimension, None, places.get(name.lower(), name))
            raw = cells["headcount"].replace(",", "")
            headcount: int | None = None
            if not (raw.isascii() and raw.isdecimal() and len(raw) < 12):
                row_problems.append(ImportProblem(number, "headcount", "must be a whole "
                                                  "number, 0 or more"))
            elif int(raw) > MAX_HEADCOUNT:
                row_problems.append(ImportProblem(number, "headcount", "is larger than any "
                                                  "workforce; check the number"))
            else:
                headcount = int(raw)
            if key is not None and key in lines:
                row_problems.append(ImportProblem(number, "name", "is already given on line "
                                                  f"{lines[key]}"))
            problems.extend(row_problems)
            if not row_problems and key is not None and headcount is not None:
                figures[key] = headcount
                lines[key] = number
    except csv.Error as error:
        problems.append(ImportProblem(reader.line_num, "", f"cannot be read: {error}"))
    if not figures and not problems:
        problems.append(ImportProblem(2, "", "the file has no rows under its header"))
    return figures, lines, problems


def workforce_import(*, academy: Academy, data: bytes) -> WorkforceImport:
    """Check the whole file, then set its figures in one transaction (or nothing)."""
    figures, _, problems = parse_workforce_csv(academy, data)
    if problems:
        return WorkforceImport(problems=sorted(problems, key=lambda p: (p.line, p.column)))
    with transaction.atomic():
        existing = {(f.dimension, f.organisation_id, f.key): f.headcount
                    for f in WorkforceFigure.objects.select_for_update().filter(academy=academy)}
        result = WorkforceImport(
            added=sum(1 for key in figures if key not in existing),
            updated=sum(1 for key, value in figures.items()
                        if key in existing and existing[key] != value),
        )
        updates: dict[FigureKey, int | None] = dict(figures)
        workforce_save(academy=academy, figures=updates)
    return result
