"""Importing answers from Mentimeter, SurveyMonkey and Microsoft Forms exports.

A programme lead often has a year of answers in another tool. This module reads their
export files into an evaluation :class:`~tracelead.evaluation.models.Form` of a programme
(or of one event, for an event's feedback), with its items, submissions and answers.

The layouts read
----------------
**Microsoft Forms** (``forms``; the .xlsx from "Open results in Excel", or that sheet
saved as CSV): one row per response. The first row names the columns: ``ID``, ``Start
time``, ``Completion time``, ``Email``, ``Name`` (sometimes ``Last modified time``), then
one column per question. Several choices are written in one cell, each followed by a
semicolon (``Daily;Weekly;``). ``ID`` is the response's key; ``Completion time`` its time.

**SurveyMonkey** (``surveymonkey``; "All responses data" as CSV or .xlsx): two heading
rows. The first names ``Respondent ID``, ``Collector ID``, ``Start Date``, ``End Date``,
``IP Address``, ``Email Address``, ``First Name``, ``Last Name``, ``Custom Data 1``, then
each question over its first column; the second row names each column under a question:
``Response`` (or ``Open-Ended Response``) for a question with one answer, or one column
per option of a question with several choices (the cell then holds the option when it was
chosen), or one column per row of a matrix (the cell holds the column chosen).
``Respondent ID`` is the key; ``End Date`` the time.

**Mentimeter** (``menti``; "Download results" as .xlsx): one sheet per question. The
question is in the first cell; the second row names the columns, a voter's id
(``Voter ID``) and their answer (``Response``); then one row per answer, and a voter who
chose several options has several rows. Sheets without that layout (a summary sheet) are
not read and are named in the outcome. The same results as one CSV file have one row per
answer with the columns ``Question``, ``Voter ID`` and ``Response``. A voter's id is the
key that joins their answers across questions.

Checking, then writing
----------------------
:func:`read_export` reads the file and finds its layout (no database), :func:`guess_plan`
proposes a use for each column (a rating when nearly every value is a whole number from
0 to 10; one choice when a few answers repeat; several choices; open text; the email
address that pairs a row with an academy member; the person's agreement to be quoted; or
not imported), :func:`check_plan` checks every row against the plan and the database and
says what would be created, and :func:`answers_write` writes it in one transaction.
:func:`answers_import` does all four. A file with any problem changes nothing; each
problem names its line (CSV) or row (Excel), its column, and for Mentimeter its sheet.

Importing the same file again creates nothing twice: a form remembers the SHA-256 of the
file it came from (``Form.source_digest``), so the same file for the same programme
reuses that form, and each submission keeps the vendor's key of its row
(``Submission.source_key``: the response ID, respondent ID or voter ID; a hash of the row
where the file has none), unique within its form, so rows already imported are skipped and
counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from tracelead.academy.importing import MAX_BYTES, MAX_UNPACKED_BYTES, ImportProblem
from tracelead.academy.models import Event, Member, Programme
from tracelead.academy.services import normalise_email

from . import services
from .models import KIND_LEVEL, Answer, Form, FormKind, Item, ItemKind, Source, Submission

FORMATS: dict[str, str] = {
    Source.MENTIMETER.value: Source.MENTIMETER.label,
    Source.SURVEYMONKEY.value: Source.SURVEYMONKEY.label,
    Source.FORMS.value: Source.FORMS.label,
}
MAX_RESPONDENTS = 20_000
MAX_COLUMNS = 400
MAX_CHOICES = 30
CHOICE_LIMIT = 200
ITEM_TEXT_LIMIT = 500
WRITE_BATCH = 500
# Rows a spreadsheet leaves formatted but empty: reading stops after this many in a row.
MAX_EMPTY_RUN = 1000

# What a column can be used for.
USES: dict[str, str] = {
    "rating": "Rating",
    "choice": "One choice",
    "choices": "Several choices",
    "text": "Open text",
    "email": "Email address (to pair with a member)",
    "consent": "Agreed to be quoted (yes or no)",
    "ignore": "Do not import",
}
QUESTION_USES = {"rating": ItemKind.RATING, "choice": ItemKind.CHOICE,
                 "choices": ItemKind.CHOICES, "text": ItemKind.TEXT}
SCALE_LIMITS = (0, 10)
YES = {"yes", "y", "true", "1", "agree", "i agree", "agreed", "yes, you may quote me"}
NO = {"no", "n", "false", "0", "disagree", "i do not agree", "not agreed", ""}
ANONYMOUS = {"", "anonymous"}

FORMS_META = {"id", "start time", "completion time", "email", "name", "last modified time",
              "total points", "quiz feedback"}
MONKEY_META = {"respondent id", "collector id", "start date", "end date", "ip address",
               "email address", "first name", "last name"}
VOTER = {"voter id", "voter", "participant id", "participant", "voter number"}
RESPONSE = {"response", "answer", "vote", "responses"}
QUESTION = {"question", "question title", "slide", "question text"}
SINGLE_SUBS = {"response", "open-ended response", "open ended response", ""}

Value = str | tuple[str, ...]


@dataclass(frozen=True)
class Problem(ImportProblem):
    """A problem of the file, by line (CSV) or row (Excel) and column, and for a workbook
    of several sheets, the sheet."""

    sheet: str = ""

    def __str__(self) -> str:
        text = super().__str__()
        return f"sheet “{self.sheet}”, {text}" if self.sheet and self.line else text


class _Unreadable(Exception):
    """The file as a whole cannot be read; the message says why."""


@dataclass
class Column:
    """One question (or the email column) as the file gives it."""

    heading: str
    # Several options per answer: SurveyMonkey's option columns, Mentimeter's repeated rows.
    multi: bool = False


@dataclass
class Respondent:
    """One person's row: their key, when they finished, and their values by column."""

    line: int
    key: str = ""
    finished: dt.datetime | None = None
    values: dict[int, Value] = field(default_factory=dict)
    # Where each value was read, when not on the row's own line (Mentimeter's sheets).
    places: dict[int, tuple[str, int, str]] = field(default_factory=dict)
    sheet: str = ""


