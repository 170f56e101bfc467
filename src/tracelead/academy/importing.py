"""Importing academy members from a CSV or Excel (.xlsx) file.

The first row names the columns, in any order, case-insensitive, with some freedom in the
words (``Email address`` or ``email``; ``Profession`` or ``Staff group``):

``name``          the member's full name (required)
``email``         their email address (required; one member per address)
``organisation``  a listed organisation of the system, by name; or any other name, with a
                  sector (required)
``sector``        only read for an organisation that is not listed in the system (a listed
                  organisation's sector is already known)
``staff group``   profession or staff group (optional; also ``profession``)
``place``         one of the academy's places when it lists them (optional)
``level``         level of role (optional; also ``level of role``)
``joined``        the date they joined (optional; today otherwise), as 2026-03-31 or
                  31/03/2026

Sector, staff group and level are accepted by code (``vcfse``) or by label
(``Nursing and midwifery``). Columns with other headings are ignored and named in the
outcome.

Every row is checked before anything is written; a file with any bad row changes
nothing, and each problem is reported by line (CSV) or row (Excel) and column. An address
that appears twice in the file is a problem; an address that is already a member's is
*skipped*: that member is left as they are, and the outcome counts and lists the rows
skipped. Text that a spreadsheet would run as a formula (starting with =, +, - or @, or a
formula cell in Excel) is refused.

Imported members have no personal link until they ask for one, unless the import is asked
to email one to each new member.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracelead.core.safety import FORMULA_TRIGGERS
from tracelead.organisations.models import Organisation, Sector

from . import services
from .models import Academy, Member, RoleLevel, StaffGroup

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# An .xlsx file is a zip: its parts, unpacked, may not grow past this (a zip bomb would).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_COLUMNS = 60
# Rows a spreadsheet leaves formatted but empty: reading stops after this many in a row.
MAX_EMPTY_RUN = 1000
TEXT_LIMIT = 200
WRITE_BATCH = 500

# Each field and the headings that name it (compared after _heading()).
HEADINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "member name", "member"),
    "email": ("email", "email address", "e mail", "e mail address"),
    "organisation": ("organisation", "organization", "organisation name",
                     "organization name", "employer"),
    "sector": ("sector", "organisation sector", "organization sector"),
    "staff_group": ("staff group", "profession", "profession or staff group",
                    "staff group or profession"),
    "place": ("place", "locality", "borough"),
    "level": ("level", "level of role", "role level"),
    "joined": ("joined", "joined on", "date joined", "joined at", "join date"),
}
REQUIRED = ("name", "email", "organisation")
FIELD_WORDS = {"staff_group": "staff group"}


@dataclass(frozen=True)
class ImportProblem:
    line: int
    column: str
    message: str
    # "line" in a CSV file, "row" in a spreadsheet.
    unit: str = "line"

    def __str__(self) -> str:
        if not self.line:
            return self.message
        where = f"{self.unit} {self.line}" + (f", column “{self.column}”" if self.column
                                               else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class MemberRow:
    line: int
    name: str
    email: str
    organisation: Organisation | None
    organisation_name: str
    sector: str
    staff_group: str
    place: str
    level: str
    joined_on: dt.date | None


@dataclass
class ParsedMembers:
    rows: list[MemberRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # Lines of rows whose address is already a member's (left as they are).
    skipped_lines: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    unit: str = "line"


@dataclass
class MemberImportResult:
    created: int = 0
    links_sent: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.skipped_lines)


def _lookup(choices: Any) -> dict[str, str]:
    """Codes and labels (and labels without their bracketed part), lower-cased."""
    table: dict[str, str] = {}
    for value, label in choices.choices:
        table[str(value).lower()] = str(value)
        table[str(value).replace("_", " ").lower()] = str(value)
        table[str(label).lower()] = str(value)
        table[str(label).split(" (")[0].lower()] = str(value)
    return table


SECTORS = _lookup(Sector)
STAFF_GROUPS = _lookup(StaffGroup)
LEVELS = _lookup(RoleLevel)


def _heading(text: str) -> str:
    """A heading compared loosely: case, spaces, _ and - do not matter, nor "(optional)"."""
    words = re.sub(r"\(.*?\)", " ", text.replace("_", " ").replace("-", " ")).lower()
    return " ".join(words.split())


HEADING_FIELDS = {alias: name for name, aliases in HEADINGS.items() for alias in aliases}


class _Unreadable(Exception):
    """The file as a whole cannot be read; the message says why."""


# --- Reading a table -------------------------------------------------------------------


Cell = str | dt.date | dt.datetime | None
Rows = Iterator[tuple[int, list[Cell], set[int]]]


def csv_reader(data: bytes, *, advice: str = "In Excel, save it as “CSV UTF-8”, or upload "
               "the .xlsx file itself.") -> Any:
    """A CSV reader over the file's text (UTF-8, with or without a byte-order mark), its
    delimiter (comma, semicolon or tab) judged from the first line. Raises
    :class:`Unreadable` for text that is not UTF-8 or holds NUL characters; ``advice``
    tells the person what to do instead."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _Unreadable(
            f"The file is not UTF-8 text (byte {error.start} cannot be read). {advice}"
        ) from error
    if "\x00" in text:
        raise _Unreadable("The file contains NUL characters, so it is not a CSV file.")
    first = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        delimiter = ";" if ";" in first else ("\t" if "\t" in first else ",")
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


