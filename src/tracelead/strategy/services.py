"""Changes to a leadership strategy. Each is one transaction; a bad value raises
``ValidationError`` naming the field and changes nothing."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from tracelead.organisations.models import Group, Organisation

from .framework import DEFAULT_KEY, bundled
from .models import (
    Behaviour,
    BehaviourKind,
    Better,
    Framework,
    Milestone,
    MilestoneStatus,
    Outcome,
    OutcomeValue,
    Phase,
    Position,
    Strategy,
    Succession,
)

MAX_VALUES = 12
# Values dated before this are typing mistakes.
EARLIEST = dt.date(2000, 1, 1)


def strategy_for(organisation: Organisation) -> Strategy:
    """The organisation's strategy, made on first use with the default framework."""
    found = Strategy.objects.filter(organisation=organisation).first()
    return found if found is not None else strategy_create(organisation=organisation)


@transaction.atomic
def strategy_create(*, organisation: Organisation, framework_key: str = DEFAULT_KEY,
                    user: Any = None) -> Strategy:
    strategy, made = Strategy.objects.get_or_create(organisation=organisation)
    if made or not strategy.frameworks.exists():
        spec = bundled()[framework_key]
        framework = Framework.objects.create(strategy=strategy, version=1,
                                             source=f"{spec.key} {spec.version}",
                                             note=f"Started from “{spec.title}”",
                                             created_by=user)
        Behaviour.objects.bulk_create([
            Behaviour(framework=framework, key=b.key, kind=b.kind, title=b.title,
                      description=b.description, role=b.role, position=n)
            for n, b in enumerate(spec.behaviours)])
    return strategy


@transaction.atomic
def culture_save(*, strategy: Strategy, culture: str, values: Sequence[str]) -> Strategy:
    kept = [v.strip() for v in values if v.strip()]
    if len(kept) > MAX_VALUES:
        raise ValidationError({"values": f"List at most {MAX_VALUES} values"})
    if any(len(v) > 80 for v in kept):
        raise ValidationError({"values": "Keep each value to 80 characters or fewer"})
    if len({v.casefold() for v in kept}) != len(kept):
        raise ValidationError({"values": "Each value once"})
    strategy.culture, strategy.values = culture.strip(), kept
    strategy.save(update_fields=["culture", "values", "updated_at"])
    return strategy


def current_framework(strategy: Strategy) -> Framework:
    """The latest version of the strategy's behaviour framework."""
    framework = strategy.frameworks.order_by("-version").first()
    if framework is None:  # a strategy made outside strategy_create
        strategy_create(organisation=strategy.organisation)
        framework = strategy.frameworks.order_by("-version")[0]
    return framework


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:50] or "behaviour"


def _new_version(strategy: Strategy, *, note: str, user: Any) -> tuple[Framework, Framework]:
    """A copy of the current version as the next one (the old one is never changed)."""
    old = current_framework(Strategy.objects.select_for_update().get(pk=strategy.pk))
    number = (strategy.frameworks.aggregate(top=Max("version"))["top"] or 0) + 1
    new = Framework.objects.create(strategy=strategy, version=number, note=note[:200],
                                   created_by=user)
    Behaviour.objects.bulk_create([
        Behaviour(framework=new, key=b.key, kind=b.kind, title=b.title,
                  description=b.description, role=b.role, position=b.position)
        for b in old.behaviours.all()])
    return old, new


@transaction.atomic
def behaviour_save(*, strategy: Strategy, kind: str, title: str, description: str,
                   role: str = "", key: str = "", user: Any = None) -> Framework:
    """Add a behaviour (no ``key``) or change one, as a new version of the framework."""
    title, description, role = title.strip(), " ".join(description.split()), role.strip()
    problems = {}
    if kind not in BehaviourKind.values:
        problems["kind"] = "Choose whose behaviour it is"
    if not title:
        problems["title"] = "Enter the behaviour's name"
    if not description:
        problems["description"] = "Describe the behaviour as people would see it"
    if kind == BehaviourKind.ROLE and not role:
        problems["role"] = "Name the role this behaviour is for"
    if problems:
        raise ValidationError(problems)
    current = current_framework(strategy)
    existing = {b.key: b for b in current.behaviours.all()}
    if key and key not in existing:
        raise ValidationError({"key": "That behaviour is not in the framework"})
    if not key and any(b.title.casefold() == title.casefold() for b in existing.values()):
        raise ValidationError({"title": "The framework already has a behaviour of that name"})
    _old, new = _new_version(strategy, user=user,
                             note=f"Changed “{title}”" if key else f"Added “{title}”")
    role = role if kind == BehaviourKind.ROLE else ""
    if key:
        new.behaviours.filter(key=key).update(kind=kind, title=title,
                                              description=description, role=role)
    else:
        base, suffix, made = _slug(title), 1, _slug(title)
        while made in existing or made == "new":  # "new" is the page for adding one
            suffix += 1
            made = f"{base}-{suffix}"
        Behaviour.objects.create(framework=new, key=made, kind=kind, title=title,
                                 description=description, role=role,
                                 position=len(existing))
    return new


@transaction.atomic
def behaviour_remove(*, strategy: Strategy, key: str, user: Any = None) -> Framework:
    current = current_framework(strategy)
    gone = current.behaviours.filter(key=key).first()
    if gone is None:
        raise ValidationError({"key": "That behaviour is not in the framework"})
    _old, new = _new_version(strategy, user=user, note=f"Removed “{gone.title}”")
    new.behaviours.filter(key=key).delete()
    return new


