"""The figures of a report: what a group report and a many-groups report show.

Frozen records built by :mod:`tracelead.reports.builders` from a publication and read by
every page, export, API answer and CLI command. They hold figures the gate has already
decided may be shown; nothing here computes or discloses anything.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from tracelead.analysis.agreement import sharedness
from tracelead.diagnostics.models import Assessment
from tracelead.instruments import Instrument, Practice
from tracelead.organisations.models import Group, Organisation, System
from tracelead.publishing.models import Cycle, Publication
from tracelead.publishing.selectors import Progress

# What the many-groups heatmap may colour its cells by.
MEASURES = ("level", "sharedness")


# --- The group report ----------------------------------------------------------------


@dataclass(frozen=True)
class ConditionFigure:
    """Level and sharedness of one condition; ``shown`` False means nothing else is set."""

    key: str
    name: str
    role: str | None
    shown: bool
    n: int = 0
    mean: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    rwg_j: float = math.nan
    band: str = ""
    sd: float = math.nan

    @property
    def shared(self) -> bool:
        return sharedness(self.rwg_j) != "not shared"


@dataclass(frozen=True)
class ItemFigure:
    """How one statement was answered; ``agreement`` is the item's rwg (NaN if < 2 answers)."""

    key: str
    number: int
    text: str
    condition: str
    condition_name: str
    shown: bool
    counts: tuple[int, ...] = ()
    dont_know: int = 0
    mean: float = math.nan
    agreement: float = math.nan

    @property
    def answered(self) -> int:
        return sum(self.counts)

    @property
    def label(self) -> str:
        return f"{self.condition_name} {self.number}"

    def plain_split(self) -> str:
        """'5 agree, 3 disagree, 2 neither' from the counts of a five-point scale."""
        if not self.counts:
            return ""
        a = len(self.counts)
        low = sum(self.counts[: a // 2])
        high = sum(self.counts[(a + 1) // 2:])
        middle = self.answered - low - high
        parts = [f"{high} agree", f"{low} disagree"]
        if middle:
            parts.append(f"{middle} neither")
        return ", ".join(parts)


@dataclass(frozen=True)
class FocusFigure:
    condition: str
    name: str
    reason: str
    level: float
    sharedness: float
    band: str
    role: str | None
    role_description: str | None
    practices: tuple[Practice, ...]
    sentence: str


@dataclass(frozen=True)
class GapFigure:
    key: str
    name: str
    self_mean: float
    other_mean: float
    gap: float
    n_other: int
    outside: bool


@dataclass(frozen=True)
class SelfOther:
    """Self against others. ``status``: shown; no_self_rater (the round did not ask for a
    self rating); not_shown (not one self rating, or too few others: which of the two is
    not said, since either would tell a count below the threshold)."""

    status: str
    rows: tuple[GapFigure, ...] = ()


@dataclass(frozen=True)
class ChangeFigure:
    key: str
    name: str
    shown: bool
    before: float = math.nan
    after: float = math.nan
    difference: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    beyond_noise: bool = False
    testable: bool = False


@dataclass(frozen=True)
class Change:
    """Change since the previous round.

    ``status``: shown, no_previous, previous_below (the group's earlier rounds were all
    withheld: too few responses, or hidden to protect a smaller group; one wording for
    both). ``skipped_rounds`` counts the withheld rounds passed over.
    """

    status: str
    previous_id: int | None = None
    previous_title: str = ""
    previous_opens_on: dt.date | None = None
    skipped_rounds: int = 0
    rows: tuple[ChangeFigure, ...] = ()


@dataclass(frozen=True)
class CommentSet:
    prompt: str
    texts: tuple[str, ...]


@dataclass
class GroupReport:
    """Everything one group's report shows, read from its cycle's newest publication.

    ``state``: "not_published" (the round is not in a publication yet: only its progress
    counts are known), "withheld" (published but not shown: too few responses, or hidden to
    protect a smaller group; one wording for both, since telling them apart would say
    whether the round reached its threshold) or "shown".
    """

    assessment: Assessment
    group: Group
    system: System
    cycle: Cycle
    instrument: Instrument
    state: str
    threshold: int
    comment_threshold: int
    n_responses: int
    n_invitations: int
    progress: Progress
    publication_number: int | None = None
    published_at: dt.datetime | None = None
    unverified: bool = False
    held_back: bool = False
    comments_disclosed: bool = False
    conditions: list[ConditionFigure] = field(default_factory=list)
    items: list[ItemFigure] = field(default_factory=list)
    disagreements: list[ItemFigure] = field(default_factory=list)
    focus: FocusFigure | None = None
    self_other: SelfOther = field(default_factory=lambda: SelfOther("no_self_rater"))
    change: Change = field(default_factory=lambda: Change("no_previous"))
    comments: list[CommentSet] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    # Set on a copy made for an export that leaves the comments out (the default).
    comments_left_out: bool = False

    @property
    def disclosed(self) -> bool:
        return self.state == "shown"

    @property
    def hidden_by_hierarchy(self) -> bool:
        return self.state == "withheld"

    @property
    def response_rate(self) -> float | None:
        if not self.n_invitations or not self.disclosed or self.progress.open_link:
            return None
        return min(1.0, self.n_responses / self.n_invitations)

    @property
    def shown_conditions(self) -> list[ConditionFigure]:
        return [c for c in self.conditions if c.shown]


# --- Many groups ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    shown: bool
    n: int = 0
    mean: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    rwg_j: float = math.nan


@dataclass(frozen=True)
class HeatmapRow:
    group_id: int
    name: str
    organisation_id: int | None
    organisation: str
    sector: str
    sector_label: str
    space: str
    space_label: str
    depth: int
    nested_groups: int
    assessment_id: int | None
    assessment_title: str
    opens_on: dt.date | None
    # shown; hidden (published but not shown: too few, or protecting a smaller group; one
    # wording for both); pending (its rounds are not all published yet); no_results (no
    # round in this cycle)
    status: str
    n: int = 0
    cells: tuple[Cell, ...] = ()
    # The group's own round (without nested groups): is it shown in the publication?
    own_shown: bool = False

    @property
    def shown(self) -> bool:
        return self.status == "shown"


@dataclass
class ManyGroupsReport:
    system: System
    cycle: Cycle | None
    publication: Publication | None
    cycles: list[Cycle]
    organisation: Organisation | None
    instrument: Instrument
    conditions: list[tuple[str, str]]
    rows: list[HeatmapRow]
    threshold: int
    measure: str
    filters: dict[str, str]
    organisations: list[tuple[int, str]]
    sectors: list[tuple[str, str]]
    spaces: list[tuple[str, str]]
    summary: list[str] = field(default_factory=list)

    @property
    def shown_rows(self) -> list[HeatmapRow]:
        return [row for row in self.rows if row.shown]

    @property
    def n_hidden(self) -> int:
        return sum(1 for row in self.rows if row.status == "hidden")

    @property
    def n_no_results(self) -> int:
        return sum(1 for row in self.rows if row.status == "no_results")

    @property
    def n_pending(self) -> int:
        return sum(1 for row in self.rows if row.status == "pending")
