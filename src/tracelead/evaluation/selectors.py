"""The evaluation of a programme, read for its page and its board PDF.

Every figure is a count or mean over people; each follows the disclosure threshold of the
system (:func:`tracelead.network.selectors.network_threshold`): an event's feedback is
summarised only from at least that many answers, a paired change only from at least that
many pairs, a practice's count only if both it and the rest reach the threshold, and
attendance by sector is merged as poll results are
(:func:`tracelead.analysis.polls.merge_small_categories`). New connections come from the
network's latest publication, never from live ties. Quotes appear only where consent was
given. No page or file names who answered.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Count
from django.utils import timezone

from tracelead.academy.models import CheckIn, Event, Programme
from tracelead.academy.selectors import _event_figures, programme_attendance
from tracelead.analysis import evaluation as analysis
from tracelead.analysis.polls import merge_small_categories
from tracelead.network.selectors import network_threshold, sector_label

from .models import (
    Answer,
    Evaluation,
    Form,
    FormKind,
    Item,
    ItemKind,
    Level,
    Measure,
    Moment,
    Quote,
    Submission,
)

DASH = "–"
T = TypeVar("T")


def _num(value: float, digits: int = 1) -> str:
    return DASH if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _signed(value: float, digits: int = 2) -> str:
    if value is None or math.isnan(value):
        return DASH
    return f"{value:+.{digits}f}".replace("-", "−")


def _percent(part: int, total: int) -> str:
    return f"{round(100 * part / total)}%" if total else DASH


def _count_share(part: int, total: int, threshold: int) -> tuple[str, str]:
    """A count of people among ``total`` and its share, shown only if both it and the
    rest are 0 or reach the threshold (a share of 19 in 20 says that one did not)."""
    rest = total - part
    if 0 < part < threshold:
        return f"fewer than {threshold}", DASH
    if 0 < rest < threshold:
        return f"all but fewer than {threshold}", DASH
    return f"{part:,}", _percent(part, total)


# --- Level 1: reaction ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReactionCell:
    mean: str
    top_two: str
    value: float | None


@dataclass(frozen=True)
class ReactionRow:
    form_pk: int
    event: str
    on: dt.date | None
    answers: int
    answers_text: str
    shown: bool
    cells: dict[str, ReactionCell]


@dataclass(frozen=True)
class Reaction:
    questions: list[tuple[str, str]]  # (key, text)
    rows: list[ReactionRow]
    trend: str
    reflections: int


def in_steps(answers: Sequence[T], threshold: int) -> list[T]:
    """The first answers, in the order they came, in whole multiples of the threshold.

    An open form's figures are worked out over its first k, 2k, 3k ... answers (k the
    threshold), not over every answer so far: they move only when k more people have
    answered. A facilitator who compares the page before and after one more answer (the
    insider of ``docs/threat-model.md``) sees the same figures; two views that differ differ by
    at least k answers, the same as a group of k shows."""
    return list(answers[: len(answers) // threshold * threshold])


def _ratings(form_ids: list[int]) -> dict[tuple[int, str], list[float]]:
    """Each form's ratings of each question, in the order they came."""
    out: dict[tuple[int, str], list[float]] = defaultdict(list)
    for form_id, key, number in Answer.objects.filter(
            submission__form_id__in=form_ids, item__kind=ItemKind.RATING,
            number__isnull=False).order_by("submission_id", "id").values_list(
            "submission__form_id", "item__key", "number"):
        out[(form_id, key)].append(float(number or 0))
    return out


def _answer_counts(form_ids: list[int]) -> dict[int, int]:
    return dict(Submission.objects.filter(form_id__in=form_ids).values_list("form_id")
                .annotate(n=Count("id")).values_list("form_id", "n"))


def reaction(programme: Programme, threshold: int) -> Reaction:
    forms = list(Form.objects.filter(programme=programme, kind=FormKind.FEEDBACK)
                 .select_related("event").order_by("event__starts_at", "pk"))
    ids = [f.pk for f in forms]
    counts = _answer_counts(ids)
    ratings = _ratings(ids)
    questions: dict[str, str] = {}
    for key, text in Item.objects.filter(form_id__in=ids, kind=ItemKind.RATING).order_by(
            "position").values_list("key", "text"):
        questions.setdefault(key, text)
    rows = []
    for form in forms:
        n = counts.get(form.pk, 0)
        shown = n >= threshold
        cells = {}
        for key in questions:
            values = in_steps(ratings.get((form.pk, key), []), threshold)
            if shown and len(values) >= threshold:
                s = analysis.rating_summary(values, scale_max=5)
                cells[key] = ReactionCell(_num(s.mean), f"{round(100 * s.top_two_share)}%",
                                          s.mean)
            else:
                cells[key] = ReactionCell(DASH, DASH, None)
        rows.append(ReactionRow(
            form_pk=form.pk, event=form.event.title if form.event else form.title,
            on=timezone.localdate(form.event.starts_at) if form.event else None,
            answers=n, answers_text=f"{n:,}" if shown or n == 0 else f"fewer than {threshold}",
            shown=shown, cells=cells))
    trend = _trend(rows, next(iter(questions), ""), questions)
    reflections = Submission.objects.filter(form__programme=programme,
                                            form__kind=FormKind.REFLECTION).count()
    return Reaction(questions=list(questions.items()), rows=rows, trend=trend,
                    reflections=reflections)


