"""Plain-English sentences for the top of a report, written from its figures alone.

They read only what a :class:`~tracelead.reports.figures.GroupReport` or
:class:`~tracelead.reports.figures.ManyGroupsReport` already shows, so a sentence can say no
more than the figures beside it.
"""

from __future__ import annotations

import math
from collections import Counter

from tracelead.analysis.agreement import sharedness

from . import colours
from .figures import Change, FocusFigure, GroupReport, ManyGroupsReport

# One wording for "too few answered" and "hidden to protect a smaller group": telling the
# two apart would say whether the round reached its threshold.
WITHHELD_SENTENCE = ("This round's results are not shown: fewer people answered than the "
                     "anonymity threshold, or showing them would let someone work out the "
                     "answers of a smaller group alongside it.")


# A highest mean from here up reads as a strength; from the midpoint to here it is only
# "just above the middle" (4 is "agree" on the five-point scale; 3.5 is halfway to it).
STRONG_FROM = 3.5


def _number_word(n: int) -> str:
    words = ("No one", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine",
             "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen",
             "Seventeen", "Eighteen", "Nineteen", "Twenty")
    return words[n] if 0 <= n < len(words) else str(n)


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


# --- One group ---------------------------------------------------------------------------


def group_summary(report: GroupReport) -> list[str]:
    """Two to four plain sentences from the figures, for the top of the report."""
    if report.state == "not_published":
        closes = report.assessment.closes_on
        return [f"Results are published when this round closes on {closes:%-d %B %Y}, or "
                "earlier at a publishing point, and only if enough people have answered."]
    if report.state == "withheld":
        return [WITHHELD_SENTENCE]
    sentences = [_who_answered(report), _highest_rated(report),
                 _where_to_focus(report.focus), _what_changed(report.change)]
    return [s for s in sentences if s is not None][:4]


def _who_answered(report: GroupReport) -> str:
    who = f"{_number_word(report.n_responses)} {'person' if report.n_responses == 1 else 'people'}"
    if report.response_rate is not None:
        return f"{who} answered ({report.response_rate * 100:.0f}% of those invited)."
    return f"{who} answered."


def _highest_rated(report: GroupReport) -> str | None:
    """The highest-rated condition, worded by its value, not its rank.

    A mean printed below the midpoint of the answer scale (3.0, the same line the heatmap's
    colours turn on) is not a strength, even when it is the highest: the sentence then says
    that nothing reaches the midpoint. From 3.0 to 3.4 it is only "just above the middle".
    """
    shown = [c for c in report.shown_conditions if not math.isnan(c.mean)]
    if not shown:
        return None
    best = max(shown, key=lambda c: c.mean)
    printed = round(best.mean, 1)
    midpoint = colours.LEVEL.midpoint
    if printed < midpoint:
        many = "No condition" if len(shown) > 1 else "The condition shown does not"
        verb = " reaches" if len(shown) > 1 else " reach"
        return (f"{many}{verb} the middle of the scale ({midpoint:.0f} out of 5): the highest "
                f"rated, {best.name}, is at {_fmt(best.mean)}.")
    if sharedness(best.rwg_j) == "widely shared":
        how = "is widely shared"
    elif best.shared:
        how = "is fairly widely shared"
    else:
        how = "but people see it differently"
    if printed == midpoint:
        where = ", at the middle of the scale,"
    elif printed < STRONG_FROM:
        where = ", just above the middle of the scale,"
    else:
        where = ""
    joiner = " and" if best.shared else ("" if where else ",")
    return f"{best.name} is rated highest ({_fmt(best.mean)} out of 5){where}{joiner} {how}."


def _where_to_focus(focus: FocusFigure | None) -> str | None:
    if focus is None:
        return None
    job = f"a job for the leader as {focus.role}" if focus.role else "the next step"
    if focus.reason in ("rated_well_not_shared", "not_shared"):
        return (f"{focus.name} is rated {_fmt(focus.level)} and the group is split on it: "
                f"this is where to focus, {job}.")
    if focus.reason == "lowest_level":
        return (f"{focus.name} is rated lowest, at {_fmt(focus.level)}, and the group agrees "
                f"it needs work: this is where to focus, {job}.")
    return (f"Every condition is rated well and shared; {focus.name} is the one to keep "
            f"building, {job}.")


