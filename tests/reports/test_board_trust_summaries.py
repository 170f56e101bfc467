""""In short": the largest changes by size, "all five rose", and words that follow the value.

Every report here is made by hand, so the expected sentences come from the figures written
in the test, not from the code under test.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from tracelead.reports.figures import Change, ChangeFigure, ConditionFigure, GroupReport
from tracelead.reports.summaries import group_summary

NAMES = ("Task", "Route", "Alignment", "Capability", "Energy")


def _report(*, means: tuple[float, ...] = (3.6, 3.4, 3.2, 3.9, 3.5),
            rwgs: tuple[float, ...] = (0.8, 0.6, 0.75, 0.82, 0.7),
            change: Change | None = None) -> GroupReport:
    conditions = [ConditionFigure(name.lower(), name, None, True, 9, m, m - 0.4, m + 0.4, r)
                  for name, m, r in zip(NAMES, means, rwgs, strict=True)]
    return GroupReport(
        assessment=None, group=None, system=None, cycle=None, instrument=None,  # type: ignore[arg-type]
        state="shown", threshold=5, comment_threshold=10, n_responses=9, n_invitations=12,
        progress=SimpleNamespace(open_link=False),  # type: ignore[arg-type]
        conditions=conditions, change=change or Change("no_previous"),
    )


def _change(differences: tuple[float, ...], beyond: tuple[bool, ...]) -> Change:
    rows = tuple(ChangeFigure(name.lower(), name, True, 2.5, 2.5 + d, d, d - 0.3, d + 0.3, b,
                              True)
                 for name, d, b in zip(NAMES, differences, beyond, strict=True))
    return Change("shown", 1, "Winter round", dt.date(2025, 3, 3), 0, rows)


def _sentence_about(report: GroupReport, start: str) -> str:
    found = [s for s in group_summary(report) if s.startswith(start)]
    assert len(found) == 1, group_summary(report)
    return found[0]


def test_all_five_rising_is_said_and_the_largest_rise_is_named() -> None:
    # The Surgical Division's case: every condition rose beyond chance, Capability most,
    # but Capability is fourth in questionnaire order.
    change = _change((0.52, 0.61, 0.48, 1.39, 0.70), (True,) * 5)
    sentence = _sentence_about(_report(change=change), "Since March 2025")
    assert sentence == ("Since March 2025, all five conditions rose by more than chance "
                        "would explain; the largest change is in Capability (+1.4).")


def test_all_five_falling_is_said_too() -> None:
    change = _change((-0.4, -0.9, -0.35, -0.5, -0.6), (True,) * 5)
    sentence = _sentence_about(_report(change=change), "Since March 2025")
    assert sentence.startswith("Since March 2025, all five conditions fell")
    assert sentence.endswith("in Route (−0.9).")


def test_changes_are_named_by_size_not_by_questionnaire_order() -> None:
    # Task and Route moved beyond chance but less than Capability and Energy.
    change = _change((0.41, -0.45, 0.1, 1.39, -0.8), (True, True, False, True, True))
    sentence = _sentence_about(_report(change=change), "Since March 2025")
    assert sentence == ("Since March 2025, Capability has risen by 1.4 and Energy has fallen "
                        "by 0.8, more than chance would explain; two other conditions have "
                        "changed too.")


def test_a_change_within_chance_is_never_named_however_large() -> None:
    change = _change((0.3, 0.0, 0.0, 1.6, 0.0), (True, False, False, False, False))
    sentence = _sentence_about(_report(change=change), "Since March 2025")
    assert sentence == "Since March 2025, Task has risen by 0.3, more than chance would explain."


def test_the_highest_rated_below_the_midpoint_is_not_worded_as_a_strength() -> None:
    report = _report(means=(2.1, 2.4, 2.9, 2.0, 2.6))
    summary = " ".join(group_summary(report))
    assert "rated highest" not in summary
    assert ("No condition reaches the middle of the scale (3 out of 5): the highest rated, "
            "Alignment, is at 2.9.") in summary


def test_a_mean_printed_as_three_is_at_the_middle_and_a_little_more_is_just_above() -> None:
    # 2.96 is printed "3.0": the sentence follows what the reader sees.
    report = _report(means=(2.1, 2.4, 2.96, 2.0, 2.6))
    sentence = _sentence_about(report, "Alignment")
    assert sentence == ("Alignment is rated highest (3.0 out of 5), at the middle of the "
                        "scale, and is widely shared.")
    report = _report(means=(2.1, 2.4, 3.3, 2.0, 2.6), rwgs=(0.8, 0.6, 0.4, 0.82, 0.7))
    sentence = _sentence_about(report, "Alignment")
    assert sentence == ("Alignment is rated highest (3.3 out of 5), just above the middle of "
                        "the scale, but people see it differently.")


def test_a_high_mean_still_reads_as_a_strength() -> None:
    sentence = _sentence_about(_report(), "Capability")
    assert sentence == "Capability is rated highest (3.9 out of 5) and is widely shared."


def test_a_withheld_report_says_nothing_of_figures() -> None:
    report = _report()
    report.state = "withheld"
    assert len(group_summary(report)) == 1 and "not shown" in group_summary(report)[0]