def _trend(rows: list[ReactionRow], key: str, questions: dict[str, str]) -> str:
    points = [(r.event, r.cells[key].value) for r in rows
              if key in r.cells and r.cells[key].value is not None]
    if len(points) < 2:
        return ("Feedback is summarised once an event has at least the threshold's number "
                "of answers; a trend needs two such events.")
    first, last = points[0], points[-1]
    assert first[1] is not None and last[1] is not None
    change = last[1] - first[1]
    way = ("rose" if change > 0.05 else "fell" if change < -0.05 else "held steady")
    return (f"“{questions[key]}” averaged {first[1]:.1f} at {first[0]} and {last[1]:.1f} at "
            f"{last[0]}: it {way} across the {len(points)} events with enough answers.")


# --- Level 2: learning ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LearningRow:
    key: str
    question: str
    design: str  # "before and after" or "then and now"
    pairs: int
    pairs_text: str
    shown: bool
    before: str
    after: str
    change: str
    interval: str
    effect: str
    words: str
    result: analysis.PairedChange | None


def _by_member(form_ids: list[int], moment: str | None = None
               ) -> dict[str, dict[int, tuple[float, int]]]:
    """Each question's rating by member, with the submission it came in (its order)."""
    rows = Answer.objects.filter(submission__form_id__in=form_ids, item__kind=ItemKind.RATING,
                                 number__isnull=False, submission__member__isnull=False)
    if moment is not None:
        rows = rows.filter(item__moment=moment)
    out: dict[str, dict[int, tuple[float, int]]] = defaultdict(dict)
    for key, member, number, submission in rows.values_list(
            "item__key", "submission__member_id", "number", "submission_id"):
        out[key][member] = (float(number or 0), submission)
    return out


def _effect_words(d_z: float) -> str:
    """Cohen's (1988) rough benchmarks for a standardised mean difference."""
    size = abs(d_z)
    if math.isnan(size):
        return ""
    return ("a large" if size >= 0.8 else "a medium" if size >= 0.5 else
            "a small" if size >= 0.2 else "a negligible")


def _learning_row(key: str, question: str, design: str,
                  before: dict[int, tuple[float, int]], after: dict[int, tuple[float, int]],
                  threshold: int) -> LearningRow:
    # Pairs in the order they were completed (the later of the two answers), counted in
    # whole multiples of the threshold (``in_steps``).
    paired = sorted(set(before) & set(after), key=lambda p: (max(before[p][1], after[p][1]), p))
    people = in_steps(paired, threshold)
    n = len(people)
    if n < threshold:
        return LearningRow(key, question, design, len(paired),
                           f"fewer than {threshold}" if paired else "0", False, DASH, DASH,
                           DASH, DASH, DASH, f"Shown once at least {threshold} people have "
                           "answered both.", None)
    r = analysis.paired_change([before[p][0] for p in people],
                               [after[p][0] for p in people])
    if r.beyond_chance:
        words = (f"Rose by {r.mean_change:.2f} on average, beyond chance: "
                 f"{_effect_words(r.d_z)} change." if r.mean_change > 0 else
                 f"Fell by {-r.mean_change:.2f} on average, beyond chance: "
                 f"{_effect_words(r.d_z)} change.")
    else:
        words = "No change beyond chance: the interval includes no change."
    counted = f"{n:,}" + (f" (of {len(paired):,} so far)" if len(paired) > n else "")
    return LearningRow(key, question, design, n, counted, True, _num(r.mean_before, 2),
                       _num(r.mean_after, 2), _signed(r.mean_change),
                       f"{_signed(r.ci_low)} to {_signed(r.ci_high)}", _num(r.d_z, 2), words,
                       r)