def _what_changed(change: Change) -> str | None:
    """The changes beyond chance, largest first by size; "all five rose" when they did."""
    if change.status != "shown" or change.previous_opens_on is None:
        return None
    since = change.previous_opens_on.strftime("%B %Y")
    moved = sorted((r for r in change.rows if r.shown and r.beyond_noise),
                   key=lambda r: -abs(r.difference))
    if not moved:
        return f"Nothing has changed by more than chance since {since}."
    rises = [r for r in moved if r.difference > 0]
    if len(moved) == len(change.rows) > 1 and len(rises) in (0, len(moved)):
        word = "rose" if rises else "fell"
        largest = moved[0]
        return (f"Since {since}, all {_number_word(len(moved)).lower()} conditions {word} by "
                f"more than chance would explain; the largest change is in {largest.name} "
                f"({_signed(largest.difference)}).")
    parts = [f"{r.name} has {'risen' if r.difference > 0 else 'fallen'} by "
             f"{abs(r.difference):.1f}" for r in moved[:2]]
    sentence = f"Since {since}, {' and '.join(parts)}, more than chance would explain"
    others = len(moved) - 2
    if others > 0:
        sentence += (f"; {_number_word(others).lower()} other "
                     f"{'condition has' if others == 1 else 'conditions have'} changed too")
    return sentence + "."


def _signed(value: float) -> str:
    return f"{'+' if value > 0 else '−'}{abs(value):.1f}"


# --- Many groups -------------------------------------------------------------------------


def many_groups_summary(report: ManyGroupsReport) -> list[str]:
    """Up to four plain sentences: how many groups match and are shown, and which
    condition is most often the lowest rated and the least shared among those shown."""
    scope = report.organisation.name if report.organisation else report.system.name
    total = len(report.rows)
    shown = report.shown_rows
    sentences = [
        f"{_number_word(total) if total <= 20 else total} "
        f"{'group' if total == 1 else 'groups'} in {scope} match this view; "
        f"{len(shown)} {'has' if len(shown) == 1 else 'have'} results to show."
    ]
    if report.n_hidden:
        sentences.append(
            f"{report.n_hidden} {'is' if report.n_hidden == 1 else 'are'} hidden because too few "
            "people answered, or to protect a smaller group alongside."
        )
    names = dict(report.conditions)
    weakest, least_shared = _weakest_conditions(report)
    if len(shown) == 1:
        if weakest:
            sentences.append(f"{names[weakest.most_common(1)[0][0]]} is its lowest-rated "
                             "condition.")
        if least_shared:
            sentences.append(f"{names[least_shared.most_common(1)[0][0]]} is its least shared "
                             "condition.")
        return sentences[:4]
    if weakest:
        key, count = weakest.most_common(1)[0]
        sentences.append(f"{names[key]} is the lowest-rated condition in {count} of the "
                         f"{len(shown)} groups shown.")
    if least_shared:
        key, count = least_shared.most_common(1)[0]
        sentences.append(f"{names[key]} is the least shared condition in {count} of them.")
    return sentences[:4]


def _weakest_conditions(report: ManyGroupsReport) -> tuple[Counter[str], Counter[str]]:
    """For the rows shown, how often each condition is the lowest rated and the least
    shared of its row (ties go to the first key in sort order)."""
    keys = [k for k, _ in report.conditions]
    weakest: Counter[str] = Counter()
    least_shared: Counter[str] = Counter()
    for row in report.shown_rows:
        levels = [(c.mean, k) for c, k in zip(row.cells, keys, strict=True)
                  if c.shown and not math.isnan(c.mean)]
        shares = [(c.rwg_j, k) for c, k in zip(row.cells, keys, strict=True)
                  if c.shown and not math.isnan(c.rwg_j)]
        if levels:
            weakest[min(levels)[1]] += 1
        if shares:
            least_shared[min(shares)[1]] += 1
    return weakest, least_shared