Unreadable = _Unreadable  # for the other importers that share csv_reader


def _csv_rows(data: bytes) -> Rows:
    reader = csv_reader(data)
    try:
        for number, record in enumerate(reader, start=1):
            yield number, list(record[:MAX_COLUMNS]), set()
    except csv.Error as error:
        raise _Unreadable(f"Line {reader.line_num} cannot be read: {error}.") from error


def _xlsx_rows(data: bytes) -> Rows:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise _Unreadable("The file is not a valid Excel (.xlsx) file.") from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise _Unreadable("The spreadsheet is too large once unpacked; split it into "
                          "smaller files.")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise _Unreadable("The file is not a valid Excel (.xlsx) file.") from error
    try:
        if not book.worksheets:
            raise _Unreadable("The spreadsheet has no sheets.")
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            values: list[Cell] = []
            formulas: set[int] = set()
            for position, cell in enumerate(row):
                value = cell.value
                if getattr(cell, "data_type", "") == "f":
                    formulas.add(position)
                if value is None or isinstance(value, dt.date | str):
                    values.append(value)
                elif isinstance(value, float) and value.is_integer():
                    values.append(str(int(value)))
                else:
                    values.append(str(value))
            yield number, values, formulas
    except _Unreadable:
        raise
    except Exception as error:  # a damaged sheet part, found while reading
        raise _Unreadable("The spreadsheet cannot be read to the end; it may be "
                          "damaged.") from error
    finally:
        book.close()


def _rows(data: bytes, filename: str) -> tuple[Rows, str]:
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data), "row"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _Unreadable("This is an old Excel file (.xls). Save it as .xlsx or as CSV "
                          "UTF-8 and upload that.")
    if name.endswith((".xlsx", ".xlsm")):
        raise _Unreadable("The file is not a valid Excel (.xlsx) file.")
    return _csv_rows(data), "line"


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value.strip()


def _looks_like_formula(text: str) -> bool:
    return unicodedata.normalize("NFKC", text[:1]).startswith(FORMULA_TRIGGERS)


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def _date(value: Cell) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


# --- Checking ---------------------------------------------------------------------------


def parse_members(*, academy: Academy, data: bytes, filename: str = "",
                  today: dt.date | None = None) -> ParsedMembers:
    """Read and check a members file against the academy; never raises for bad content."""
    parsed = ParsedMembers()
    read_and_check(parsed, data, filename,
                   lambda rows: _check_rows(parsed, rows, academy,
                                            today or timezone.localdate()))
    return parsed


def read_and_check(parsed: Any, data: bytes, filename: str,
                   check: Callable[[Rows], None]) -> None:
    """Read a CSV or xlsx file into ``parsed`` (its ``unit`` and ``problems``) and run
    ``check`` on its rows: an empty, oversized or unreadable file is one problem, and the
    problems end up in file order. Shared by every import of the academy."""
    if not data.strip():
        parsed.problems.append(ImportProblem(0, "", "The file is empty."))
        return
    if len(data) > MAX_BYTES:
        parsed.problems.append(ImportProblem(
            0, "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it."))
        return
    try:
        rows, parsed.unit = _rows(data, filename)
        check(rows)
    except _Unreadable as error:
        parsed.problems.append(ImportProblem(0, "", str(error)))
    parsed.problems.sort(key=lambda p: (p.line, p.column))


Columns = dict[str, tuple[int, str]]