def learning(programme: Programme, threshold: int) -> list[LearningRow]:
    forms = Form.objects.filter(programme=programme)
    before_ids = list(forms.filter(kind=FormKind.BEFORE).values_list("pk", flat=True))
    after_ids = list(forms.filter(kind=FormKind.AFTER).values_list("pk", flat=True))
    then_ids = list(forms.filter(kind=FormKind.THEN_NOW).values_list("pk", flat=True))
    questions: dict[str, str] = {}
    for key, text in Item.objects.filter(form_id__in=before_ids + after_ids,
                                         kind=ItemKind.RATING).exclude(key="").order_by(
            "form_id", "position").values_list("key", "text"):
        questions.setdefault(key, text)
    rows: list[LearningRow] = []
    before, after = _by_member(before_ids), _by_member(after_ids)
    for key, text in questions.items():
        rows.append(_learning_row(key, text, "before and after", before.get(key, {}),
                                  after.get(key, {}), threshold))
    if then_ids:
        then, now = _by_member(then_ids, Moment.THEN), _by_member(then_ids, Moment.NOW)
        for key in sorted(set(then) | set(now), key=lambda k: list(questions).index(k)
                          if k in questions else 99):
            rows.append(_learning_row(key, questions.get(key, key), "then and now",
                                      then.get(key, {}), now.get(key, {}), threshold))
    return rows


# --- Level 3: behaviour ---------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeRow:
    practice: str
    people: str
    share: str


@dataclass(frozen=True)
class BehaviourForm:
    title: str
    sent_on: dt.date | None
    invited: int
    answers: int
    answers_text: str
    shown: bool
    practices: list[PracticeRow]
    ratings: list[tuple[str, str]]
    closes_on: dt.date | None
    closed: bool


def behaviour(programme: Programme, threshold: int,
              today: dt.date | None = None) -> list[BehaviourForm]:
    """Each follow-up's figures. A practice's count is shown only once the form has
    closed: counts that moved while it was open would tell, between two views, what the
    few who answered in between did, which a share of a closed form's answers never shows
    (``_count_share``). Ratings are shown as they come, in steps (``in_steps``)."""
    today = today or timezone.localdate()
    out = []
    for form in Form.objects.filter(programme=programme, kind=FormKind.FOLLOW_UP).order_by(
            "send_on", "pk"):
        n = form.submissions.count()
        shown = n >= threshold
        closed = form.closes_on is not None and form.closes_on < today
        practices: list[PracticeRow] = []
        ratings: list[tuple[str, str]] = []
        if shown:
            chosen: dict[str, int] = defaultdict(int)
            items = list(form.items.all())
            for item in items:
                if item.kind in (ItemKind.CHOICES, ItemKind.CHOICE) and closed:
                    for answer in Answer.objects.filter(item=item).values_list("chosen",
                                                                               flat=True):
                        for c in answer:
                            chosen[c] += 1
                    for c in item.choices:
                        people, share = _count_share(chosen.get(c, 0), n, threshold)
                        practices.append(PracticeRow(c, people, share))
                elif item.kind == ItemKind.RATING:
                    values = in_steps([float(v or 0) for v in Answer.objects.filter(
                        item=item, number__isnull=False).order_by("submission_id", "id")
                        .values_list("number", flat=True)], threshold)
                    if len(values) >= threshold:
                        s = analysis.rating_summary(values, scale_max=item.scale_max)
                        ratings.append((item.text, f"{s.mean:.1f} out of {item.scale_max} "
                                        f"({item.low_label} {item.scale_min} to "
                                        f"{item.high_label} {item.scale_max})"))
        out.append(BehaviourForm(
            title=form.title, sent_on=form.send_on, invited=form.invites.count(), answers=n,
            answers_text=f"{n:,}" if shown or n == 0 else f"fewer than {threshold}",
            shown=shown, practices=practices, ratings=ratings, closes_on=form.closes_on,
            closed=closed))
    return out


# --- Level 4: impact ------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureRow:
    pk: int
    name: str
    unit: str
    better: str
    values: list[tuple[dt.date, float, str]]
    first: str
    latest: str
    change: str
    contribution: str
    evidence: list[tuple[int, str]]


def _value(measure: Measure, value: float) -> str:
    if measure.better == Measure.Better.DONE:
        return "achieved" if value >= 1 else "not yet"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {measure.unit}".strip()


def impact(programme: Programme) -> list[MeasureRow]:
    rows = []
    for m in Measure.objects.filter(programme=programme).prefetch_related("values",
                                                                           "evidence"):
        values = [(v.on, v.value, v.note) for v in m.values.all()]
        first = f"{_value(m, values[0][1])} on {values[0][0]:%-d %B %Y}" if values else DASH
        latest = f"{_value(m, values[-1][1])} on {values[-1][0]:%-d %B %Y}" if values else DASH
        change = DASH
        if len(values) >= 2:
            delta = values[-1][1] - values[0][1]
            if m.better == Measure.Better.DONE:
                change = ("achieved" if values[-1][1] >= 1 else "not yet achieved")
            elif abs(delta) < 1e-12:
                change = "no change"
            else:
                good = (delta > 0) == (m.better == Measure.Better.HIGHER)
                change = (f"{'up' if delta > 0 else 'down'} {abs(delta):,.2f}".rstrip("0")
                          .rstrip(".") + f" {m.unit}".rstrip()
                          + (" (better)" if good else " (worse)"))
        rows.append(MeasureRow(m.pk, m.name, m.unit, m.get_better_display(), values, first,
                               latest, change, m.contribution,
                               [(e.pk, e.title) for e in m.evidence.all()]))
    return rows


