"""Each outcome measure over time against the strategy's milestones (Vega-Lite via Altair,
drawn as SVG on the server, as the reports' charts are)."""

from __future__ import annotations

from typing import Any

import altair as alt
from markupsafe import Markup

from tracelead.reports.charts import NHS_BLUE, PDF_WIDTH, SECONDARY, _spec, to_svg

from .models import Milestone, Outcome


def outcome_chart(outcome: Outcome, milestones: list[Milestone]) -> dict[str, Any] | None:
    """The measure's values as a line, with a dashed rule at each milestone's date that
    falls within them (labelled with its title). None with fewer than two values."""
    values = list(outcome.values.all())
    if len(values) < 2:
        return None
    points = [{"on": v.on.isoformat(), "value": v.value} for v in values]
    first, last = values[0].on, values[-1].on
    marks = [{"on": m.due_on.isoformat(), "title": m.title[:40]}
             for m in milestones if first <= m.due_on <= last]
    x = alt.X("on:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0,
                                                  tickCount=6))
    title = outcome.name + (f" ({outcome.unit})" if outcome.unit else "")
    y = alt.Y("value:Q", title=title[:60], scale=alt.Scale(zero=False))
    line = alt.Chart(alt.Data(values=points))
    layers = [line.mark_line(color=NHS_BLUE, strokeWidth=2.5).encode(x=x, y=y),
              line.mark_point(color=NHS_BLUE, filled=True, size=50).encode(x=x, y=y)]
    if marks:
        rules = alt.Chart(alt.Data(values=marks))
        layers += [rules.mark_rule(color=SECONDARY, strokeDash=[4, 3]).encode(x="on:T"),
                   rules.mark_text(align="left", dx=4, dy=-4, fontSize=10, color=SECONDARY,
                                   angle=0, baseline="top").encode(
                       x="on:T", y=alt.value(0), text="title:N")]
    chart = alt.layer(*layers).properties(height=200, width=PDF_WIDTH - 80)
    better = "higher" if outcome.better == "higher" else "lower"
    description = (f"{outcome.name} from {first:%B %Y} to {last:%B %Y}, {len(values)} values "
                   f"({better} is better)"
                   + (f"; dashed lines mark {len(marks)} "
                      f"{'milestone' if len(marks) == 1 else 'milestones'}" if marks else ""))
    return _spec(chart, description, PDF_WIDTH)


def outcome_svg(outcome: Outcome, milestones: list[Milestone]) -> Markup | None:
    spec = outcome_chart(outcome, milestones)
    return Markup(to_svg(spec)) if spec is not None else None  # noqa: S704 - SVG from vl-convert, which escapes text