@dataclass
class ParsedExport:
    format: str = ""
    unit: str = "line"
    columns: list[Column] = field(default_factory=list)
    respondents: list[Respondent] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Columns and sheets read only for keys and times, or not read at all.
    not_read: list[str] = field(default_factory=list)

    @property
    def format_name(self) -> str:
        return FORMATS.get(self.format, "")


@dataclass
class ColumnPlan:
    use: str
    scale_min: int = 1
    scale_max: int = 5


@dataclass
class ItemDraft:
    column: int
    kind: str
    text: str
    scale_min: int = 1
    scale_max: int = 5
    choices: list[str] = field(default_factory=list)


@dataclass
class RowDraft:
    line: int
    key: str
    member_id: int | None
    consent: bool
    submitted_at: dt.datetime | None
    answers: dict[int, dict[str, Any]]


@dataclass
class Preview:
    """What importing the file with this plan would create, and every problem."""

    parsed: ParsedExport
    plan: list[ColumnPlan]
    digest: str
    items: list[ItemDraft] = field(default_factory=list)
    rows: list[RowDraft] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    existing_form: Form | None = None
    duplicates: int = 0
    empty_rows: int = 0
    members_matched: int = 0
    emails_unmatched: int = 0

    @property
    def unit(self) -> str:
        return self.parsed.unit


@dataclass
class ImportOutcome:
    preview: Preview
    committed: bool = False
    form: Form | None = None
    items_created: int = 0
    submissions_created: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def form_reused(self) -> bool:
        return self.preview.existing_form is not None


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _heading(text: str) -> str:
    return " ".join(str(text).replace("_", " ").lower().split())


# --- Reading tables ---------------------------------------------------------------------

Cell = str | dt.datetime | dt.date | None
Sheet = tuple[str, list[tuple[int, list[Cell]]]]


def _csv_sheet(data: bytes) -> list[Sheet]:
    from tracelead.academy.importing import Unreadable, csv_reader

    try:
        reader = csv_reader(data, advice="Download it again as CSV from the tool, or upload "
                                         "the .xlsx file.")
    except Unreadable as error:
        raise _Unreadable(str(error)) from error
    rows: list[tuple[int, list[Cell]]] = []
    try:
        for record in reader:
            if len(record) > MAX_COLUMNS:
                raise _Unreadable(f"Line {reader.line_num} has more than {MAX_COLUMNS} "
                                  "columns.")
            rows.append((reader.line_num, list(record)))
    except csv.Error as error:
        raise _Unreadable(f"Line {reader.line_num} cannot be read: {error}.") from error
    return [("", rows)]


def _xlsx_sheets(data: bytes) -> list[Sheet]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise _Unreadable("The file is not a valid Excel (.xlsx) file.") from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise _Unreadable("The workbook is too large once unpacked; split it.")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise _Unreadable("The file is not a valid Excel (.xlsx) file.") from error
    sheets: list[Sheet] = []
    try:
        for sheet in book.worksheets:
            rows: list[tuple[int, list[Cell]]] = []
            empty_run = 0
            for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
                values: list[Cell] = []
                for cell in row:
                    value = cell.value
                    if getattr(cell, "data_type", "") == "f":
                        raise _Unreadable(
                            f"Sheet “{sheet.title}”, row {number} holds a formula; export "
                            "the results again, or paste the values only.")
                    if value is None or isinstance(value, str | dt.date):
                        values.append(value)
                    elif isinstance(value, float) and value.is_integer():
                        values.append(str(int(value)))
                    else:
                        values.append(str(value))
                while values and not _text(values[-1]):
                    values.pop()
                if not values:
                    empty_run += 1
                    if empty_run >= MAX_EMPTY_RUN:
                        break
                else:
                    empty_run = 0
                rows.append((number, values))
            sheets.append((str(sheet.title), rows))
    except _Unreadable:
        raise
    except Exception as error:  # a damaged sheet part, found while reading
        raise _Unreadable("The workbook cannot be read to the end; it may be damaged.") \
            from error
    finally:
        book.close()
    if not sheets:
        raise _Unreadable("The workbook has no sheets.")
    return sheets


def _sheets(data: bytes, filename: str) -> tuple[list[Sheet], str]:
    if data[:4] == b"PK\x03\x04":
        return _xlsx_sheets(data), "row"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _Unreadable("This is an old Excel file (.xls). Save it as .xlsx or as CSV "
                          "UTF-8 and upload that.")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _Unreadable("The file is not a valid Excel (.xlsx) file.")
    return _csv_sheet(data), "line"


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else \
            value.isoformat()
    return value.strip()


def _trimmed(rows: list[tuple[int, list[Cell]]]) -> list[tuple[int, list[Cell]]]:
    """Rows without the empty ones at the end of a sheet (and leading blank lines)."""
    while rows and not any(_text(c) for c in rows[-1][1]):
        rows = rows[:-1]
    return rows


# --- Dates ------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[ T,]+(\d{1,2}):(\d{2})"
                   r"(?::(\d{2})(?:\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?)?$")