def named_columns(parsed: Any, number: int, cells: list[Cell], *,
                  heading_fields: dict[str, str], required: Sequence[str],
                  words: dict[str, str] | None = None) -> Columns | None:
    """The fields' positions and headings as written, or None (with problems in
    ``parsed``) if the header row is unusable: a field named twice, or a required one
    missing. Headings that name no field go to ``parsed.ignored_columns``."""
    words = words or {}
    columns: Columns = {}
    for position, cell in enumerate(cells):
        heading = _text(cell)
        if not heading:
            continue
        name = heading_fields.get(_heading(heading))
        if name is None:
            parsed.ignored_columns.append(heading)
        elif name in columns:
            parsed.problems.append(ImportProblem(
                number, heading, f"this column and “{columns[name][1]}” both give the "
                f"{words.get(name, name.replace('_', ' '))}; keep one of them", parsed.unit))
        else:
            columns[name] = (position, heading)
    missing = [words.get(n, n) for n in required if n not in columns]
    if missing:
        parsed.problems.append(ImportProblem(
            number, "", "the first row must name the columns; missing: " + ", ".join(missing)
            + " (see the help for the headings)", parsed.unit))
    return None if parsed.problems else columns


def table_rows(parsed: Any, rows: Rows, *, heading_fields: dict[str, str],
               required: Sequence[str], max_rows: int, things: str,
               words: dict[str, str] | None = None
               ) -> Iterator[tuple[int, list[Cell], set[int], Columns]]:
    """The data rows of a table whose first row names its columns, with the columns.

    Shared by every import: an empty first row makes the file unreadable; a bad header,
    more than ``max_rows`` rows (``things``, for example "members") or no rows at all is
    a problem in ``parsed``; a run of ``MAX_EMPTY_RUN`` empty rows ends the table."""
    columns: Columns | None = None
    empty_run = 0
    count = 0
    for number, cells, formulas in rows:
        if columns is None:
            if not any(_text(c) for c in cells):
                raise _Unreadable("The first row must name the columns ("
                                  + ", ".join(required) + ", ...); it is empty.")
            columns = named_columns(parsed, number, cells, heading_fields=heading_fields,
                                    required=required, words=words)
            if columns is None:
                return
            continue
        if not any(_text(c) for c in cells):
            empty_run += 1
            if empty_run >= MAX_EMPTY_RUN:
                break
            continue
        empty_run = 0
        count += 1
        if count > max_rows:
            parsed.problems.append(ImportProblem(
                number, "", f"the file has more than {max_rows:,} {things}; split it",
                parsed.unit))
            return
        yield number, cells, formulas, columns
    if columns is None:
        parsed.problems.append(ImportProblem(0, "", "The file is empty."))
    elif count == 0 and not parsed.problems:
        parsed.problems.append(ImportProblem(0, "", f"The file has column headings but no "
                                                    f"{things}."))


def _check_rows(parsed: ParsedMembers, rows: Rows, academy: Academy, today: dt.date) -> None:
    organisations = {o.name.strip().lower(): o
                     for o in Organisation.objects.filter(system_id=academy.system_id)}
    places = {p.lower(): p for p in academy.place_list()}
    existing = {email for email in Member.objects.filter(academy=academy, email__isnull=False)
                .values_list("email", flat=True) if email}
    first_line: dict[str, int] = {}
    for number, cells, formulas, columns in table_rows(
            parsed, rows, heading_fields=HEADING_FIELDS, required=REQUIRED,
            max_rows=MAX_ROWS, things="members", words=FIELD_WORDS):
        _check_row(parsed, number, cells, formulas, columns, organisations=organisations,
                   places=places, existing=existing, first_line=first_line, today=today)


