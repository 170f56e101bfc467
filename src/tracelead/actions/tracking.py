"""Response tracking while a round is open: counts and rate per group, day by day.

What is kept and shown is exactly what the round's own page shows through
:func:`tracelead.publishing.selectors.progress`: a count only at or over the round's
threshold (doubled for an unverified open link), never per person and never added up
over groups (a total over a cycle's rounds would reveal the sum of the hidden ones).

A day's count is stored (:class:`~tracelead.actions.models.ResponseTally`) once a
response is committed and only if the count is then at or over the threshold, so days
below it leave nothing behind, not even in the database. A series is the count each day
carried forward from the latest tally; a day's point is drawn only when its count is at or
over the round's current threshold (which can double later in a round, when an
unverified open-link answer arrives: earlier points under the new threshold are then
hidden too). Since every point is what the round's page showed on that day, the history
tells an insider nothing that reading the page each day would not have told them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from tracelead.diagnostics.models import Assessment, AssessmentStatus, RaterKind, Response
from tracelead.publishing.selectors import Progress, progress

from .models import ResponseTally

logger = logging.getLogger(__name__)


def tally_record(*, assessment_id: int, day: dt.date | None = None) -> ResponseTally | None:
    """Store today's count of an open round if it is at or over the round's threshold."""
    day = day or timezone.localdate()
    assessment = (Assessment.objects.select_related("cycle").filter(pk=assessment_id)
                  .first())
    if assessment is None or assessment.status_on(day) != AssessmentStatus.OPEN:
        return None
    now = progress(assessment)
    if now.n is None:
        return None
    values = {"n": now.n, "invited": now.invited, "open_link": now.open_link}
    try:
        with transaction.atomic():
            tally, _ = ResponseTally.objects.update_or_create(
                assessment=assessment, day=day, defaults=values)
    except IntegrityError:  # a simultaneous response wrote the day's row first
        ResponseTally.objects.filter(assessment=assessment, day=day).update(**values)
        tally = ResponseTally.objects.get(assessment=assessment, day=day)
    return tally


def _on_response_saved(sender: Any, instance: Response, created: bool, raw: bool = False,
                       **kwargs: Any) -> None:
    # A row loaded as it was (``loaddata``, fixtures) is not a response arriving today.
    if raw or not created or instance.rater_kind == RaterKind.SELF:
        return
    assessment_id = instance.assessment_id

    def record() -> None:
        # Tracking must never cost a respondent their submission: it runs after the
        # commit, and a failure is only logged.
        try:
            tally_record(assessment_id=assessment_id)
        except Exception:  # logged: the response is already safe
            logger.exception("response tally of round %s not recorded", assessment_id)

    transaction.on_commit(record)


def connect() -> None:
    post_save.connect(_on_response_saved, sender=Response,
                      dispatch_uid="tracelead.actions.tracking")


@dataclass(frozen=True)
class Point:
    day: dt.date
    n: int | None
    rate: float | None


@dataclass(frozen=True)
class RoundTracking:
    assessment: Assessment
    progress: Progress
    points: tuple[Point, ...]

    @property
    def shown_points(self) -> list[Point]:
        return [p for p in self.points if p.n is not None]


def _rate(n: int, invited: int, open_link: bool) -> float | None:
    if not invited or open_link:
        return None
    return min(1.0, n / invited)


def round_tracking(assessment: Assessment, *, today: dt.date | None = None) -> RoundTracking:
    """One round's counts from its open date to today (or its close), as its page showed
    them each day; days under the threshold have no count."""
    today = today or timezone.localdate()
    live = progress(assessment)
    tallies = list(ResponseTally.objects.filter(assessment=assessment).order_by("day"))
    last = min(today, assessment.closes_on)
    points: list[Point] = []
    day = assessment.opens_on
    index = -1
    while day <= last:
        while index + 1 < len(tallies) and tallies[index + 1].day <= day:
            index += 1
        n: int | None = None
        rate: float | None = None
        if day == today and live.n is not None:
            n, rate = live.n, live.rate
        elif index >= 0 and tallies[index].n >= live.threshold:
            t = tallies[index]
            n, rate = t.n, _rate(t.n, t.invited, t.open_link or live.open_link)
        points.append(Point(day, n, rate))
        day += dt.timedelta(days=1)
    return RoundTracking(assessment=assessment, progress=live, points=tuple(points))


def tracking_chart(tracking: RoundTracking, *, width: int | str = "container"
                   ) -> dict[str, Any]:
    """A small step chart of a round's count by day, with its threshold as a dashed line
    (Vega-Lite, drawn in the page as the report's charts are)."""
    import altair as alt

    from tracelead.reports.charts import NHS_BLUE, SECONDARY, TEXT, count_ticks

    live = tracking.progress
    rows = [{"day": p.day.isoformat(), "responses": p.n} for p in tracking.shown_points]
    data: Any = alt.Data  # Altair's constructors carry no type hints
    top = max([live.invited, live.threshold, *[p.n or 0 for p in tracking.points]]) or 1
    a = tracking.assessment
    x = alt.X("day:T", title=None, scale=alt.Scale(domain=[a.opens_on.isoformat(),
                                                            a.closes_on.isoformat()]),
              axis=alt.Axis(format="%-d %b", labelAngle=0, tickCount=4, grid=False))
    ticks = count_ticks(top, most=4)
    y_scale = alt.Scale(domain=[0, ticks[-1]], nice=False)
    line = alt.Chart(data(values=rows)).mark_line(
        interpolate="step-after", color=NHS_BLUE, strokeWidth=2,
        point=alt.OverlayMarkDef(color=NHS_BLUE, size=30, filled=True),
    ).encode(x=x, y=alt.Y("responses:Q", title="Responses", scale=y_scale,
                          axis=alt.Axis(values=ticks, format="d")))
    rule = alt.Chart(data(values=[{"threshold": live.threshold}])).mark_rule(
        color=SECONDARY, strokeDash=[4, 4]).encode(y=alt.Y("threshold:Q", scale=y_scale))
    chart = (rule + line).properties(
        height=120, description=f"Responses by day to {a.title}")
    if width == "container":
        chart = chart.properties(width="container")
    else:
        chart = chart.properties(width=width)
    spec: dict[str, Any] = (
        chart.configure(font="Arial, Liberation Sans, DejaVu Sans, sans-serif")
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=12, titleFontSize=12, labelColor=TEXT,
                        titleColor=TEXT, domainColor=SECONDARY, tickColor=SECONDARY)
        .to_dict(validate=False)
    )
    return spec
