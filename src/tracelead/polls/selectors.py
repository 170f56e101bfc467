"""Reads of polls: what the presenter shows, the results after the event, the results by
sector (merged under the disclosure threshold) and the words for the evaluation.

The computation is the analysis core's (:mod:`tracelead.analysis.polls`); this module
fetches votes and shapes what pages, exports and the API print.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from typing import Any

import numpy as np
from django.db.models import Count, Q, Sum

from tracelead.analysis.agreement import sharedness
from tracelead.analysis.polls import (
    merge_small_categories,
    pulse,
    ranking_result,
    scale_result,
    word_counts,
)
from tracelead.organisations.models import Sector
from tracelead.publishing.models import DEFAULT_THRESHOLD, Cycle

from .models import Idea, IdeaVote, Participant, Poll, Question, QuestionKind, Vote

REASON_WORDS = {
    "rated_well_not_shared": "rated well on average, but the room is split",
    "not_shared": "the room is split on it",
    "lowest_level": "the room agrees it is the weakest",
    "strength": "the room agrees it is a strength; build on it",
}


def poll_threshold(poll: Poll) -> int:
    """The disclosure threshold for anything broken down by group: the one fixed when the
    poll ended, else the threshold of the system's latest reporting cycle, or the
    product's default."""
    if poll.sector_threshold is not None:
        return poll.sector_threshold
    latest = Cycle.objects.filter(system_id=poll.academy.system_id).order_by("-created_at",
                                                                              "-id").first()
    return latest.threshold if latest else DEFAULT_THRESHOLD


def live_signature(poll: Poll, question: Question | None) -> str:
    """A short ETag for the presenter's view: changes with every vote, idea, upvote and
    presenter step, and costs a few indexed counts (no row is written per vote)."""
    parts: list[Any] = [poll.pk, poll.version,
                        Participant.objects.filter(poll=poll).count()]
    if question is not None:
        ids = [question.pk] if not poll.is_pulse else list(
            poll.questions.values_list("pk", flat=True))
        # Sums of revisions, not times: servers' clocks may disagree.
        votes = Vote.objects.filter(question_id__in=ids).aggregate(
            n=Count("pk"), r=Sum("revision"))
        parts += [votes["n"], votes["r"]]
        if question.kind == QuestionKind.IDEAS:
            # The sum of the ideas' ids voted for changes when a vote moves between ideas.
            ideas = Idea.objects.filter(question=question).aggregate(
                n=Count("pk"), hidden=Count("pk", filter=Q(hidden=True)))
            upvotes = IdeaVote.objects.filter(idea__question=question).aggregate(
                n=Count("pk"), s=Sum("idea_id"))
            parts += [ideas["n"], ideas["hidden"], upvotes["n"], upvotes["s"]]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def _number(value: float, places: int = 2) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), places)


def question_results(question: Question, *, names: bool = False,
                     participants: dict[int, Participant] | None = None) -> dict[str, Any]:
    """One question's results over everyone who answered, as plain data."""
    kind = question.kind
    out: dict[str, Any] = {"kind": kind}
    if kind == QuestionKind.IDEAS:
        ideas = list(Idea.objects.filter(question=question)
                     .annotate(votes=Count("upvotes")).select_related("participant")
                     .order_by("-votes", "created_at", "id"))
        out["ideas"] = [{"id": i.pk, "text": i.text, "votes": i.votes, "hidden": i.hidden,
                         **({"name": i.participant.name} if names else {})} for i in ideas]
        out["n"] = len({i.participant_id for i in ideas})
        return out
    rows = list(Vote.objects.filter(question=question).order_by("updated_at", "id")
                .values_list("participant_id", "answer"))
    answers = [a for _, a in rows]
    out["n"] = len(answers)
    if kind == QuestionKind.SCALE:
        r = scale_result(answers, low=question.scale_min, high=question.scale_max)
        out.update(values=question.scale_values(), counts=list(r.counts), mean=_number(r.mean))
    elif kind in {QuestionKind.SINGLE, QuestionKind.MULTIPLE}:
        counts = [0] * len(question.options)
        for a in answers:
            for i in ([a] if kind == QuestionKind.SINGLE else a):
                counts[int(i)] += 1
        out.update(options=list(question.options), counts=counts)
    elif kind == QuestionKind.WORDS:
        out["words"] = [{"word": w, "count": c} for w, c in word_counts(answers)]
    elif kind == QuestionKind.TEXT:
        people = participants or {}
        out["texts"] = [{"text": a, **({"name": people[p].name if p in people else ""}
                                       if names else {})}
                        for p, a in reversed(rows)]
    elif kind == QuestionKind.RANKING:
        ranked = ranking_result(answers, n_options=len(question.options))
        out["ranking"] = [{"option": question.options[i], "points": ranked.points[i],
                           "mean_position": _number(ranked.mean_position[i], 1)}
                          for i in ranked.order]
    return out