def _check_row(parsed: ParsedMembers, number: int, cells: list[Cell], formulas: set[int],
               columns: dict[str, tuple[int, str]], *, organisations: dict[str, Organisation],
               places: dict[str, str], existing: set[str], first_line: dict[str, int],
               today: dt.date) -> None:
    unit = parsed.unit
    problems: list[ImportProblem] = []

    def problem(name: str, message: str) -> None:
        problems.append(ImportProblem(number, columns[name][1], message, unit))

    def raw(name: str) -> Cell:
        if name not in columns:
            return None
        position = columns[name][0]
        return cells[position] if position < len(cells) else None

    values: dict[str, str] = {}
    for name, (position, _) in columns.items():
        value = _text(raw(name))
        values[name] = value
        if position in formulas:
            problem(name, "is a formula; replace it with its value")
        elif name in {"name", "organisation", "place"} and value and _looks_like_formula(value):
            problem(name, "must not start with =, +, - or @ (a spreadsheet would run it "
                          "as a formula)")
        elif name != "joined" and len(value) > TEXT_LIMIT:
            problem(name, f"is longer than {TEXT_LIMIT} characters")
    if problems:
        parsed.problems.extend(problems)
        return

    if not values["name"]:
        problem("name", "the name is empty")
    email = services.normalise_email(values["email"])
    skip = False
    if not email:
        problem("email", "the email address is empty")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problem("email", "is not an email address")
        else:
            if email in first_line:
                problem("email", f"the same email address as {unit} {first_line[email]}")
            else:
                first_line[email] = number
                skip = email in existing

    organisation = organisations.get(values["organisation"].lower())
    sector = ""
    if values.get("sector"):
        sector = SECTORS.get(values["sector"].lower(), "")
        if not sector and organisation is None:
            problem("sector", "is not one of the sectors listed in the help")
    if not values["organisation"]:
        problem("organisation", "the organisation is empty")
    elif organisation is None and not sector and not values.get("sector"):
        where = "organisation" if "sector" not in columns else "sector"
        problem(where, f"“{values['organisation']}” is not an organisation of the system; "
                       "give its sector to add the member with an organisation that is "
                       "not listed")

    staff_group = ""
    if values.get("staff_group"):
        staff_group = STAFF_GROUPS.get(values["staff_group"].lower(), "")
        if not staff_group:
            problem("staff_group", "is not one of the professions or staff groups listed in "
                                   "the help")
    level = ""
    if values.get("level"):
        level = LEVELS.get(values["level"].lower(), "")
        if not level:
            problem("level", "is not one of the levels of role listed in the help")
    place = values.get("place", "")
    if place and places:
        place = places.get(place.lower(), "")
        if not place:
            problem("place", "is not one of the academy's places: "
                             + ", ".join(places.values()))
    joined_on = None
    if values.get("joined"):
        try:
            joined_on = _date(raw("joined"))
        except ValueError:
            problem("joined", "is not a date like 2026-03-31 or 31/03/2026")
        else:
            if joined_on > today:
                problem("joined", "is in the future")
    if problems:
        parsed.problems.extend(problems)
        return
    if skip:
        parsed.skipped_lines.append(number)
        return
    parsed.rows.append(MemberRow(
        line=number, name=values["name"], email=email, organisation=organisation,
        organisation_name="" if organisation else values["organisation"],
        sector=organisation.sector if organisation else sector,
        staff_group=staff_group, place=place, level=level, joined_on=joined_on,
    ))


# --- Writing ----------------------------------------------------------------------------


def _joined_at(row: MemberRow, now: dt.datetime) -> dt.datetime:
    if row.joined_on is None:
        return now
    return timezone.make_aware(dt.datetime.combine(row.joined_on, dt.time(12)))


def members_write(*, academy: Academy, parsed: ParsedMembers, send_links: bool = False,
                  now: dt.datetime | None = None,
                  progress: Callable[[int], None] | None = None) -> MemberImportResult:
    """Create the checked rows' members in one transaction (nothing if any problem)."""
    result = MemberImportResult(skipped_lines=list(parsed.skipped_lines),
                                ignored_columns=list(parsed.ignored_columns),
                                problems=list(parsed.problems))
    if result.problems:
        return result
    now = now or timezone.now()
    try:
        with transaction.atomic():
            created: list[Member] = []
            for start in range(0, len(parsed.rows), WRITE_BATCH):
                batch = [
                    Member(academy=academy, name=row.name, email=row.email,
                           organisation=row.organisation,
                           organisation_name=row.organisation_name, sector=row.sector,
                           staff_group=row.staff_group, place=row.place, level=row.level,
                           joined_at=_joined_at(row, now), consented_at=now)
                    for row in parsed.rows[start:start + WRITE_BATCH]
                ]
                created.extend(Member.objects.bulk_create(batch))
                if progress is not None:
                    progress(len(batch))
            if send_links:
                for member in created:
                    services.member_link_send(member=member, joined=True)
                result.links_sent = len(created)
    except IntegrityError:
        # Someone joined with one of the addresses while the file was being checked.
        result.problems = [ImportProblem(
            0, "", "A member joined with one of these email addresses while the file was "
                   "being imported. Nothing was imported; import the file again.")]
        return result
    result.created = len(created)
    return result


def member_import(*, academy: Academy, data: bytes, filename: str = "",
                  send_links: bool = False, now: dt.datetime | None = None,
                  progress: Callable[[int], None] | None = None) -> MemberImportResult:
    """Check the whole file, then add its members in one transaction."""
    parsed = parse_members(academy=academy, data=data, filename=filename,
                           today=timezone.localdate(now) if now else None)
    return members_write(academy=academy, parsed=parsed, send_links=send_links, now=now,
                         progress=progress)