# --- Context: attendance, effort, connections, sectors -------------------------------------------


@dataclass(frozen=True)
class Context:
    sessions: list[tuple[str, dt.datetime, int, int, int]]
    people: int
    core: str
    effort: list[tuple[str, float]]
    effort_total: float
    per_participant_hour: str
    connections: dict[str, Any] | None
    connections_on: dt.date | None
    sectors: list[tuple[str, str]]
    sectors_withheld: bool


def context(programme: Programme, threshold: int) -> Context:
    now = timezone.now()
    flows = programme_attendance(programme, now=now, with_names=False)
    ids = set(Event.objects.filter(programme=programme).values_list("pk", flat=True))
    figures = _event_figures(programme.academy, now, only=ids) if ids else []
    effort: dict[str, float] = defaultdict(float)
    participant_hours = 0.0
    for f in figures:
        for kind, hours in f.effort.items():
            effort[kind] += hours
        participant_hours += f.attended * f.hours
    total = sum(effort.values())
    from tracelead.academy.models import EffortKind

    labels = dict(EffortKind.choices)
    by_sector = dict(CheckIn.objects.filter(event__programme=programme)
                     .values("member__sector").annotate(n=Count("member", distinct=True))
                     .values_list("member__sector", "n"))
    merged = merge_small_categories(by_sector, threshold=threshold)
    sectors = [(sector_label(code), f"{n:,}") for code, n in sorted(
        merged.shown.items(), key=lambda item: -item[1])]
    if merged.merged and not merged.withheld:
        sectors.append((f"Other sectors together ({len(merged.merged)})",
                        f"{merged.merged_count:,}"))
    from tracelead.network.publication import latest

    published = latest(programme.academy)
    connections = None
    if published is not None:
        f = published.page["figures"]
        connections = {k: f[k] for k in ("people", "ties", "new_ties", "share_with_new_tie",
                                         "new_ties_per_person_per_month", "rule_of_thumb",
                                         "cross_organisation_share", "cross_sector_share")}
    core = (f"{flows.core_count:,}" if flows.core_count == 0 or flows.core_count >= threshold
            else f"fewer than {threshold}")
    return Context(
        sessions=[(s.title, s.starts_at, s.attended, s.newcomers, s.returning)
                  for s in flows.sessions],
        people=flows.people, core=core,
        effort=[(labels.get(k, k), h) for k, h in sorted(effort.items())],
        effort_total=total,
        per_participant_hour=(f"{60 * total / participant_hours:.0f} minutes"
                              if participant_hours else DASH),
        connections=connections,
        connections_on=published.as_of if published else None,
        sectors=sectors if not merged.withheld else [], sectors_withheld=merged.withheld)


# --- The whole evaluation ----------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationReport:
    programme: Programme
    threshold: int
    reaction: Reaction
    learning: list[LearningRow]
    behaviour: list[BehaviourForm]
    impact: list[MeasureRow]
    quotes: dict[int, list[Quote]]
    context: Context
    summary: str
    recommendations: list[str]
    levels: list[tuple[int, str]] = field(default_factory=lambda: list(Level.choices))
    made_on: dt.date = field(default_factory=timezone.localdate)


def evaluation_report(programme: Programme) -> EvaluationReport:
    threshold = network_threshold(programme.academy)
    quotes: dict[int, list[Quote]] = {level: [] for level, _ in Level.choices}
    for q in Quote.objects.filter(programme=programme, consent=True):
        quotes[q.level].append(q)
    words = Evaluation.objects.filter(programme=programme).first()
    return EvaluationReport(
        programme=programme, threshold=threshold, reaction=reaction(programme, threshold),
        learning=learning(programme, threshold), behaviour=behaviour(programme, threshold),
        impact=impact(programme), quotes=quotes, context=context(programme, threshold),
        summary=words.summary if words else "",
        recommendations=[line.strip(" -•\t") for line in
                         (words.recommendations if words else "").splitlines()
                         if line.strip(" -•\t")])


def quotable_answers(programme: Programme, *, limit: int = 200) -> list[Answer]:
    """Text answers whose authors agreed to be quoted, newest first, for the lead to pin."""
    return list(Answer.objects.filter(submission__form__programme=programme,
                                      submission__quote_consent=True)
                .exclude(text="").select_related("submission__form", "item")
                .order_by("-submission__submitted_at", "pk")[:limit])