def pulse_results(poll: Poll) -> dict[str, Any]:
    """Each condition's level and sharedness in the room, and the one to talk about first,
    computed by the analysis core from the pulse's votes."""
    questions = [q for q in poll.questions.all() if q.condition]
    keys = [q.condition for q in questions]
    column = {q.pk: c for c, q in enumerate(questions)}
    people: dict[int, int] = {}
    cells: list[tuple[int, int, float]] = []
    for participant, question_id, answer in Vote.objects.filter(
            question__in=questions).values_list("participant_id", "question_id", "answer"):
        if not isinstance(answer, int) or not 1 <= answer <= 5:
            continue  # the pulse is read on 1 to 5 (the service keeps it there)
        row = people.setdefault(participant, len(people))
        cells.append((row, column[question_id], float(answer)))
    ratings = np.full((len(people), len(keys)), np.nan)
    for row, col, value in cells:
        ratings[row, col] = value
    from .services import pulse_conditions  # the instrument's names and roles

    names = {key: (name, role) for key, name, role in pulse_conditions()}
    result = pulse(ratings, keys, roles={k: names[k][1] for k in keys if k in names})
    conditions = []
    for c in result.profile.conditions:
        rwg = c.rwg_j
        conditions.append({
            "key": c.key, "name": names.get(c.key, (c.key, ""))[0],
            "role": names.get(c.key, ("", ""))[1], "n": c.n, "level": _number(c.mean),
            "rwg": _number(rwg), "sharedness": sharedness(rwg) if c.n >= 2 else "",
        })
    focus = None
    if result.focus is not None:
        focus = {"key": result.focus.condition,
                 "name": names.get(result.focus.condition, ("", ""))[0],
                 "role": result.focus.role or "",
                 "why": REASON_WORDS.get(result.focus.reason, "")}
    return {"people": len(people), "conditions": conditions, "focus": focus}


def live_payload(poll: Poll) -> dict[str, Any]:
    """What the presenter's screen shows now (fetched again when the ETag changes)."""
    question = poll.current
    participants = Participant.objects.filter(poll=poll).count()
    payload: dict[str, Any] = {"version": poll.version, "participants": participants,
                               "ended": poll.ended_at is not None, "question": None}
    if question is None:
        return payload
    ordered = list(poll.questions.values_list("pk", flat=True))
    index = ordered.index(question.pk) if question.pk in ordered else 0
    if poll.is_pulse:
        voters = (Vote.objects.filter(question__poll=poll).values("participant")
                  .distinct().count())
    elif question.kind == QuestionKind.IDEAS:
        voters = (Participant.objects.filter(poll=poll)
                  .filter(Q(ideas__question=question) | Q(idea_votes__idea__question=question))
                  .distinct().count())
    else:
        voters = Vote.objects.filter(question=question).count()
    payload["question"] = {
        "id": question.pk, "number": index + 1, "of": len(ordered), "kind": question.kind,
        "prompt": question.prompt, "status": question.status,
        "hidden": question.results_hidden, "low_label": question.low_label,
        "high_label": question.high_label, "votes": voters,
    }
    if not question.results_hidden:
        if poll.is_pulse:
            payload["pulse"] = pulse_results(poll)
        else:
            people = ({p.pk: p for p in Participant.objects.filter(poll=poll)}
                      if not poll.anonymous and question.kind == QuestionKind.TEXT else None)
            results = question_results(question, names=not poll.anonymous,
                                       participants=people)
            if "ideas" in results:  # an idea taken off the screen is not sent to it
                results["ideas"] = [i for i in results["ideas"] if not i["hidden"]]
            payload["results"] = results
    return payload


