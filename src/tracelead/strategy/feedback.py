"""360 feedback on the behaviour framework: rounds, rater links, answers, reports and the
position summaries a board reads.

Who sees what:

* a rater opens an unguessable link, sees the leader's name, how their kind of answer is
  shown, and rates each behaviour once;
* the organisation's facilitators run the round (how many of each kind answered, never
  who) and read the leader's report once the round is closed;
* the leader reads their own report once it is closed;
* the board (the organisation's viewers) reads only a position's summary: several
  holders' shown figures pooled, each pooled figure from at least ``FIGURES_THRESHOLD``
  leaders.

The report is made only after the round closes, so nobody can watch a figure move as one
more answer arrives, and nothing is added to a closed round. The rules on what is shown are
:func:`tracelead.analysis.feedback.feedback_table` and ``pool_tables``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from tracelead.analysis.disclosure import FIGURES_THRESHOLD as FIGURES_THRESHOLD
from tracelead.analysis.feedback import RATER_THRESHOLD as RATER_THRESHOLD
from tracelead.analysis.feedback import FeedbackTable, feedback_table, pool_tables

from .models import (
    Behaviour,
    BehaviourKind,
    FeedbackAnswer,
    FeedbackKind,
    FeedbackRater,
    FeedbackRound,
    FeedbackSummary,
    Framework,
    Position,
    Strategy,
)
from .services import current_framework

#: The kinds in report order, and the two shown whatever their number.
KINDS: list[str] = [FeedbackKind.SELF, FeedbackKind.MANAGER, FeedbackKind.PEER,
                    FeedbackKind.REPORT, FeedbackKind.OTHER]
NAMED_KINDS = (FeedbackKind.SELF, FeedbackKind.MANAGER)
SELF_INDEX = 0
#: The rating scale: how often the rater sees the behaviour.
SCALE: list[tuple[int, str]] = [(1, "Rarely"), (2, "Sometimes"), (3, "Often"),
                                (4, "Very often"), (5, "Almost always")]
MAX_LINKS_PER_KIND = 30
#: What each kind of rater is told about how their answer is shown.
KIND_NOTES: dict[str, str] = {
    FeedbackKind.SELF: "This is your own rating of yourself. It is shown in your report "
                       "beside what others see.",
    FeedbackKind.MANAGER: "You are asked as the line manager. Your rating is shown in the "
                          "report as the line manager's, so the leader will know it is yours.",
    FeedbackKind.PEER: "You are asked as a peer. Peers' ratings are shown only together, and "
                       "only where at least three peers rated a behaviour; your name is "
                       "never shown.",
    FeedbackKind.REPORT: "You are asked as someone the leader manages. These ratings are "
                         "shown only together, and only where at least three people rated "
                         "a behaviour; your name is never shown.",
    FeedbackKind.OTHER: "You are asked as someone who works with the leader. These ratings "
                        "are shown only together, and only where at least three people "
                        "rated a behaviour; your name is never shown.",
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_open(round_: FeedbackRound) -> bool:
    return round_.closed_at is None and timezone.localdate() <= round_.closes_on


def is_closed(round_: FeedbackRound) -> bool:
    return not is_open(round_)


def round_behaviours(framework: Framework, position: Position | None) -> list[str]:
    """What the round asks about: the framework's behaviours for every leader, then those
    the position needs (a role's own behaviours), in the framework's order. Capabilities
    leaders hold together are not rated of one person."""
    wanted = set(position.behaviours) if position is not None else set()
    return [b.key for b in framework.behaviours.all()
            if b.kind == BehaviourKind.EVERY_LEADER
            or (b.key in wanted and b.kind == BehaviourKind.ROLE)]


def _account_for(email: str) -> Any:
    if not email:
        return None
    found = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
    return found[0] if len(found) == 1 else None


@transaction.atomic
def round_create(*, strategy: Strategy, leader_name: str, leader_email: str = "",
                 position: Position | None, closes_on: Any, user: Any = None
                 ) -> FeedbackRound:
    name = leader_name.strip()
    if not name:
        raise ValidationError({"leader_name": "Enter the leader's name"})
    if closes_on < timezone.localdate():
        raise ValidationError({"closes_on": "The closing date must be today or later"})
    if position is not None and position.strategy_id != strategy.pk:
        raise ValidationError({"position": "Choose one of this strategy's positions"})
    framework = current_framework(strategy)
    keys = round_behaviours(framework, position)
    if not keys:
        raise ValidationError({"position": "The framework has no behaviours to rate a "
                                           "leader on: add some for every leader first"})
    email = leader_email.strip()
    return FeedbackRound.objects.create(
        strategy=strategy, framework=framework, position=position, leader_name=name,
        leader_email=email, leader=_account_for(email), behaviours=keys,
        closes_on=closes_on, created_by=user)


def address_hash(address: str) -> str:
    """A keyed hash of an address (HMAC-SHA256 with the secret key), to ask no one twice
    in a round without keeping their address beside their link."""
    return hmac.new(settings.SECRET_KEY.encode(), address.strip().casefold().encode(),
                    hashlib.sha256).hexdigest()


def _invitation(round_: FeedbackRound, rater: FeedbackRater, name: str) -> tuple[str, str]:
    organisation = round_.strategy.organisation.name
    link = settings.TRACELEAD_SITE_URL.rstrip("/") + reverse("feedback_answer",
                                                             args=[rater.token])
    subject = f"360 feedback for {round_.leader_name}"
    body = (f"Dear {name},\n\n{organisation} is gathering 360 feedback for "
            f"{round_.leader_name} on the behaviours its leaders have agreed. You are asked "
            f"as: {FeedbackKind(rater.kind).label.lower()}.\n\n{KIND_NOTES[rater.kind]}\n\n"
            f"Your own link (please do not pass it on):\n{link}\n\nIt takes about five "
            f"minutes and closes on {round_.closes_on:%-d %B %Y}.\n")
    return subject, body


@transaction.atomic
def raters_add(*, round_: FeedbackRound, kind: str, people: Sequence[tuple[str, str]],
               by: Any = None) -> list[FeedbackRater]:
    """Ask raters: each gets their own link by email (through the outbox); the
    facilitator who asks never sees it. An address is asked once a round, the leader's
    only as themself, and never the asker's own."""
    from tracelead.messaging.services import notice_queue

    if kind not in KINDS:
        raise ValidationError({"kind": "Choose one of the kinds listed"})
    locked = FeedbackRound.objects.select_for_update().get(pk=round_.pk)
    if not is_open(locked):
        raise ValidationError({"kind": "The round is closed: no more raters can be asked"})
    if not people:
        raise ValidationError({"raters": "Enter at least one rater"})
    have = locked.raters.filter(kind=kind).count()
    if kind in NAMED_KINDS and have + len(people) > 1:
        raise ValidationError({"raters": f"A round has one {FeedbackKind(kind).label.lower()} "
                                         "link" + (": it is made already" if have else "")})
    if have + len(people) > MAX_LINKS_PER_KIND:
        raise ValidationError({"raters": f"Ask at most {MAX_LINKS_PER_KIND} raters of a kind"})
    leader = locked.leader_email.strip().casefold()
    mine = str(getattr(by, "email", "") or "").strip().casefold()
    taken = set(locked.raters.values_list("address_hash", flat=True))
    problems = []
    for line, (_name, address) in enumerate(people, start=1):
        folded = address.strip().casefold()
        hashed = address_hash(folded)
        if kind == FeedbackKind.SELF and leader and folded != leader:
            problems.append(f"Line {line}: the leader's own link goes to the leader's "
                            f"address, {locked.leader_email}")
        elif kind != FeedbackKind.SELF and leader and folded == leader:
            problems.append(f"Line {line}: {address} is the leader's own address; ask them "
                            "as “Self”")
        elif mine and folded == mine:
            problems.append(f"Line {line}: {address} is your own address; the person who "
                            "runs a round does not rate in it")
        elif hashed in taken:
            problems.append(f"Line {line}: {address} is asked already in this round")
        taken.add(hashed)
    if problems:
        raise ValidationError({"raters": problems})
    made = []
    for name, address in people:
        token = secrets.token_urlsafe(24)
        rater = FeedbackRater.objects.create(round=locked, kind=kind, label=name.strip()[:200],
                                             token_hash=hash_token(token),
                                             address_hash=address_hash(address))
        rater.token = token
        subject, body = _invitation(locked, rater, name.strip() or "colleague")
        notice_queue(to=[address.strip()], subject=subject, body=body)
        made.append(rater)
    return made


def rater_for(token: str) -> FeedbackRater | None:
    if not token or len(token) > 100:
        return None
    return (FeedbackRater.objects.select_related("round", "round__strategy__organisation")
            .filter(token_hash=hash_token(token)).first())


class AlreadyAnswered(Exception):
    pass


def clean_ratings(keys: Sequence[str], posted: Mapping[str, str]
                  ) -> tuple[dict[str, int | None], dict[str, str]]:
    """Each behaviour's rating from a posted form: 1..5, or "none" for not seen."""
    ratings: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    allowed = {str(n) for n, _label in SCALE}
    for key in keys:
        value = str(posted.get(f"b-{key}", "")).strip()
        if value == "none":
            ratings[key] = None
        elif value in allowed:
            ratings[key] = int(value)
        else:
            errors[key] = ("Choose how often you see this, or that you have not seen "
                           "enough to say")
    if not errors and all(v is None for v in ratings.values()):
        errors[keys[0]] = "Rate at least one behaviour you have seen"
    return ratings, errors


@transaction.atomic
def answer_submit(*, rater: FeedbackRater, ratings: Mapping[str, int | None]) -> FeedbackAnswer:
    """Store one rater's ratings, once, with nothing that links them to the rater."""
    # The round first, as closing locks it: an answer either lands before the close or is
    # refused, never after a report has been read.
    round_ = FeedbackRound.objects.select_for_update().get(pk=rater.round_id)
    locked = FeedbackRater.objects.select_for_update().get(pk=rater.pk)
    if locked.used:
        raise AlreadyAnswered
    if not is_open(round_):
        raise ValidationError("The round is closed")
    if set(ratings) != set(round_.behaviours) or any(
            v is not None and not (1 <= v <= 5) for v in ratings.values()):
        raise ValidationError("Rate each behaviour of the round, from 1 to 5 or not seen")
    answer = FeedbackAnswer.objects.create(round=round_, kind=locked.kind,
                                           ratings=dict(ratings))
    locked.used = True
    locked.save(update_fields=["used"])
    return answer


@transaction.atomic
def round_close(round_: FeedbackRound) -> None:
    """Close the round (no answer after it) and forget who was asked: the raters' names
    served only to follow the round while it was open."""
    locked = FeedbackRound.objects.select_for_update().get(pk=round_.pk)
    if locked.closed_at is None:
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
    locked.raters.exclude(label="").update(label="")
    round_.closed_at = locked.closed_at


def _forget_raters(round_: FeedbackRound) -> None:
    """A round past its closing date forgets its raters' names the first time it is read."""
    if round_.raters.exclude(label="").exists():
        round_.raters.update(label="")


@dataclass(frozen=True)
class KindProgress:
    kind: str
    label: str
    asked: int
    answered: int | None  # None: fewer than the threshold have answered (not said how many)


def progress(round_: FeedbackRound) -> list[KindProgress]:
    """How many of each kind were asked and have answered, never who. For peers, direct
    reports and others the number answered is given only from three: below that, a count
    that moves from 0 to 1 would tell which of one or two named people had answered."""
    rows = list(round_.raters.values_list("kind", "used"))
    out = []
    for kind in KINDS:
        answered = sum(1 for k, u in rows if k == kind and u)
        shown = kind in NAMED_KINDS or answered >= RATER_THRESHOLD
        out.append(KindProgress(kind, FeedbackKind(kind).label,
                                sum(1 for k, _u in rows if k == kind),
                                answered if shown else None))
    return out


# --- Reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    shown: bool
    n: int
    mean: float | None
    leaders: int = 0


@dataclass(frozen=True)
class BehaviourRow:
    key: str
    title: str
    description: str
    cells: dict[str, Cell]
    others: Cell


@dataclass(frozen=True)
class Report:
    """A 360 table ready to show: only shown cells carry numbers."""

    rows: list[BehaviourRow]
    kinds: list[tuple[str, str]]
    raters: dict[str, int]  # answers of each kind, only for kinds with a shown cell
    threshold: int

    def as_json(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "kinds": [k for k, _label in self.kinds],
            "raters": self.raters,
            "behaviours": [{
                "key": r.key, "title": r.title,
                "by_kind": {k: ({"n": c.n, "mean": round(c.mean, 4), "leaders": c.leaders}
                                if c.shown and c.mean is not None else None)
                            for k, c in r.cells.items()},
                "everyone_but_self": ({"n": r.others.n, "mean": round(r.others.mean, 4)}
                                      if r.others.shown and r.others.mean is not None
                                      else None),
            } for r in self.rows],
        }


def _titles(framework: Framework, keys: Sequence[str]) -> dict[str, Behaviour]:
    found = {b.key: b for b in framework.behaviours.filter(key__in=list(keys))}
    return found


def _matrix(answers: Sequence[FeedbackAnswer], keys: Sequence[str]
            ) -> tuple[np.ndarray, np.ndarray]:
    ratings = np.full((len(answers), len(keys)), np.nan)
    for i, answer in enumerate(answers):
        for j, key in enumerate(keys):
            value = answer.ratings.get(key)
            if value is not None:
                ratings[i, j] = float(value)
    kinds = np.array([KINDS.index(a.kind) for a in answers], dtype=np.int64)
    return ratings, kinds


def round_table(round_: FeedbackRound, keys: Sequence[str] | None = None) -> FeedbackTable:
    """The round's shown figures over ``keys`` (its own behaviours by default)."""
    keys = list(round_.behaviours if keys is None else keys)
    answers = list(round_.answers.all())
    ratings, kinds = _matrix(answers, keys)
    return feedback_table(ratings, kinds, n_kinds=len(KINDS),
                          always_shown=[KINDS.index(k) for k in NAMED_KINDS],
                          self_kind=SELF_INDEX, k=RATER_THRESHOLD)


def _text(found: Any, field: str) -> str:
    if isinstance(found, Behaviour):
        return str(getattr(found, field))
    return str(found.get(field, "")) if isinstance(found, dict) else ""


def _report(table: FeedbackTable, keys: Sequence[str], behaviours: Mapping[str, Any],
            raters: dict[str, int], threshold: int) -> Report:
    rows = []
    for j, key in enumerate(keys):
        b = behaviours.get(key)
        cells = {kind: Cell(bool(table.shown[i, j]), int(table.n[i, j]),
                            float(table.mean[i, j]) if table.shown[i, j] else None,
                            int(table.leaders[i, j]))
                 for i, kind in enumerate(KINDS)}
        others_shown = bool(table.others_n[j] > 0)
        rows.append(BehaviourRow(
            key=key, title=_text(b, "title") or key, description=_text(b, "description"),
            cells=cells,
            others=Cell(others_shown, int(table.others_n[j]),
                        float(table.others_mean[j]) if others_shown else None)))
    return Report(rows=rows, kinds=[(k, FeedbackKind(k).label) for k in KINDS],
                  raters=raters, threshold=threshold)


def round_report(round_: FeedbackRound) -> Report:
    """The leader's report. Raises ``ValidationError`` while the round is open."""
    if is_open(round_):
        raise ValidationError("The report is made when the round closes")
    _forget_raters(round_)
    keys = list(round_.behaviours)
    table = round_table(round_, keys)
    shown_kinds: list[bool] = [bool(table.shown[i].any()) for i in range(len(KINDS))]
    answered = dict.fromkeys(KINDS, 0)
    for kind in round_.answers.values_list("kind", flat=True):
        answered[kind] += 1
    raters = {kind: answered[kind] for i, kind in enumerate(KINDS) if shown_kinds[i]}
    return _report(table, keys, _titles(round_.framework, keys), raters, RATER_THRESHOLD)


def round_for_reader(user: Any, round_pk: int) -> tuple[FeedbackRound, bool]:
    """The round for its leader or its organisation's facilitators (with whether the
    reader is a facilitator); the same 404 for anyone else as for no round at all."""
    from .access import can_edit

    row = (FeedbackRound.objects.filter(pk=round_pk)
           .select_related("framework", "position", "strategy__organisation").first())
    if row is None or not getattr(user, "is_authenticated", False):
        raise Http404("No such report.")
    editor = can_edit(user, row.strategy.organisation)
    if not (editor or (row.leader_id is not None and row.leader_id == user.pk)):
        raise Http404("No such report.")
    return row, editor


# --- Position summaries -----------------------------------------------------------------


def _leader_identity(round_: FeedbackRound) -> str:
    return round_.leader_email.strip().casefold()


def summary_candidates(position: Position) -> list[FeedbackRound]:
    """Closed rounds of the position's holders that no summary counts yet."""
    return [r for r in position.feedback_rounds.filter(summary__isnull=True)
            .select_related("framework").order_by("-closes_on", "-id") if is_closed(r)]


def summary_rounds(position: Position) -> list[FeedbackRound]:
    """What the next summary would pool: each leader once (their latest closed round with
    answers, not yet summarised), known by their address; a round without one is left out, since the
    same person could then be counted as two leaders."""
    chosen: dict[str, FeedbackRound] = {}
    answered = set(FeedbackAnswer.objects.filter(round__position=position)
                   .values_list("round_id", flat=True))
    for r in summary_candidates(position):
        if r.pk not in answered:
            continue  # nobody answered: nothing to pool
        identity = _leader_identity(r)
        if identity and identity not in chosen:
            chosen[identity] = r
    return list(chosen.values())


def summary_ready(position: Position) -> int:
    """How many different leaders the next summary would count."""
    return len(summary_rounds(position))


@transaction.atomic
def summary_make(*, position: Position, user: Any = None) -> FeedbackSummary:
    """Pool the closed, not yet summarised rounds of a position into a frozen summary.

    Refused below ``FIGURES_THRESHOLD`` distinct leaders; within it a pooled cell is shown
    only where that many leaders contribute to it.
    """
    Position.objects.select_for_update().filter(pk=position.pk).first()
    rounds = summary_rounds(position)
    leaders = {_leader_identity(r) for r in rounds}
    if len(leaders) < FIGURES_THRESHOLD:
        raise ValidationError(
            f"A summary needs closed rounds of at least {FIGURES_THRESHOLD} different "
            f"holders of the position, so that no one leader's ratings can be read from it; "
            f"{len(leaders)} {'is' if len(leaders) == 1 else 'are'} ready.")
    keys: list[str] = []
    titles: dict[str, dict[str, str]] = {}
    for r in sorted(rounds, key=lambda r: r.framework.version):
        for key, b in _titles(r.framework, r.behaviours).items():
            titles[key] = {"title": b.title, "description": b.description}
        keys.extend(k for k in r.behaviours if k not in keys)
    pooled = pool_tables([round_table(r, keys) for r in rounds],
                         min_leaders=FIGURES_THRESHOLD, self_kind=SELF_INDEX,
                         leave_out=[KINDS.index(k) for k in NAMED_KINDS])
    report = _report(pooled, keys, titles, {}, FIGURES_THRESHOLD)
    table = {**report.as_json(), "leaders": len(leaders), "rounds": len(rounds),
             "titles": titles}
    summary = FeedbackSummary.objects.create(position=position, table=table, created_by=user)
    FeedbackRound.objects.filter(pk__in=[r.pk for r in rounds]).update(summary=summary)
    return summary


def summary_report(summary: FeedbackSummary) -> Report:
    """A stored summary as a report (served as stored, never recomputed)."""
    table = summary.table
    rows = []
    for b in table["behaviours"]:
        cells = {}
        for kind in KINDS:
            c = b["by_kind"].get(kind)
            cells[kind] = (Cell(True, c["n"], c["mean"], c["leaders"]) if c
                           else Cell(False, 0, None))
        o = b["everyone_but_self"]
        info = table["titles"].get(b["key"], {})
        rows.append(BehaviourRow(key=b["key"], title=info.get("title", b["title"]),
                                 description=info.get("description", ""), cells=cells,
                                 others=Cell(True, o["n"], o["mean"]) if o
                                 else Cell(False, 0, None)))
    return Report(rows=rows, kinds=[(k, FeedbackKind(k).label) for k in KINDS],
                  raters={}, threshold=int(table["threshold"]))