def _day_first(texts: Sequence[str]) -> bool:
    """Whether dates such as 03/04/2026 are day first: only if some date in the column
    could not be month first (its first number is over 12). The tools' own default is
    month first (US); an export made in a UK account shows days over 12 soon enough."""
    for text in texts:
        match = _DATE.match(text.strip())
        if match and len(match.group(1)) <= 2:
            if int(match.group(1)) > 12:
                return True
            if int(match.group(2)) > 12:
                return False
    return False


def _when(value: Cell, *, day_first: bool) -> dt.datetime:
    """A finishing time as an aware datetime; ``ValueError`` if it is not one."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(12))
    else:
        text = _text(value)
        match = _DATE.match(text)
        if match is None:
            raise ValueError(text)
        first, second, third, hour, minute, second_s, half = match.groups()
        if len(first) == 4:
            year, month, day = int(first), int(second), int(third)
        else:
            year = int(third) + (2000 if len(third) <= 2 else 0)
            day, month = (int(first), int(second)) if day_first else (int(second), int(first))
        hours = int(hour or 12)
        if half:
            if hours > 12:
                raise ValueError(text)
            hours = hours % 12 + (12 if half[0] in "Pp" else 0)
        moment = dt.datetime(year, month, day, hours, int(minute or 0), int(second_s or 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# --- Layouts ----------------------------------------------------------------------------


def _menti_sheet(rows: list[tuple[int, list[Cell]]]) -> tuple[int, int] | None:
    """Positions of the voter and response columns if this is a Mentimeter question
    sheet (question in the first cell, headings on the second row)."""
    if len(rows) < 2 or not _text(rows[0][1][0] if rows[0][1] else None):
        return None
    headings = [_heading(_text(c)) for c in rows[1][1]]
    voter = next((i for i, h in enumerate(headings) if h in VOTER), None)
    response = next((i for i, h in enumerate(headings) if h in RESPONSE), None)
    return None if voter is None or response is None else (voter, response)


def detect(sheets: Sequence[Sheet]) -> str:
    """The tool whose layout the file has, or "" if none."""
    if any(_menti_sheet(_trimmed(rows)) for _, rows in sheets):
        return "menti"
    rows = _trimmed(sheets[0][1])
    if not rows:
        return ""
    first = [_heading(_text(c)) for c in rows[0][1]]
    if {"respondent id", "collector id"} <= set(first):
        return "surveymonkey"
    if first[:3] == ["id", "start time", "completion time"]:
        return "forms"
    if VOTER & set(first) and QUESTION & set(first) and RESPONSE & set(first):
        return "menti"
    return ""


def read_export(data: bytes, filename: str = "", fmt: str = "") -> ParsedExport:
    """Read an export file; never raises for bad content (problems are listed)."""
    parsed = ParsedExport()
    if fmt and fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)} or empty, not {fmt!r}")
    if not data.strip():
        parsed.problems.append(Problem(0, "", "The file is empty."))
        return parsed
    if len(data) > MAX_BYTES:
        parsed.problems.append(Problem(
            0, "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it."))
        return parsed
    try:
        sheets, parsed.unit = _sheets(data, filename)
        found = detect(sheets)
        parsed.format = fmt or found
        if not parsed.format:
            raise _Unreadable(
                "The layout of the file was not recognised. The first row must name the "
                "columns as the tool writes them: ID, Start time, Completion time ... "
                "(Microsoft Forms); Respondent ID, Collector ID ... over a second heading "
                "row (SurveyMonkey); or a sheet per question with Voter ID and Response "
                "(Mentimeter).")
        if parsed.format == "forms":
            _read_forms(parsed, sheets[0])
        elif parsed.format == "surveymonkey":
            _read_monkey(parsed, sheets[0])
        else:
            _read_menti(parsed, sheets)
    except _Unreadable as error:
        parsed.problems.append(Problem(0, "", str(error)))
    if not parsed.problems and not parsed.respondents:
        parsed.problems.append(Problem(0, "", "The file has its headings but no answers."))
    if len(parsed.respondents) > MAX_RESPONDENTS:
        parsed.problems.append(Problem(0, "", f"The file has more than {MAX_RESPONDENTS:,} "
                                              "responses; split it."))
    parsed.problems.sort(key=lambda p: (p.sheet, p.line, p.column))
    return parsed


def _width_problems(parsed: ParsedExport, rows: list[tuple[int, list[Cell]]], width: int,
                    sheet: str = "") -> None:
    for number, cells in rows:
        if not any(_text(c) for c in cells):
            continue
        last = max((i for i, c in enumerate(cells) if _text(c)), default=-1)
        if parsed.unit == "line" and len(cells) != width:
            parsed.problems.append(Problem(
                number, "", f"has {len(cells)} columns but the headings have {width}; a "
                            "value may contain an unquoted comma, or a column is missing",
                parsed.unit, sheet))
        elif last >= width:
            parsed.problems.append(Problem(
                number, "", f"has a value in column {last + 1}, which has no heading",
                parsed.unit, sheet))


def _finish_times(parsed: ParsedExport, found: list[tuple[Respondent, Cell, str]]) -> None:
    day_first = _day_first([_text(v) for _, v, _ in found if isinstance(v, str)])
    for respondent, value, heading in found:
        if not _text(value):
            continue
        try:
            respondent.finished = _when(value, day_first=day_first)
        except ValueError:
            parsed.problems.append(Problem(
                respondent.line, heading, "is not a date and time such as 31/03/2026 14:05",
                parsed.unit, respondent.sheet))


def _keys(parsed: ParsedExport, heading: str) -> None:
    first: dict[str, int] = {}
    for respondent in parsed.respondents:
        if not respondent.key:
            continue
        if respondent.key in first:
            parsed.problems.append(Problem(
                respondent.line, heading, f"the same {heading} as {parsed.unit} "
                                          f"{first[respondent.key]}", parsed.unit,
                respondent.sheet))
        else:
            first[respondent.key] = respondent.line


def _read_forms(parsed: ParsedExport, sheet: Sheet) -> None:
    rows = _trimmed(sheet[1])
    if not rows:
        raise _Unreadable("The file is empty.")
    _, cells = rows[0]
    headings = [_text(c) for c in cells]
    names = [_heading(h) for h in headings]
    if names[:3] != ["id", "start time", "completion time"]:
        raise _Unreadable(f"The first {parsed.unit} must name the columns as Microsoft "
                          "Forms writes them: ID, Start time, Completion time, Email, "
                          "Name, then the questions.")
    columns: dict[int, int] = {}
    for position, (heading, name) in enumerate(zip(headings, names, strict=True)):
        if name == "email":
            columns[position] = len(parsed.columns)
            parsed.columns.append(Column(heading))
        elif name in FORMS_META or not heading:
            if heading and name not in {"id", "completion time"}:
                parsed.not_read.append(heading)
        else:
            columns[position] = len(parsed.columns)
            parsed.columns.append(Column(heading))
    _width_problems(parsed, rows[1:], len(cells), sheet[0])
    times: list[tuple[Respondent, Cell, str]] = []
    done = names.index("completion time")
    for line, row in rows[1:]:
        if not any(_text(c) for c in row):
            continue
        respondent = Respondent(line=line, key=_text(row[0]) if row else "")
        for position, column in columns.items():
            value = _text(row[position]) if position < len(row) else ""
            if value:
                respondent.values[column] = value
        times.append((respondent, row[done] if done < len(row) else None, headings[done]))
        parsed.respondents.append(respondent)
    _finish_times(parsed, times)
    _keys(parsed, headings[0])
    parsed.not_read.sort(key=lambda h: headings.index(h) if h in headings else 0)


def _read_monkey(parsed: ParsedExport, sheet: Sheet) -> None:
    rows = _trimmed(sheet[1])
    if len(rows) < 2:
        raise _Unreadable("A SurveyMonkey export has two heading rows (the questions, then "
                          "“Response” or each option); this file has fewer rows.")
    (_, top), (_, subs_cells) = rows[0], rows[1]
    width = max(len(top), len(subs_cells))
    tops = [_text(top[i]) if i < len(top) else "" for i in range(width)]
    subs = [_text(subs_cells[i]) if i < len(subs_cells) else "" for i in range(width)]
    names = [_heading(h) for h in tops]
    if "respondent id" not in names:
        raise _Unreadable("The first row must name the columns as SurveyMonkey writes "
                          "them: Respondent ID, Collector ID, Start Date, End Date, ...")
    if _heading(subs[names.index("respondent id")]) in {"respondent id"} or any(
            _heading(s) in MONKEY_META for s in subs):
        raise _Unreadable(f"The second {parsed.unit} must be SurveyMonkey's second heading "
                          "row (“Response” or the options under each question); it "
                          "repeats the headings instead.")
    looks_like_answers = names.index("respondent id") < len(subs) and subs[
        names.index("respondent id")].isdigit()
    if looks_like_answers:
        raise _Unreadable(f"The second {parsed.unit} holds answers, not SurveyMonkey's "
                          "second heading row (“Response” or the options under each "
                          "question). Export the file again with both heading rows.")
    key_at = names.index("respondent id")
    end_at = names.index("end date") if "end date" in names else None
    # Questions: a heading in the first row, over the columns up to the next heading.
    groups: list[tuple[str, list[int]]] = []
    for position, (heading, name) in enumerate(zip(tops, names, strict=True)):
        if name in MONKEY_META or name.startswith("custom data"):
            if name == "email address":
                groups.append((heading, [position]))
            elif name not in {"respondent id", "end date"}:
                parsed.not_read.append(heading)
        elif heading:
            groups.append((heading, [position]))
        elif groups and position > 0:
            groups[-1][1].append(position)
    data_rows = [(n, r) for n, r in rows[2:] if any(_text(c) for c in r)]
    _width_problems(parsed, rows[2:], width, sheet[0])
    # Each group becomes one column, or several (a matrix: one per row of the matrix; an
    # "Other (please specify)" box: its own text column).
    plans: list[tuple[int, list[int], bool]] = []
    for heading, positions in groups:
        if len(positions) == 1 and _heading(subs[positions[0]]) in SINGLE_SUBS:
            plans.append((len(parsed.columns), positions, False))
            parsed.columns.append(Column(heading))
            continue
        options = [p for p in positions if not _heading(subs[p]).startswith("other")]
        others = [p for p in positions if p not in options]
        marks = all(_text(r[p]) in ("", subs[p]) for _, r in data_rows for p in options
                    if p < len(r))
        if marks:
            plans.append((len(parsed.columns), options, True))
            parsed.columns.append(Column(heading, multi=True))
        else:
            for p in options:
                plans.append((len(parsed.columns), [p], False))
                parsed.columns.append(Column(f"{heading} – {subs[p]}"))
        for p in others:
            plans.append((len(parsed.columns), [p], False))
            parsed.columns.append(Column(f"{heading} – {subs[p]}"))
    times: list[tuple[Respondent, Cell, str]] = []
    for line, row in data_rows:
        respondent = Respondent(line=line, key=_text(row[key_at]) if key_at < len(row) else "")
        for column, positions, multi in plans:
            got = [_text(row[p]) for p in positions if p < len(row) and _text(row[p])]
            if multi and got:
                respondent.values[column] = tuple(got)
            elif got:
                respondent.values[column] = got[0]
        if end_at is not None:
            times.append((respondent, row[end_at] if end_at < len(row) else None,
                          tops[end_at]))
        parsed.respondents.append(respondent)
    _finish_times(parsed, times)
    _keys(parsed, tops[key_at])


def _read_menti(parsed: ParsedExport, sheets: Sequence[Sheet]) -> None:
    by_voter: dict[str, Respondent] = {}
    answers: dict[tuple[str, int], list[str]] = {}
    readable = False
    for title, raw in sheets:
        rows = _trimmed(raw)
        found = _menti_sheet(rows)
        if found is not None:
            readable = True
            voter_at, response_at = found
            heading = _text(rows[1][1][response_at])
            column = len(parsed.columns)
            parsed.columns.append(Column(_text(rows[0][1][0])))
            sheet = title if len(sheets) > 1 else ""
            _width_problems(parsed, rows[2:], len(rows[1][1]), sheet)
            for number, cells in rows[2:]:
                _menti_answer(parsed, by_voter, answers, cells, number, sheet, column,
                              voter_at, response_at, heading, _text(rows[1][1][voter_at]))
            continue
        long_form = _menti_long(rows)
        if long_form is None:
            parsed.not_read.append(f"sheet “{title}”" if title else "the file")
            continue
        readable = True
        voter_at, question_at, response_at = long_form
        questions: dict[str, int] = {}
        sheet = title if len(sheets) > 1 else ""
        _width_problems(parsed, rows[1:], len(rows[0][1]), sheet)
        for number, cells in rows[1:]:
            question = _text(cells[question_at]) if question_at < len(cells) else ""
            if not any(_text(c) for c in cells):
                continue
            if not question:
                parsed.problems.append(Problem(number, _text(rows[0][1][question_at]),
                                               "the question is empty", parsed.unit, sheet))
                continue
            if question not in questions:
                questions[question] = len(parsed.columns)
                parsed.columns.append(Column(question))
            _menti_answer(parsed, by_voter, answers, cells, number, sheet,
                          questions[question], voter_at, response_at,
                          _text(rows[0][1][response_at]), _text(rows[0][1][voter_at]))
    if not readable:
        raise _Unreadable("No sheet has Mentimeter's layout: the question in the first "
                          "cell, then a row naming Voter ID and Response, then the answers.")
    for (voter, column), values in answers.items():
        respondent = by_voter[voter]
        if len(values) > 1:
            respondent.values[column] = tuple(values)
            parsed.columns[column].multi = True
        else:
            respondent.values[column] = values[0]
    parsed.respondents = list(by_voter.values())


def _menti_long(rows: list[tuple[int, list[Cell]]]) -> tuple[int, int, int] | None:
    if not rows:
        return None
    names = [_heading(_text(c)) for c in rows[0][1]]
    found = [next((i for i, n in enumerate(names) if n in words), None)
             for words in (VOTER, QUESTION, RESPONSE)]
    if None in found:
        return None
    voter, question, response = (int(i) for i in found if i is not None)
    return voter, question, response


def _menti_answer(parsed: ParsedExport, by_voter: dict[str, Respondent],
                  answers: dict[tuple[str, int], list[str]], cells: list[Cell], number: int,
                  sheet: str, column: int, voter_at: int, response_at: int,
                  response_heading: str, voter_heading: str) -> None:
    if not any(_text(c) for c in cells):
        return
    voter = _text(cells[voter_at]) if voter_at < len(cells) else ""
    value = _text(cells[response_at]) if response_at < len(cells) else ""
    if not voter:
        parsed.problems.append(Problem(number, voter_heading, "the voter's id is empty",
                                       parsed.unit, sheet))
        return
    respondent = by_voter.get(voter)
    if respondent is None:
        respondent = by_voter[voter] = Respondent(line=number, key=voter, sheet=sheet)
    if value:
        answers.setdefault((voter, column), []).append(value)
        respondent.places.setdefault(column, (sheet, number, response_heading))


# --- The plan: what each column is ------------------------------------------------------


def _flat(values: Sequence[Value]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(value if isinstance(value, tuple) else [value])
    return [v for v in out if v]


def _is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def _whole(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d{1,3}", text.strip()) else None


def column_values(parsed: ParsedExport, column: int) -> list[Value]:
    return [r.values[column] for r in parsed.respondents if column in r.values]


def guess_plan(parsed: ParsedExport) -> list[ColumnPlan]:
    """A use for each column, from its heading and its values (the lead can change it)."""
    plan: list[ColumnPlan] = []
    email_taken = consent_taken = False
    for index, column in enumerate(parsed.columns):
        values = column_values(parsed, index)
        flat = _flat(values)
        name = _heading(column.heading)
        if not flat:
            plan.append(ColumnPlan("ignore"))
            continue
        if column.multi or (parsed.format == "forms" and all(v.endswith(";") for v in flat)):
            plan.append(ColumnPlan("choices"))
            continue
        lowered = {v.lower() for v in flat}
        if not email_taken and all(v.lower() in ANONYMOUS or _is_email(v) for v in flat) \
                and any(_is_email(v) for v in flat):
            plan.append(ColumnPlan("email"))
            email_taken = True
            continue
        if not consent_taken and re.search(r"quot|consent", name) and lowered <= YES | NO:
            plan.append(ColumnPlan("consent"))
            consent_taken = True
            continue
        # Most values whole numbers of a small scale: a rating (the others become
        # problems to correct, or the lead chooses another use).
        numbers = [n for n in (_whole(v) for v in flat)
                   if n is not None and SCALE_LIMITS[0] <= n <= SCALE_LIMITS[1]]
        if numbers and len(numbers) > 0.5 * len(flat):
            top = max(numbers)
            plan.append(ColumnPlan("rating", 0 if min(numbers) == 0 else 1,
                                   5 if top <= 5 else 7 if top <= 7 else 10))
            continue
        distinct = set(flat)
        if len(distinct) <= 12 and len(distinct) < len(flat) and \
                all(len(v) <= CHOICE_LIMIT for v in distinct):
            plan.append(ColumnPlan("choice"))
            continue
        plan.append(ColumnPlan("text"))
    return plan


def plan_from_data(parsed: ParsedExport, data: Any) -> tuple[list[ColumnPlan], dict[str, str]]:
    """The plan posted from the mapping page (``col-N-use``, ``col-N-min``, ``col-N-max``),
    starting from the guess; errors by field name."""
    plan = guess_plan(parsed)
    errors: dict[str, str] = {}
    for index, entry in enumerate(plan):
        use = str(data.get(f"col-{index}-use", entry.use))
        if use not in USES:
            errors[f"col-{index}-use"] = "Choose what this column is"
            continue
        entry.use = use
        if use != "rating":
            continue
        low, high = data.get(f"col-{index}-min"), data.get(f"col-{index}-max")
        try:
            entry.scale_min = int(low) if low not in (None, "") else entry.scale_min
            entry.scale_max = int(high) if high not in (None, "") else entry.scale_max
        except (TypeError, ValueError):
            errors[f"col-{index}-min"] = "Enter the scale's ends as whole numbers"
            continue
        if not (SCALE_LIMITS[0] <= entry.scale_min < entry.scale_max <= SCALE_LIMITS[1]):
            errors[f"col-{index}-min"] = (f"The scale must run upwards within "
                                          f"{SCALE_LIMITS[0]} to {SCALE_LIMITS[1]}")
    return plan, errors


# --- Checking against the plan and the database -----------------------------------------


def _place(parsed: ParsedExport, respondent: Respondent, column: int) -> tuple[str, int, str]:
    if column in respondent.places:
        return respondent.places[column]
    return respondent.sheet, respondent.line, parsed.columns[column].heading


def _row_key(respondent: Respondent) -> str:
    if respondent.key:
        return respondent.key[:200]
    content = repr((respondent.line, sorted(respondent.values.items())))
    return "row:" + hashlib.sha256(content.encode()).hexdigest()[:40]


def check_plan(*, parsed: ParsedExport, plan: Sequence[ColumnPlan], programme: Programme,
               digest: str) -> Preview:
    """Check every row against the plan; say what would be created and what is skipped."""
    preview = Preview(parsed=parsed, plan=list(plan), digest=digest,
                      problems=list(parsed.problems))
    if parsed.problems:
        return preview
    if len(plan) != len(parsed.columns):
        raise ValueError("the plan must have one entry per column")
    unit = parsed.unit
    for use in ("email", "consent"):
        chosen = [parsed.columns[i].heading for i, p in enumerate(plan) if p.use == use]
        if len(chosen) > 1:
            preview.problems.append(Problem(
                0, "", f"Only one column can be the {USES[use].split(' (')[0].lower()}; "
                       f"choose one of: " + ", ".join(f"“{c}”" for c in chosen) + "."))
    questions = [i for i, p in enumerate(plan) if p.use in QUESTION_USES]
    if not questions:
        preview.problems.append(Problem(0, "", "No column is imported as a question; choose "
                                               "a use for at least one."))
    if preview.problems:
        return preview
    email_at = next((i for i, p in enumerate(plan) if p.use == "email"), None)
    consent_at = next((i for i, p in enumerate(plan) if p.use == "consent"), None)
    drafts = {i: ItemDraft(column=i, kind=QUESTION_USES[plan[i].use],
                           text=parsed.columns[i].heading[:ITEM_TEXT_LIMIT],
                           scale_min=plan[i].scale_min, scale_max=plan[i].scale_max)
              for i in questions}
    preview.existing_form = Form.objects.filter(programme=programme,
                                                source_digest=digest).first()
    done_keys: set[str] = set()
    answered_members: set[int] = set()
    if preview.existing_form is not None:
        done_keys = set(Submission.objects.filter(form=preview.existing_form)
                        .exclude(source_key="").values_list("source_key", flat=True))
        answered_members = set(Submission.objects.filter(
            form=preview.existing_form, member__isnull=False).values_list("member_id",
                                                                          flat=True))
    members = {normalise_email(m.email): m.pk for m in Member.objects.filter(
        academy_id=programme.academy_id, left_at__isnull=True, email__isnull=False)
        if m.email}
    member_line: dict[int, int] = {}

    def problem(respondent: Respondent, column: int, message: str) -> None:
        sheet, line, heading = _place(parsed, respondent, column)
        preview.problems.append(Problem(line, heading, message, unit, sheet))

    for respondent in parsed.respondents:
        key = _row_key(respondent)
        answers: dict[int, dict[str, Any]] = {}
        for i in questions:
            value = respondent.values.get(i)
            if value is None:
                continue
            cleaned = _answer(drafts[i], value, parsed.format)
            if isinstance(cleaned, str):
                problem(respondent, i, cleaned)
            elif cleaned:
                answers[i] = cleaned
        member_id = None
        if email_at is not None:
            raw = respondent.values.get(email_at, "")
            email = normalise_email(raw) if isinstance(raw, str) else ""
            if isinstance(raw, tuple) or (email not in ANONYMOUS and not _is_email(email)):
                problem(respondent, email_at, "is not an email address")
            elif email not in ANONYMOUS:
                member_id = members.get(email)
                if member_id is None:
                    preview.emails_unmatched += 1
        consent = False
        if consent_at is not None:
            raw = respondent.values.get(consent_at, "")
            word = raw.strip().lower() if isinstance(raw, str) else "?"
            if word in YES:
                consent = True
            elif word not in NO:
                problem(respondent, consent_at, "must be yes or no")
        if key in done_keys:
            preview.duplicates += 1
            continue
        if not answers:
            preview.empty_rows += 1
            continue
        if member_id is not None and email_at is not None:
            if member_id in member_line:
                problem(respondent, email_at,
                        f"the same member as {unit} {member_line[member_id]}; a member "
                        "answers a form once")
            elif member_id in answered_members:
                problem(respondent, email_at, "this member has already answered this form")
            member_line[member_id] = respondent.line
            preview.members_matched += 1
        preview.rows.append(RowDraft(line=respondent.line, key=key, member_id=member_id,
                                     consent=consent, submitted_at=respondent.finished,
                                     answers=answers))
    for draft in drafts.values():
        if draft.kind in (ItemKind.CHOICE, ItemKind.CHOICES) and \
                len(draft.choices) > MAX_CHOICES:
            preview.problems.append(Problem(
                0, draft.text, f"Column “{draft.text[:80]}” has more than {MAX_CHOICES} "
                               "different answers; import it as open text."))
    preview.items = [drafts[i] for i in questions]
    preview.problems.sort(key=lambda p: (p.sheet, p.line, p.column))
    return preview


def _answer(draft: ItemDraft, value: Value, fmt: str) -> dict[str, Any] | str:
    """The answer's fields, or a problem's message."""
    if draft.kind == ItemKind.CHOICES:
        if isinstance(value, tuple):
            chosen = [v.strip() for v in value if v.strip()]
        else:
            chosen = [v.strip() for v in value.split(";") if v.strip()]
        for option in chosen:
            if len(option) > CHOICE_LIMIT:
                return f"an option is longer than {CHOICE_LIMIT} characters"
            if option not in draft.choices:
                draft.choices.append(option)
        return {"chosen": chosen} if chosen else {}
    if isinstance(value, tuple):
        return (f"gives {len(value)} answers; import the column as several choices to keep "
                "them all")
    if draft.kind == ItemKind.RATING:
        number = _whole(value)
        if number is None:
            return f"“{value[:40]}” is not a whole number for a rating"
        if not draft.scale_min <= number <= draft.scale_max:
            return (f"{number} is outside the scale of {draft.scale_min} to "
                    f"{draft.scale_max}")
        return {"number": float(number)}
    if draft.kind == ItemKind.CHOICE:
        option = value.rstrip(";") if fmt == "forms" else value
        if len(option) > CHOICE_LIMIT:
            return f"is longer than {CHOICE_LIMIT} characters for one choice"
        if option not in draft.choices:
            draft.choices.append(option)
        return {"chosen": [option]}
    if len(value) > services.TEXT_LIMIT:
        return f"is longer than {services.TEXT_LIMIT:,} characters"
    return {"text": unicodedata.normalize("NFC", value)}


# --- Writing ----------------------------------------------------------------------------


def _check_target(programme: Programme, event: Event | None, kind: str) -> str:
    if kind not in FormKind.values:
        raise ValueError(f"kind must be one of {', '.join(FormKind.values)}, not {kind!r}")
    if event is not None and event.programme_id != programme.pk:
        return "The event is not one of the programme's events."
    if kind in (FormKind.FEEDBACK, FormKind.REFLECTION) and event is None:
        return "Feedback and reflections belong to an event: choose the event."
    return ""


def default_title(*, parsed: ParsedExport, filename: str, event: Event | None) -> str:
    name = filename.rsplit("/", 1)[-1] or "a file"
    where = f"{event.title}: " if event is not None else ""
    return f"{where}answers from {parsed.format_name or 'another tool'} ({name})"[:200]


KEY_LENGTH = Item._meta.get_field("key").max_length or 60


def item_key(heading: str, taken: set[str]) -> str:
    """An imported question's key: its heading as a slug, with ``-2``, ``-3``, ... if
    another question of the form has it already. The selectors tell questions apart by
    key (and pair a before form's ratings with an after form's by it), so every imported
    item needs its own; derived from the heading, the same question in another file
    gets the same key."""
    base = slugify(heading)[:KEY_LENGTH].strip("-") or "question"
    key, n = base, 1
    while key in taken:
        n += 1
        suffix = f"-{n}"
        key = base[:KEY_LENGTH - len(suffix)].rstrip("-") + suffix
    return key


def answers_write(*, preview: Preview, programme: Programme, event: Event | None = None,
                  kind: str = "", title: str = "", filename: str = "",
                  by: Any = None, now: dt.datetime | None = None) -> ImportOutcome:
    """Create the form (or reuse the one made from the same file), its items and the new
    submissions, in one transaction; nothing if the preview has any problem."""
    outcome = ImportOutcome(preview=preview, problems=list(preview.problems))
    kind = kind or (FormKind.FEEDBACK if event is not None else FormKind.IMPORTED)
    target = _check_target(programme, event, kind)
    if target:
        outcome.problems.insert(0, Problem(0, "", target))
    if outcome.problems:
        return outcome
    now = now or timezone.now()
    try:
        with transaction.atomic():
            form = preview.existing_form
            if form is None:
                form = Form.objects.create(
                    programme=programme, event=event, kind=kind,
                    level=KIND_LEVEL[FormKind(kind)],
                    title=(title.strip() or default_title(parsed=preview.parsed,
                                                          filename=filename, event=event))[:200],
                    code=services.new_code(), open_to_code=False,
                    source=preview.parsed.format, source_digest=preview.digest, created_by=by)
            else:
                form = Form.objects.select_for_update().get(pk=form.pk)
            existing = {item.text: item for item in Item.objects.filter(form=form)}
            position = max((item.position for item in existing.values()), default=0)
            keys = {item.key for item in existing.values() if item.key}
            items: dict[int, Item] = {}
            for draft in preview.items:
                item = existing.get(draft.text)
                if item is None:
                    position += 1
                    key = item_key(draft.text, keys)
                    keys.add(key)
                    item = Item.objects.create(
                        form=form, position=position, kind=draft.kind, text=draft.text,
                        key=key,
                        scale_min=draft.scale_min, scale_max=draft.scale_max,
                        choices=list(draft.choices))
                    outcome.items_created += 1
                elif draft.choices and set(draft.choices) - set(item.choices):
                    item.choices = [*item.choices, *[c for c in draft.choices
                                                     if c not in item.choices]]
                    item.save(update_fields=["choices"])
                items[draft.column] = item
            for start in range(0, len(preview.rows), WRITE_BATCH):
                batch = preview.rows[start:start + WRITE_BATCH]
                made = Submission.objects.bulk_create(
                    Submission(form=form, member_id=row.member_id, source_key=row.key,
                               quote_consent=row.consent,
                               submitted_at=row.submitted_at or now)
                    for row in batch)
                Answer.objects.bulk_create(
                    Answer(submission=submission, item=items[column],
                           number=fields.get("number"), text=fields.get("text", ""),
                           chosen=fields.get("chosen", []))
                    for submission, row in zip(made, batch, strict=True)
                    for column, fields in row.answers.items() if column in items)
                outcome.submissions_created += len(batch)
    except IntegrityError:
        outcome.problems = [Problem(
            0, "", "The same answers were being imported at the same time (or a member "
                   "answered the form meanwhile). Nothing was imported; import the file "
                   "again.")]
        outcome.items_created = outcome.submissions_created = 0
        return outcome
    outcome.form = form
    outcome.committed = True
    return outcome


def answers_import(*, programme: Programme, data: bytes, filename: str = "", fmt: str = "",
                   event: Event | None = None, kind: str = "", title: str = "",
                   plan: Sequence[ColumnPlan] | None = None, by: Any = None,
                   commit: bool = False) -> ImportOutcome:
    """Read, check and (with ``commit``) write an export file in one go."""
    parsed = read_export(data, filename, fmt)
    plan = list(plan) if plan is not None else guess_plan(parsed)
    preview = check_plan(parsed=parsed, plan=plan, programme=programme,
                         digest=file_digest(data))
    kind = kind or (FormKind.FEEDBACK if event is not None else FormKind.IMPORTED)
    if not commit:
        outcome = ImportOutcome(preview=preview, problems=list(preview.problems))
        target = _check_target(programme, event, kind)
        if target:
            outcome.problems.insert(0, Problem(0, "", target))
        return outcome
    return answers_write(preview=preview, programme=programme, event=event, kind=kind,
                         title=title, filename=filename, by=by)


def describe(outcome: ImportOutcome) -> list[str]:
    """The outcome in sentences, for the command line and the page."""
    preview = outcome.preview
    verb = "Created" if outcome.committed else "Would create"
    lines = [f"Layout: {preview.parsed.format_name}, {len(preview.parsed.respondents)} "
             f"responses."]
    if preview.existing_form is not None:
        lines.append(f"This file was imported before, into the form “"
                     f"{preview.existing_form.title}”: it is reused.")
    else:
        lines.append(f"{verb} 1 form.")
    items = outcome.items_created if outcome.committed else sum(
        1 for d in preview.items if preview.existing_form is None or not Item.objects.filter(
            form=preview.existing_form, text=d.text).exists())
    lines.append(f"{verb} {items} question{'' if items == 1 else 's'}: " + "; ".join(
        f"{d.text[:60]} ({ItemKind(d.kind).label.lower()}"
        + (f" {d.scale_min} to {d.scale_max}" if d.kind == ItemKind.RATING else "") + ")"
        for d in preview.items) if preview.items else f"{verb} no questions.")
    rows = outcome.submissions_created if outcome.committed else len(preview.rows)
    lines.append(f"{verb} {rows} submission{'' if rows == 1 else 's'}, "
                 f"{preview.members_matched} paired with a member by email.")
    if preview.duplicates:
        lines.append(f"Skipped {preview.duplicates} response"
                     f"{'' if preview.duplicates == 1 else 's'} imported before.")
    if preview.empty_rows:
        lines.append(f"Skipped {preview.empty_rows} response"
                     f"{'' if preview.empty_rows == 1 else 's'} with no answers.")
    if preview.emails_unmatched:
        lines.append(f"{preview.emails_unmatched} email address"
                     f"{'' if preview.emails_unmatched == 1 else 'es'} matched no member; "
                     "those answers are kept without a name.")
    if preview.parsed.not_read:
        lines.append("Not read: " + ", ".join(preview.parsed.not_read) + ".")
    return lines


def iter_problems(outcome: ImportOutcome) -> Iterator[str]:
    for problem in outcome.problems:
        yield str(problem)
