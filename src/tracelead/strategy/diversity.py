"""Diversity of the leadership post-holders against the organisation's workforce.

A snapshot counts, on one date, how many of the inventory's post-holders and how many of
the organisation's staff fall in each category of four dimensions (sex, ethnicity,
disability, age band), each with "Not stated" for the rest. Facilitators import it from a
CSV or Excel file as a draft; nobody else sees it until a facilitator publishes it, and a
published snapshot is never changed (new figures make a new snapshot).

What may be shown is decided by :func:`tracelead.analysis.categories.disclose_categories`:
small counts are hidden with a second count where needed, and a snapshot is not published
if, against any snapshot published before it, a count shown in both (of post-holders or of
the workforce, a category's or the total) moved by 1 to k-1 people. ``docs/strategy.md``
explains the rules and what they leave open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from tracelead.academy.importing import (
    Cell,
    Columns,
    ImportProblem,
    Rows,
    _looks_like_formula,
    _text,
    read_and_check,
    table_rows,
)
from tracelead.analysis.categories import CategoryDisclosure, disclose_categories
from tracelead.analysis.disclosure import FIGURES_THRESHOLD
from tracelead.core.jinja import fmt_date
from tracelead.diagnostics.forms import DateInput

from .access import can_edit, organisation_for
from .forms import PositionImportForm
from .importing import _whole
from .models import DiversityFigure, DiversitySnapshot, Strategy
from .services import EARLIEST
from .views import _audit, _file_import, _strategy

#: k for every diversity table: the product's figures threshold. Organisations have no
#: threshold of their own; the system's latest reporting cycle (which the network and the
#: live polls use) is not taken, because a snapshot keeps no threshold and the check over
#: time holds only if every snapshot of a strategy is judged with the same k.
DIVERSITY_THRESHOLD = FIGURES_THRESHOLD

NOT_STATED = "Not stated"
NOT_STATED_NAMES = ("not stated", "not known", "unknown", "prefer not to say",
                    "not declared", "undeclared")


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    categories: tuple[str, ...]
    # Other names accepted in a file, besides the label and the key.
    names: tuple[str, ...] = ()
    category_names: Mapping[str, str] = field(default_factory=dict)

    def category(self, text: str) -> str | None:
        wanted = " ".join(text.casefold().split())
        for category in self.categories:
            if wanted == category.casefold():
                return category
        if wanted in NOT_STATED_NAMES:
            return NOT_STATED
        return self.category_names.get(wanted)


BAME = "Black, Asian and minority ethnic"
DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("sex", "Sex", ("Female", "Male", NOT_STATED),
              category_names={"women": "Female", "men": "Male"}),
    Dimension("ethnicity", "Ethnicity", ("White", BAME, NOT_STATED), names=("ethnic group",),
              category_names={"bame": BAME, "bme": BAME, "black and minority ethnic": BAME,
                              "minority ethnic": BAME}),
    Dimension("disability", "Disability", ("Disabled", "Not disabled", NOT_STATED),
              category_names={"non-disabled": "Not disabled", "non disabled": "Not disabled"}),
    Dimension("age", "Age band", ("Under 40", "40 to 54", "55 and over", NOT_STATED),
              names=("age", "age group"),
              category_names={"under 40s": "Under 40", "40-54": "40 to 54",
                              "40 - 54": "40 to 54", "55+": "55 and over",
                              "55 or over": "55 and over"}),
)
BY_KEY = {d.key: d for d in DIMENSIONS}
DIMENSION_NAMES = {name: d for d in DIMENSIONS
                   for name in (d.key, d.label.casefold(), *d.names)}


def diversity_threshold(strategy: Strategy) -> int:
    """The threshold k for the strategy's diversity tables (the same for all of them)."""
    return DIVERSITY_THRESHOLD


# --- Import ---------------------------------------------------------------------------

HEADINGS: dict[str, tuple[str, ...]] = {
    "dimension": ("dimension", "characteristic"),
    "category": ("category", "group"),
    "holders": ("holders", "post holders", "post-holders", "leaders", "in post"),
    "workforce": ("workforce", "staff", "all staff", "headcount"),
}
HEADING_FIELDS = {alias: name for name, aliases in HEADINGS.items() for alias in aliases}
REQUIRED = ("dimension", "category", "holders", "workforce")
MAX_ROWS = 200
MAX_COUNT = 1_000_000


