"""Reads of a leadership strategy: the framework by kind, and the inventory's gaps."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Behaviour, BehaviourKind, Framework, Position, PositionKind, Strategy
from .services import current_framework


@dataclass
class FrameworkView:
    framework: Framework
    every: list[Behaviour] = field(default_factory=list)
    role: list[Behaviour] = field(default_factory=list)
    collective: list[Behaviour] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.every) + len(self.role) + len(self.collective)


def framework_view(framework: Framework) -> FrameworkView:
    view = FrameworkView(framework)
    lists = {BehaviourKind.EVERY_LEADER: view.every, BehaviourKind.ROLE: view.role,
             BehaviourKind.COLLECTIVE: view.collective}
    for behaviour in framework.behaviours.all():
        lists[BehaviourKind(behaviour.kind)].append(behaviour)
    return view


@dataclass(frozen=True)
class Inventory:
    """The inventory in figures: the board's own records (no one's answers), so shown
    whole to everyone who may read the strategy."""

    positions: list[Position]
    needed: int
    in_post: int
    vacant: int
    formal: int
    informal: int
    clinical_needed: int
    no_cover: list[Position]
    ready_now: int
    ready_later: int

    @property
    def filled_share(self) -> float | None:
        return self.in_post / self.needed if self.needed else None


def inventory(strategy: Strategy) -> Inventory:
    positions = list(strategy.positions.prefetch_related("groups"))
    formal = [p for p in positions if p.kind == PositionKind.FORMAL]
    return Inventory(
        positions=positions,
        needed=sum(p.needed for p in positions),
        # As recorded: a role may hold more than it needs (vacant is never below 0).
        in_post=sum(p.in_post for p in positions),
        vacant=sum(p.vacant for p in positions),
        formal=len(formal), informal=len(positions) - len(formal),
        clinical_needed=sum(p.needed for p in positions if p.clinical),
        no_cover=[p for p in formal if p.succession == "none"],
        ready_now=sum(1 for p in formal if p.succession == "ready_now"),
        ready_later=sum(1 for p in formal if p.succession == "ready_later"),
    )


def behaviour_titles(strategy: Strategy) -> dict[str, str]:
    """Titles of the current framework's behaviours by key (a position may name a key a
    later version removed: it is then shown as removed)."""
    return dict(current_framework(strategy).behaviours.values_list("key", "title"))
