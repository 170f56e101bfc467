"""Importing a system's organisations and groups from a CSV file.

Columns (a header row is required, in any order; names are case-insensitive):

``organisation``  the organisation's name (empty for a group that spans the system)
``sector``        the organisation's sector, by name or code (needed for a new organisation)
``group``         the group's name
``space``         self, team, organisation or system
``parent``        optional: the name of the group this one sits inside (looked for in the
                  row's organisation, then among groups spanning the system, then anywhere)

A group's name need only be unique within its organisation (or among the groups that
span the system), as in :class:`~tracelead.organisations.models.Group`.

Every row is checked before anything is written; a file with any bad row changes
nothing, and each problem is reported by line and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from .models import Group, Organisation, Sector, Space, System

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
REQUIRED = ("organisation", "sector", "group", "space")
OPTIONAL = ("parent",)
NAME_LIMIT = 200


@dataclass(frozen=True)
class ImportProblem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column “{self.column}”" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class StructureRow:
    line: int
    organisation: str
    sector: str
    group: str
    space: str
    parent: str


@dataclass
class ParsedStructure:
    rows: list[StructureRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)


def _lookup(choices: type[Sector] | type[Space]) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in choices.choices:
        table[str(value).lower()] = str(value)
        table[str(label).lower()] = str(value)
        table[str(label).split(" (")[0].lower()] = str(value)
    return table


SECTORS = _lookup(Sector)
SPACES = _lookup(Space)


def parse_structure_csv(data: bytes) -> ParsedStructure:
    """Read and check a structure CSV; never raises for bad content."""
    parsed = ParsedStructure()
    if len(data) > MAX_BYTES:
        parsed.problems.append(
            ImportProblem(0, "", f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        )
        return parsed
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        parsed.problems.append(
            ImportProblem(0, "", f"the file is not UTF-8 text (byte {error.start})")
        )
        return parsed
    if "\x00" in text:
        parsed.problems.append(ImportProblem(0, "", "the file contains NUL characters"))
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        parsed.problems.append(ImportProblem(1, "", f"the header cannot be read: {error}"))
        return parsed
    if not header:
        parsed.problems.append(ImportProblem(1, "", "the file is empty"))
        return parsed
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        parsed.problems.append(ImportProblem(1, "", "missing column(s): " + ", ".join(missing)))
        return parsed
    index = {name: names.index(name) for name in (*REQUIRED, *OPTIONAL) if name in names}
    try:
        for number, record in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                parsed.problems.append(
                    ImportProblem(number, "", f"more than {MAX_ROWS} rows; split the file")
                )
                break
            if not any(cell.strip() for cell in record):
                continue

            def cell(name: str, record: list[str] = record) -> str:
                position = index.get(name)
                if position is None or position >= len(record):
                    return ""
                return record[position].strip()

            row_problems = []
            values = {name: cell(name) for name in (*REQUIRED, *OPTIONAL)}
            for name, value in values.items():
                if len(value) > NAME_LIMIT:
                    row_problems.append(
                        ImportProblem(number, name, f"longer than {NAME_LIMIT} characters")
                    )
            if not values["group"]:
                row_problems.append(ImportProblem(number, "group", "the group's name is empty"))
            space = SPACES.get(values["space"].lower())
            if space is None:
                row_problems.append(
                    ImportProblem(
                        number, "space", "must be one of self, team, organisation or system"
                    )
                )
            sector = ""
            if values["sector"]:
                sector = SECTORS.get(values["sector"].lower(), "")
                if not sector:
                    row_problems.append(
                        ImportProblem(
                            number, "sector", "is not one of the sectors listed in the help"
                        )
                    )
            parsed.problems.extend(row_problems)
            if not row_problems:
                parsed.rows.append(
                    StructureRow(
                        line=number,
                        organisation=values["organisation"],
                        sector=sector,
                        group=values["group"],
                        space=space or "",
                        parent=values["parent"],
                    )
                )
    except csv.Error as error:
        parsed.problems.append(ImportProblem(reader.line_num, "", f"cannot be read: {error}"))
    return parsed


@dataclass
class ImportResult:
    organisations: int = 0
    groups: int = 0
    problems: list[ImportProblem] = field(default_factory=list)


# A group's name is unique within its organisation, or among the groups that span the
# system (models.Group): a group is known by (organisation, name), both in lower case,
# with "" for no organisation.
GroupKey = tuple[str, str]


def _resolve_parent(
    row: StructureRow, known: dict[str, set[GroupKey]]
) -> tuple[GroupKey | None, str]:
    """The group a row's ``parent`` names, and the problem if none can be chosen: a group
    of the row's own organisation first, then one spanning the system, then the only group
    with that name in any organisation."""
    name = row.parent.lower()
    candidates = known.get(name, set())
    for scope in (row.organisation.lower(), ""):
        if (scope, name) in candidates:
            return (scope, name), ""
    if len(candidates) == 1:
        return next(iter(candidates)), ""
    if candidates:
        return None, "groups in several other organisations have this name; it is ambiguous"
    return None, "no group with this name in the system or file"


def structure_import(*, system: System, data: bytes) -> ImportResult:
    """Check the whole file, then create its organisations and groups in one transaction."""
    parsed = parse_structure_csv(data)
    result = ImportResult(problems=list(parsed.problems))
    existing_orgs = {o.name.lower(): o for o in system.organisations.all()}
    existing_groups: dict[GroupKey, Group] = {
        (g.organisation.name.lower() if g.organisation else "", g.name.lower()): g
        for g in system.groups.select_related("organisation")
    }
    file_groups: dict[GroupKey, StructureRow] = {}
    new_org_sectors: dict[str, str] = {}
    for row in parsed.rows:
        key = (row.organisation.lower(), row.group.lower())
        if key in existing_groups or key in file_groups:
            where = "in this organisation" if row.organisation else "across the system"
            result.problems.append(
                ImportProblem(row.line, "group", f"a group with this name already exists {where}")
            )
        file_groups[key] = row
        org_key = row.organisation.lower()
        if row.organisation and org_key not in existing_orgs:
            if not row.sector and org_key not in new_org_sectors:
                result.problems.append(
                    ImportProblem(row.line, "sector", "a new organisation needs a sector")
                )
            elif row.sector:
                new_org_sectors.setdefault(org_key, row.sector)
    known: dict[str, set[GroupKey]] = {}
    for key in (*existing_groups, *file_groups):
        known.setdefault(key[1], set()).add(key)
    parents: dict[GroupKey, GroupKey | None] = {}
    for row in parsed.rows:
        key = (row.organisation.lower(), row.group.lower())
        parent, problem = _resolve_parent(row, known) if row.parent else (None, "")
        if problem:
            result.problems.append(ImportProblem(row.line, "parent", problem))
        elif parent == key:
            result.problems.append(
                ImportProblem(row.line, "parent", "a group cannot contain itself")
            )
            parent = None
        parents[key] = parent
    # Parents named in the file must not form a loop.
    for row in parsed.rows:
        start = (row.organisation.lower(), row.group.lower())
        seen = {start}
        node = parents.get(start)
        while node is not None and node in file_groups:
            if node in seen:
                result.problems.append(
                    ImportProblem(row.line, "parent", "the parents in the file go round in a loop")
                )
                break
            seen.add(node)
            node = parents.get(node)
    if result.problems:
        result.problems.sort(key=lambda p: (p.line, p.column))
        return result
    with transaction.atomic():
        orgs = dict(existing_orgs)
        for row in parsed.rows:
            org_key = row.organisation.lower()
            if row.organisation and org_key not in orgs:
                orgs[org_key] = Organisation.objects.create(
                    system=system, name=row.organisation, sector=new_org_sectors[org_key]
                )
                result.organisations += 1
        created: dict[GroupKey, Group] = dict(existing_groups)
        pending = list(parsed.rows)
        while pending:  # parents first; the loop check above guarantees progress
            later = []
            for row in pending:
                key = (row.organisation.lower(), row.group.lower())
                parent_key = parents[key]
                if parent_key is not None and parent_key not in created:
                    later.append(row)
                    continue
                created[key] = Group.objects.create(
                    system=system,
                    organisation=orgs.get(row.organisation.lower()),
                    parent=created[parent_key] if parent_key is not None else None,
                    name=row.group,
                    space=row.space,
                )
                result.groups += 1
            pending = later
    return result