@dataclass(frozen=True)
class FigureRow:
    line: int
    dimension: str
    category: str
    holders: int
    workforce: int


@dataclass
class ParsedFigures:
    rows: list[FigureRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    unit: str = "line"


@dataclass
class DiversityImportResult:
    snapshot: DiversitySnapshot | None = None
    replaced_draft: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    unit: str = "line"


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def parse_figures(*, data: bytes, filename: str = "") -> ParsedFigures:
    """Read and check a file of diversity figures; never raises for bad content."""
    parsed = ParsedFigures()

    def check(rows: Rows) -> None:
        seen: dict[tuple[str, str], int] = {}
        for number, cells, formulas, columns in table_rows(
                parsed, rows, heading_fields=HEADING_FIELDS, required=REQUIRED,
                max_rows=MAX_ROWS, things="figures"):
            _check_row(parsed, number, cells, formulas, columns, seen)
        if not parsed.problems and parsed.rows:
            _check_whole(parsed)

    read_and_check(parsed, data, filename, check)
    return parsed


def _check_row(parsed: ParsedFigures, number: int, cells: list[Cell], formulas: set[int],
               columns: Columns, seen: dict[tuple[str, str], int]) -> None:
    problems: list[ImportProblem] = []

    def problem(name: str, message: str) -> None:
        problems.append(ImportProblem(number, columns[name][1], message, parsed.unit))

    def value(name: str) -> str:
        position = columns[name][0]
        if position in formulas:
            problem(name, "is a formula; type the value itself")
            return ""
        text = _text(cells[position] if position < len(cells) else None)
        if _looks_like_formula(text):
            problem(name, "starts like a formula (=, +, - or @); remove that sign")
            return ""
        return text

    dimension_text, category_text = value("dimension"), value("category")
    dimension = DIMENSION_NAMES.get(" ".join(dimension_text.casefold().split()))
    category = dimension.category(category_text) if dimension else None
    if not dimension_text:
        problem("dimension", "is empty")
    elif dimension is None:
        problem("dimension", f"“{dimension_text}” is not one of the dimensions: "
                             f"{_listed([d.label.lower() for d in DIMENSIONS])}")
    if dimension is not None and category is None:
        problem("category", (f"“{category_text}” is not a category of "
                             if category_text else "is empty; give a category of ")
                + f"{dimension.label.lower()}: {_listed(list(dimension.categories))}")
    counts: dict[str, int | None] = {}
    for name in ("holders", "workforce"):
        count = _whole(value(name))
        if count is None or count > MAX_COUNT:
            problem(name, f"must be a whole number from 0 to {MAX_COUNT:,}")
            count = None
        counts[name] = count
    holders, workforce = counts["holders"], counts["workforce"]
    if problems or dimension is None or category is None or holders is None or (
            workforce is None):
        parsed.problems += problems
        return
    key = (dimension.key, category)
    if key in seen:
        parsed.problems.append(ImportProblem(
            number, columns["category"][1], f"{dimension.label.lower()} “{category}” is on "
            f"{parsed.unit} {seen[key]} too; give each category once", parsed.unit))
        return
    seen[key] = number
    parsed.rows.append(FigureRow(number, dimension.key, category, holders, workforce))


def _check_whole(parsed: ParsedFigures) -> None:
    """Every dimension present, and each counting the same people."""
    given = {row.dimension for row in parsed.rows}
    missing = [d.label.lower() for d in DIMENSIONS if d.key not in given]
    if missing:
        parsed.problems.append(ImportProblem(
            0, "", f"The file has no rows for {_listed(missing).replace(' or ', ' and ')}; "
                   f"give every dimension, with {NOT_STATED} for people whose answer is not "
                   f"known."))
        return
    for name, people in (("holders", "post-holders"), ("workforce", "staff")):
        totals = {d.key: sum(getattr(r, name) for r in parsed.rows if r.dimension == d.key)
                  for d in DIMENSIONS}
        first = DIMENSIONS[0]
        for dimension in DIMENSIONS[1:]:
            if totals[dimension.key] != totals[first.key]:
                parsed.problems.append(ImportProblem(
                    0, "", f"The {people} of {dimension.label.lower()} add up to "
                           f"{totals[dimension.key]:,} but those of {first.label.lower()} to "
                           f"{totals[first.key]:,}; every dimension counts the same people "
                           f"(put those whose answer is not known under {NOT_STATED})."))
    if not parsed.problems and not any(r.holders for r in parsed.rows):
        parsed.problems.append(ImportProblem(0, "", "The file counts no post-holders."))


@transaction.atomic
def diversity_import(*, strategy: Strategy, data: bytes, filename: str = "",
                     as_of: dt.date) -> DiversityImportResult:
    """Check the whole file, then keep it as the strategy's draft snapshot (replacing an
    earlier draft, never a published snapshot), or write nothing and say what is wrong."""
    parsed = parse_figures(data=data, filename=filename)
    result = DiversityImportResult(ignored_columns=parsed.ignored_columns, unit=parsed.unit,
                                   problems=parsed.problems)
    if parsed.problems:
        return result
    drafts = DiversitySnapshot.objects.filter(strategy=strategy, published_at__isnull=True)
    result.replaced_draft = drafts.exists()
    drafts.delete()
    snapshot = DiversitySnapshot.objects.create(strategy=strategy, as_of=as_of)
    given = {(r.dimension, r.category): r for r in parsed.rows}
    # Every category of every dimension is stored; one the file leaves out counts 0.
    DiversityFigure.objects.bulk_create(
        DiversityFigure(snapshot=snapshot, dimension=d.key, category=c,
                        holders=given[(d.key, c)].holders if (d.key, c) in given else 0,
                        workforce=given[(d.key, c)].workforce if (d.key, c) in given else 0)
        for d in DIMENSIONS for c in d.categories)
    result.snapshot = snapshot
    return result


# --- What is shown --------------------------------------------------------------------

Counts = dict[str, dict[str, int]]


def _counts(snapshot: DiversitySnapshot) -> tuple[Counts, Counts]:
    """The snapshot's holders and workforce by dimension and category, in fixed order."""
    stored = {(f.dimension, f.category): f for f in snapshot.figures.all()}
    holders: Counts = {}
    workforce: Counts = {}
    for d in DIMENSIONS:
        rows = [(c, stored.get((d.key, c))) for c in d.categories]
        if not any(f for _c, f in rows):
            continue
        holders[d.key] = {c: f.holders if f else 0 for c, f in rows}
        workforce[d.key] = {c: f.workforce if f else 0 for c, f in rows}
    return holders, workforce


@dataclass(frozen=True)
class CategoryRow:
    """One category as shown: a hidden count is None (its number never leaves here)."""

    category: str
    holders: int | None
    workforce: int | None
    holders_share: float | None
    workforce_share: float | None

    @property
    def difference(self) -> float | None:
        """Holders' share minus the workforce's, in percentage points."""
        if self.holders_share is None or self.workforce_share is None:
            return None
        return 100 * (self.holders_share - self.workforce_share)


@dataclass(frozen=True)
class DimensionTable:
    key: str
    label: str
    holders_total: int | None
    workforce_total: int | None
    rows: list[CategoryRow]


@dataclass(frozen=True)
class DiversityTable:
    """A snapshot as anyone may see it: hidden counts are already gone."""

    snapshot_id: int
    as_of: dt.date
    published_at: dt.datetime | None
    threshold: int
    dimensions: list[DimensionTable]

    @property
    def hidden_any(self) -> bool:
        return any(r.holders is None or r.workforce is None
                   for d in self.dimensions for r in d.rows)


def _shown(decision: CategoryDisclosure, counts: Counts, dimension: str
           ) -> tuple[dict[str, int | None], int | None]:
    cells = {c: (n if decision.shown(dimension, c) else None)
             for c, n in counts[dimension].items()}
    total = sum(counts[dimension].values()) if decision.total_shown[dimension] else None
    return cells, total


def snapshot_table(snapshot: DiversitySnapshot, *, threshold: int) -> DiversityTable:
    holders, workforce = _counts(snapshot)
    dimensions: list[DimensionTable] = []
    if holders:
        held = disclose_categories(holders, threshold=threshold)
        staff = disclose_categories(workforce, threshold=threshold)
    for key in holders:
        h_cells, h_total = _shown(held, holders, key)
        w_cells, w_total = _shown(staff, workforce, key)
        rows = []
        for category in holders[key]:
            h, w = h_cells[category], w_cells[category]
            rows.append(CategoryRow(
                category=category, holders=h, workforce=w,
                holders_share=h / h_total if h is not None and h_total else None,
                workforce_share=w / w_total if w is not None and w_total else None))
        dimensions.append(DimensionTable(key=key, label=BY_KEY[key].label,
                                         holders_total=h_total, workforce_total=w_total,
                                         rows=rows))
    return DiversityTable(snapshot_id=snapshot.pk, as_of=snapshot.as_of,
                          published_at=snapshot.published_at, threshold=threshold,
                          dimensions=dimensions)


def published_snapshots(strategy: Strategy) -> list[DiversitySnapshot]:
    """The published snapshots, latest date first."""
    return list(strategy.diversity.filter(published_at__isnull=False)
                .order_by("-as_of", "-published_at", "-id"))


def published_diversity(strategy: Strategy) -> DiversityTable | None:
    """The latest published snapshot as shown (hidden counts gone), for the board report;
    None when nothing is published."""
    latest = next(iter(published_snapshots(strategy)), None)
    if latest is None:
        return None
    return snapshot_table(latest, threshold=diversity_threshold(strategy))


def publication_problems(snapshot: DiversitySnapshot) -> list[str]:
    """Why the snapshot may not be published (nothing: it may), in words a facilitator can
    act on: each count shown in it and in an earlier published snapshot that moved by 1 to
    k-1 people, post-holders' counts first, then the workforce's. Both tables are checked:
    a workforce count moving by one between two categories tells as much about one member
    of staff as a post-holders' count does about one leader."""
    strategy = snapshot.strategy
    k = diversity_threshold(strategy)
    holders, workforce = _counts(snapshot)
    if not holders:
        return ["The snapshot has no figures."]
    earlier = [(s, _counts(s)) for s in published_snapshots(strategy) if s.pk != snapshot.pk]
    earlier = [(s, counts) for s, counts in earlier if counts[0]]
    dates = [s.as_of for s, _ in earlier]
    reasons: list[str] = []
    for counts, before, people_of in (
            (holders, [h for _s, (h, _w) in earlier], "post-holders"),
            (workforce, [w for _s, (_h, w) in earlier], "staff in the workforce")):
        decision = disclose_categories(counts, threshold=k, earlier=before)
        for change in decision.small_changes:
            when = f"the snapshot of {fmt_date(dates[change.earlier])}"
            people = "person" if abs(change.change) == 1 else "people"
            if change.category is None:
                # Every dimension counts the same people: the total is named once.
                text = (f"The number of {people_of} went from {change.before:,} in {when} "
                        f"to {change.after:,} ({abs(change.change)} {people}).")
            else:
                text = (f"{BY_KEY[change.dimension].label} “{change.category}”: "
                        f"{change.before:,} {people_of} in {when}, {change.after:,} in this "
                        f"one ({abs(change.change)} {people}).")
            if text not in reasons:
                reasons.append(text)
    return reasons


@transaction.atomic
def diversity_publish(*, snapshot: DiversitySnapshot) -> DiversitySnapshot:
    """Publish a draft snapshot after the check over time, or raise ``ValidationError``
    with the reasons and change nothing."""
    # One publication at a time per strategy, so two drafts are never checked against
    # the same earlier list and both published.
    Strategy.objects.select_for_update().filter(pk=snapshot.strategy_id).first()
    snapshot.refresh_from_db()
    if snapshot.published_at is not None:
        raise ValidationError("This snapshot is already published; published figures "
                              "never change.")
    reasons = publication_problems(snapshot)
    if reasons:
        raise ValidationError(reasons)
    snapshot.published_at = timezone.now()
    snapshot.save(update_fields=["published_at"])
    return snapshot


# --- Pages ----------------------------------------------------------------------------


class DiversityImportForm(PositionImportForm):
    as_of = forms.DateField(
        label="The date the figures are for", widget=DateInput,
        help_text="The day the post-holders and the workforce were counted.",
        error_messages={"required": "Enter the date the figures are for",
                        "invalid": "Enter a real date"})

    field_order = ["as_of", "file"]

    def clean_as_of(self) -> dt.date:
        as_of: dt.date = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise ValidationError("The date cannot be in the future")
        if as_of < EARLIEST:
            raise ValidationError(f"The date must be from {EARLIEST:%Y} on")
        return as_of


def _refusal(k: int) -> str:
    return (f"Not published: against a snapshot already published, a count shown in both "
            f"moved by fewer than {k} people, so comparing the two would tell how the "
            f"people who came or went are described. Publish figures in which every such "
            f"count has moved by 0 or at least {k} (usually figures of a later date).")


def _page(request: HttpRequest, pk: int, *, refused: list[str] | None = None
          ) -> HttpResponse:
    organisation = organisation_for(request.user, pk)
    strategy = _strategy(organisation)
    editor = can_edit(request.user, organisation)
    k = diversity_threshold(strategy)
    published = published_snapshots(strategy)
    wanted = request.GET.get("snapshot", "")
    shown = next((s for s in published if str(s.pk) == wanted), None)
    if wanted and shown is None:
        raise Http404("No such published snapshot.")
    shown = shown or next(iter(published), None)
    context: dict[str, Any] = {
        "organisation": organisation, "strategy": strategy, "editor": editor,
        "threshold": k, "published": published,
        "table": snapshot_table(shown, threshold=k) if shown else None,
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("strategy", args=[organisation.pk]),
        "back_text": "The leadership strategy",
    }
    if editor:
        draft = strategy.diversity.filter(published_at__isnull=True).first()
        if draft is not None:
            reasons = refused if refused is not None else publication_problems(draft)
            context.update(draft=draft, draft_table=snapshot_table(draft, threshold=k),
                           reasons=reasons, refusal=_refusal(k))
        if refused:
            context["form_errors"] = [{"text": _refusal(k), "href": "#draft-check"}]
    return render(request, "strategy/diversity.jinja", context,
                  status=400 if refused else 200)


@login_required
def diversity_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk)