def by_sector(question: Question, threshold: int | None = None) -> dict[str, Any] | None:
    """A scale or choice question's results by the sector participants gave, with
    sectors under the threshold merged (never fewer than the threshold's number of people
    in a figure, and never one sector alone in the merged group). None when the poll did
    not ask for sectors or the question is of another kind.

    Withheld (``reason``) while the poll is running ("running": votes still move, and a
    breakdown before and after one more vote would tell how it went), when too few people
    are left for two groups ("few"), and when more people said they came from a sector
    than checked in from it ("unverified": a sector padded with extra phones could single
    out its one real member). The threshold is the one fixed when the poll ended.
    """
    poll = question.poll
    if not poll.ask_sector or question.kind not in {
            QuestionKind.SCALE, QuestionKind.SINGLE, QuestionKind.MULTIPLE}:
        return None
    if poll.ended_at is None or poll.sector_threshold is None:
        return {"withheld": True, "reason": "running", "threshold": poll_threshold(poll),
                "groups": []}
    threshold = poll.sector_threshold
    if _padded_sectors(poll):
        return {"withheld": True, "reason": "unverified", "threshold": threshold,
                "groups": []}
    rows = list(Vote.objects.filter(question=question)
                .values_list("participant__sector", "answer"))
    answered = [(s or "", a) for s, a in rows]
    counts: dict[str, int] = defaultdict(int)
    for sector, _ in answered:
        counts[sector or "not_given"] += 1
    merge = merge_small_categories(counts, threshold=threshold)
    if merge.withheld:
        return {"withheld": True, "reason": "few", "threshold": threshold, "groups": []}
    labels = dict(Sector.choices) | {"not_given": "Not given"}
    groups: list[tuple[str, set[str]]] = [(labels.get(s, s), {s}) for s in merge.shown]
    if merge.merged:
        groups.append(("Other sectors together", set(merge.merged)))
    out = []
    for label, members in groups:
        answers = [a for s, a in answered if (s or "not_given") in members]
        if question.kind == QuestionKind.SCALE:
            r = scale_result(answers, low=question.scale_min, high=question.scale_max)
            out.append({"label": label, "n": r.n, "counts": list(r.counts),
                        "mean": _number(r.mean)})
        else:
            counts_by = [0] * len(question.options)
            for a in answers:
                for i in ([a] if question.kind == QuestionKind.SINGLE else a):
                    counts_by[int(i)] += 1
            out.append({"label": label, "n": len(answers), "counts": counts_by})
    return {"withheld": False, "reason": "", "threshold": threshold, "groups": out}


def _padded_sectors(poll: Poll) -> list[str]:
    """Sectors that more participants claimed than members of the sector checked in at
    the event (sector is self-declared on a phone; check-ins are the record of who came)."""
    from tracelead.academy.models import CheckIn

    claimed = dict(Participant.objects.filter(poll=poll).exclude(sector="")
                   .values_list("sector").annotate(n=Count("pk")).order_by())
    came: dict[str, int] = dict(
        CheckIn.objects.filter(event=poll.event).values_list("member__sector")
        .annotate(n=Count("pk")).order_by())
    return sorted(s for s, n in claimed.items() if n > came.get(s, 0))


def poll_texts(poll: Poll) -> list[dict[str, Any]]:
    """Every open-text answer, word and idea of a poll, for the evaluation and the themes
    of the words (no names: the evaluation quotes words, not people)."""
    texts: list[dict[str, Any]] = []
    for question in poll.questions.all():
        if question.kind == QuestionKind.TEXT:
            texts += [{"question": question.prompt, "kind": "text", "text": a}
                      for a in question.votes.values_list("answer", flat=True)]
        elif question.kind == QuestionKind.WORDS:
            texts += [{"question": question.prompt, "kind": "words", "text": " ".join(a)}
                      for a in question.votes.values_list("answer", flat=True)]
        elif question.kind == QuestionKind.IDEAS:
            texts += [{"question": question.prompt, "kind": "idea", "text": t}
                      for t in question.ideas.values_list("text", flat=True)]
    return texts


def group_pulses(group: Any, *, threshold: int | None = None) -> list[dict[str, Any]]:
    """The TRACE pulses kept with a group, newest event first, for its report.

    A pulse's figures are shown only if at least as many people took it as the larger of
    the poll's threshold (:func:`poll_threshold`) and ``threshold`` (the report's cycle);
    otherwise neither its figures nor its count are given. A condition fewer people rated
    than that is hidden on its own.
    """
    from .models import PollKind  # appended function: the module's imports stay as they are

    polls = (Poll.objects.filter(kept_group=group, kind=PollKind.PULSE)
             .select_related("event", "academy").prefetch_related("questions"))
    out = []
    for poll in sorted(polls, key=lambda p: (p.event.starts_at if p.event else p.created_at,
                                             p.pk), reverse=True):
        limit = max(poll_threshold(poll), threshold or 0)
        entry: dict[str, Any] = {
            "id": poll.pk, "title": poll.event.title if poll.event else poll.title,
            "date": poll.event.starts_at if poll.event else poll.created_at,
            "threshold": limit, "shown": False,
        }
        result = pulse_results(poll)
        if result["people"] >= limit:
            entry.update(shown=True, people=result["people"], conditions=[
                {**c, "shown": True} if c["n"] >= limit else
                {"key": c["key"], "name": c["name"], "role": c["role"], "shown": False}
                for c in result["conditions"]])
        out.append(entry)
    return out