def _position_problems(*, title: str, needed: Any, in_post: Any, succession: str,
                       kind: str) -> dict[str, str]:
    problems = {}
    if not title.strip():
        problems["title"] = "Enter the position's title"
    elif len(title.strip()) > 120:
        problems["title"] = "Keep the title to 120 characters or fewer"
    for field, value in (("needed", needed), ("in_post", in_post)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100_000:
            problems[field] = "Enter a whole number from 0 to 100,000"
    if "needed" not in problems and needed == 0:
        problems["needed"] = "A position is needed at least once"
    if succession not in Succession.values:
        problems["succession"] = "Choose the succession cover"
    if kind not in ("formal", "informal"):
        problems["kind"] = "Choose formal role or informal influencers"
    return problems


@transaction.atomic
def position_save(*, strategy: Strategy, title: str, needed: int, in_post: int,
                  kind: str = "formal", clinical: bool = False,
                  groups: Sequence[Group] = (), behaviours: Sequence[str] = (),
                  skills: str = "", succession: str = "none",
                  position: Position | None = None) -> Position:
    problems = _position_problems(title=title, needed=needed, in_post=in_post,
                                  succession=succession, kind=kind)
    title = title.strip()
    clash = strategy.positions.filter(title__iexact=title)
    if position is not None:
        clash = clash.exclude(pk=position.pk)
    if title and clash.exists():
        problems["title"] = "The inventory already has a position with this title"
    known = set(current_framework(strategy).behaviours.values_list("key", flat=True))
    if set(behaviours) - known:
        problems["behaviours"] = "Choose behaviours of the framework"
    if any(g.organisation_id not in (None, strategy.organisation_id)
           or g.system_id != strategy.organisation.system_id for g in groups):
        problems["groups"] = "Choose groups of this organisation"
    if problems:
        raise ValidationError(problems)
    row = position or Position(strategy=strategy)
    row.title, row.kind, row.needed, row.in_post = title, kind, needed, in_post
    row.clinical, row.skills, row.succession = clinical, skills.strip(), succession
    row.behaviours = [b for b in dict.fromkeys(behaviours)]
    row.save()
    row.groups.set(groups)
    return row


# --- Outcomes and milestones ------------------------------------------------------------

#: The measures the seed names, offered when the board starts its outcomes.
STANDARD_OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("Staff engagement (NHS Staff Survey)", "score out of 10", "higher"),
    ("Sickness absence rate", "%", "lower"),
    ("Temporary staffing spend", "£ thousands a month", "lower"),
)


@transaction.atomic
def outcome_save(*, strategy: Strategy, name: str, unit: str, better: str) -> Outcome:
    name, unit = name.strip(), unit.strip()
    problems = {}
    if not name:
        problems["name"] = "Enter the measure's name"
    elif strategy.outcomes.filter(name__iexact=name).exists():
        problems["name"] = "The strategy already has a measure of that name"
    if better not in Better.values:
        problems["better"] = "Choose whether higher or lower is better"
    if problems:
        raise ValidationError(problems)
    return Outcome.objects.create(strategy=strategy, name=name, unit=unit, better=better)


@transaction.atomic
def outcomes_standard(*, strategy: Strategy) -> list[Outcome]:
    """Add the seed's standard measures the strategy does not have yet."""
    have = {n.casefold() for n in strategy.outcomes.values_list("name", flat=True)}
    return [Outcome.objects.create(strategy=strategy, name=name, unit=unit, better=better)
            for name, unit, better in STANDARD_OUTCOMES if name.casefold() not in have]


def _value_problems(on: Any, value: Any, today: dt.date) -> dict[str, str]:
    problems = {}
    if not isinstance(on, dt.date):
        problems["on"] = "Enter the date as a real date"
    elif on > today:
        problems["on"] = "The date cannot be in the future"
    elif on < EARLIEST:
        problems["on"] = f"The date must be from {EARLIEST:%Y} on"
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        problems["value"] = "Enter the value as a number"
    return problems


@transaction.atomic
def outcome_value_save(*, outcome: Outcome, on: dt.date, value: float,
                       today: dt.date | None = None) -> OutcomeValue:
    """Record the measure's value on a day (a second value for the same day replaces it)."""
    problems = _value_problems(on, value, today or timezone.localdate())
    if problems:
        raise ValidationError(problems)
    row, _ = OutcomeValue.objects.update_or_create(outcome=outcome, on=on,
                                                   defaults={"value": float(value)})
    return row


@transaction.atomic
def milestone_save(*, strategy: Strategy, phase: str, title: str, due_on: dt.date,
                   owner: str, status: str = "not_started", evidence: str = "",
                   milestone: Milestone | None = None) -> Milestone:
    problems = {}
    if phase not in Phase.values:
        problems["phase"] = "Choose the phase"
    if not title.strip():
        problems["title"] = "Enter the milestone"
    if not owner.strip():
        problems["owner"] = "Enter who owns it"
    if status not in MilestoneStatus.values:
        problems["status"] = "Choose the status"
    if not isinstance(due_on, dt.date):
        problems["due_on"] = "Enter the date as a real date"
    if problems:
        raise ValidationError(problems)
    row = milestone or Milestone(strategy=strategy)
    row.phase, row.title, row.due_on = phase, title.strip(), due_on
    row.owner, row.status, row.evidence = owner.strip(), status, evidence.strip()
    row.save()
    return row