@login_required
def diversity_publish_view(request: HttpRequest, pk: int, snapshot: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    if request.method != "POST":
        raise PermissionDenied("Use the button on the page.")
    row = DiversitySnapshot.objects.filter(strategy=_strategy(organisation),
                                           pk=snapshot).first()
    if row is None:
        raise Http404("No such snapshot.")
    try:
        diversity_publish(snapshot=row)
    except ValidationError as error:
        if row.published_at is not None:
            messages.error(request, " ".join(error.messages))
            return redirect("strategy_diversity", pk=organisation.pk)
        return _page(request, pk, refused=list(error.messages))
    _audit(request, organisation, f"Published the diversity figures as of {row.as_of}")
    messages.success(request, f"Published the figures as of {fmt_date(row.as_of)}. They "
                              "will not change; new figures make a new snapshot.")
    return redirect("strategy_diversity", pk=organisation.pk)


@login_required
def diversity_import_page(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    return _file_import(
        request, organisation, label="A CSV or Excel (.xlsx) file of figures",
        form_class=DiversityImportForm,
        run=lambda data, name, as_of: diversity_import(strategy=strategy, data=data,
                                                       filename=name, as_of=as_of),
        audit=lambda r: f"Imported the diversity figures as of {r.snapshot.as_of} as a draft",
        template="strategy/diversity_import.jinja", context={
            "dimensions": DIMENSIONS, "max_rows": MAX_ROWS,
            "back_href": reverse("strategy_diversity", args=[organisation.pk]),
            "back_text": "Diversity of post-holders"})


urlpatterns: list[URLPattern] = [
    path("organisations/<int:pk>/strategy/diversity/", diversity_page,
         name="strategy_diversity"),
    path("organisations/<int:pk>/strategy/diversity/import/", diversity_import_page,
         name="strategy_diversity_import"),
    path("organisations/<int:pk>/strategy/diversity/<int:snapshot>/publish/",
         diversity_publish_view, name="strategy_diversity_publish"),
]
