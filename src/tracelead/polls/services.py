"""Every change to polls: preparing questions, templates, the presenter's steps, joining,
voting and ideas. Keyword-only functions named ``<entity>_<action>``; each checks its
input and raises ``ValidationError`` (by field) without changing anything on bad input.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext

from tracelead.academy.models import Academy, Event, hash_token
from tracelead.academy.services import CODE_ALPHABET, CODE_LENGTH
from tracelead.analysis.polls import normalise_word
from tracelead.instruments.registry import get_instrument
from tracelead.organisations.models import Group, Sector

from .models import (
    Idea,
    IdeaVote,
    Participant,
    Poll,
    PollKind,
    Question,
    QuestionKind,
    QuestionStatus,
    Vote,
)

TOKEN_BYTES = 24
MAX_QUESTIONS = 50
MAX_OPTIONS = 12
MAX_TEXT = 280
MAX_WORD = 30
MAX_IDEA = 200
MAX_WORDS = 5
MAX_IDEAS_EACH = 5
# A room, not a stadium: a poll refuses devices past this (a runaway script, or a code
# posted publicly), so the presenter's figures stay those of the room.
MAX_PARTICIPANTS = 5000
SCALE_LIMITS = (0, 10)

OPEN, CLOSED, WAITING = QuestionStatus.OPEN, QuestionStatus.CLOSED, QuestionStatus.WAITING

# The pulse's statements, one per TRACE condition, in the product's own words. The
# condition's name and role come from the instrument file.
PULSE_STATEMENTS: dict[str, str] = {
    "task": "We agree on what we are here to achieve and what success would look like.",
    "route": "We have a credible plan for getting there, and we review it as we go.",
    "alignment": "Our roles, decisions and resources fit together across organisations.",
    "capability": "We have the skills, time and support to do what this work asks of us.",
    "energy": "Our commitment to this work is strong and we can keep it going.",
}
PULSE_LOW, PULSE_HIGH = "Strongly disagree", "Strongly agree"


def new_poll_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_poll_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())[:12]


def _unique_code() -> str:
    for _ in range(20):
        code = new_poll_code()
        if not Poll.objects.filter(code=code).exists():
            return code
    raise RuntimeError("could not find a free poll code")  # 31**6 codes: practically never


def _bump(poll: Poll) -> None:
    """Tell every phone and screen that the poll moved on (their next look fetches it)."""
    Poll.objects.filter(pk=poll.pk).update(version=F("version") + 1)
    poll.refresh_from_db(fields=["version"])


# --- Preparing --------------------------------------------------------------------------


def _check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": "Enter a title for the poll"})
    return title[:200]


@transaction.atomic
def poll_create(*, academy: Academy, event: Event | None, title: str, anonymous: bool = True,
                ask_sector: bool = False, created_by: Any = None) -> Poll:
    """A new poll for an event, or a template (``event=None``)."""
    if event is not None and event.academy_id != academy.pk:
        raise ValidationError({"event": "Choose an event of this academy"})
    return Poll.objects.create(
        academy=academy, event=event, title=_check_title(title), anonymous=anonymous,
        ask_sector=ask_sector, code=_unique_code() if event is not None else None,
        created_by=created_by,
    )


@transaction.atomic
def poll_update(*, poll: Poll, title: str, anonymous: bool, ask_sector: bool) -> Poll:
    """Change a poll's title and, until someone has joined, who is asked what."""
    poll.title = _check_title(title)
    joined = poll.participants.exists()
    if joined and (anonymous != poll.anonymous or ask_sector != poll.ask_sector):
        raise ValidationError({"anonymous": "People have already joined on the promise the "
                               "join page made, so whether the poll is anonymous and "
                               "whether it asks for a sector can no longer change"})
    poll.anonymous, poll.ask_sector = anonymous, ask_sector
    poll.save(update_fields=["title", "anonymous", "ask_sector"])
    _bump(poll)
    return poll


def pulse_conditions() -> list[tuple[str, str, str]]:
    """(key, name, role) of each TRACE condition, from the instrument file."""
    instrument = get_instrument("trace")
    return [(scale.key, scale.name, scale.role or "") for scale in instrument.scales]


@transaction.atomic
def pulse_create(*, academy: Academy, event: Event | None, created_by: Any = None) -> Poll:
    """The ready-made TRACE pulse: five statements, one per condition, rated 1 to 5."""
    poll = poll_create(academy=academy, event=event, title="TRACE pulse",
                       created_by=created_by)
    poll.kind = PollKind.PULSE
    poll.save(update_fields=["kind"])
    for position, (key, name, _role) in enumerate(pulse_conditions()):
        Question.objects.create(
            poll=poll, position=position, kind=QuestionKind.SCALE, condition=key,
            prompt=f"{name}: {PULSE_STATEMENTS.get(key, name)}", scale_min=1, scale_max=5,
            low_label=PULSE_LOW, high_label=PULSE_HIGH,
        )
    return poll


@transaction.atomic
def poll_copy(*, source: Poll, event: Event | None, title: str = "", created_by: Any = None
              ) -> Poll:
    """A copy of a poll's questions: an event's poll from a template, or a new template
    from a poll (``event=None``). Votes are never copied."""
    copy = poll_create(academy=source.academy, event=event, title=title or source.title,
                       anonymous=source.anonymous, ask_sector=source.ask_sector,
                       created_by=created_by)
    copy.kind = source.kind
    copy.save(update_fields=["kind"])
    Question.objects.bulk_create([
        Question(poll=copy, position=q.position, kind=q.kind, prompt=q.prompt,
                 options=list(q.options), scale_min=q.scale_min, scale_max=q.scale_max,
                 low_label=q.low_label, high_label=q.high_label, max_entries=q.max_entries,
                 condition=q.condition, results_hidden=q.results_hidden)
        for q in source.questions.all()
    ])
    return copy


@dataclass(frozen=True)
class QuestionDraft:
    kind: str
    prompt: str
    options: Sequence[str] = ()
    scale_min: int = 1
    scale_max: int = 5
    low_label: str = ""
    high_label: str = ""
    max_entries: int = 3
    results_hidden: bool = False


def _check_draft(draft: QuestionDraft) -> dict[str, Any]:
    problems: dict[str, str] = {}
    if draft.kind not in QuestionKind.values:
        problems["kind"] = "Choose a kind of question"
    prompt = " ".join(draft.prompt.split())
    if not prompt:
        problems["prompt"] = "Enter the question"
    options = [" ".join(o.split())[:120] for o in draft.options if o.strip()]
    if draft.kind in {QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING}:
        if len(options) < 2:
            problems["options"] = "Enter at least two options, one a line"
        elif len(options) > MAX_OPTIONS:
            problems["options"] = f"Enter at most {MAX_OPTIONS} options"
        elif len({o.casefold() for o in options}) != len(options):
            problems["options"] = "Each option must be different"
    else:
        options = []
    low, high = draft.scale_min, draft.scale_max
    if draft.kind == QuestionKind.SCALE and not (
            SCALE_LIMITS[0] <= low < high <= SCALE_LIMITS[1] and high - low <= 10):
        problems["scale_max"] = (f"The scale must run upwards between {SCALE_LIMITS[0]} and "
                                 f"{SCALE_LIMITS[1]}, for example 1 to 5 or 0 to 10")
    entries = draft.max_entries
    if draft.kind in {QuestionKind.WORDS, QuestionKind.IDEAS} and not 1 <= entries <= (
            MAX_WORDS if draft.kind == QuestionKind.WORDS else MAX_IDEAS_EACH):
        limit = MAX_WORDS if draft.kind == QuestionKind.WORDS else MAX_IDEAS_EACH
        problems["max_entries"] = f"Enter a number from 1 to {limit}"
    if problems:
        raise ValidationError(problems)
    return {"kind": draft.kind, "prompt": prompt[:300], "options": options,
            "scale_min": low if draft.kind == QuestionKind.SCALE else 1,
            "scale_max": high if draft.kind == QuestionKind.SCALE else 5,
            "low_label": draft.low_label.strip()[:60], "high_label": draft.high_label.strip()[:60],
            "max_entries": entries, "results_hidden": draft.results_hidden}


@transaction.atomic
def question_save(*, poll: Poll, question: Question | None, draft: QuestionDraft) -> Question:
    """Add a question at the end, or change one. A question that has answers keeps its
    kind, options and scale (the answers would no longer mean what they meant)."""
    values = _check_draft(draft)
    if question is None:
        if poll.is_pulse:
            raise ValidationError({"kind": "The pulse has its five statements; make a "
                                   "separate poll for other questions"})
        if poll.questions.count() >= MAX_QUESTIONS:
            raise ValidationError({"prompt": f"A poll holds at most {MAX_QUESTIONS} questions"})
        last = poll.questions.aggregate(m=Max("position"))["m"]
        question = Question(poll=poll, position=0 if last is None else last + 1)
    elif _answered(question):
        fixed = ("kind", "options", "scale_min", "scale_max", "max_entries")
        if any(values[f] != getattr(question, f) for f in fixed):
            raise ValidationError({"kind": "People have answered this question, so its kind, "
                                   "options and scale can no longer change"})
    elif poll.is_pulse and (values["kind"] != QuestionKind.SCALE
                            or (values["scale_min"], values["scale_max"]) != (1, 5)):
        # Level and sharedness are read on the five-point scale of the diagnostic.
        raise ValidationError({"kind": "The pulse's statements are rated from 1 to 5, as "
                               "the diagnostic's are"})
    for field, value in values.items():
        setattr(question, field, value)
    question.save()
    _bump(poll)
    return question


def _answered(question: Question) -> bool:
    return question.votes.exists() or question.ideas.exists()


@transaction.atomic
def question_remove(*, question: Question) -> None:
    if _answered(question):
        raise ValidationError({"question": "People have answered this question, so it stays "
                               "with the event's results"})
    if question.poll.is_pulse:
        raise ValidationError({"question": "The pulse keeps its five statements"})
    poll = question.poll
    question.delete()
    _bump(poll)


@transaction.atomic
def question_move(*, question: Question, up: bool) -> None:
    poll = question.poll
    ordered = list(poll.questions.select_for_update().order_by("position", "id"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, row in enumerate(ordered):
            if row.position != position:
                Question.objects.filter(pk=row.pk).update(position=position)
        _bump(poll)


# --- Presenting -------------------------------------------------------------------------


def _now_open(question: Question) -> None:
    if question.status != OPEN:
        question.status = OPEN
        question.opened_at = question.opened_at or timezone.now()
        question.closed_at = None
        question.save(update_fields=["status", "opened_at", "closed_at"])


@transaction.atomic
def poll_show(*, poll: Poll, question: Question) -> None:
    """Put a question on the screen and on the phones. A question never opened opens; a
    closed one is shown closed (reopen it to take more votes). In a pulse all five
    statements open together, so a room answers them in one go."""
    if question.poll_id != poll.pk:
        raise ValidationError({"question": "That question is not in this poll"})
    if poll.ended_at is not None:
        raise ValidationError({"question": "The poll has ended"})
    targets = list(poll.questions.all()) if poll.is_pulse else [question]
    for row in targets:
        if row.status == WAITING:
            _now_open(row)
    poll.current = question
    poll.save(update_fields=["current"])
    _bump(poll)


@transaction.atomic
def poll_step(*, poll: Poll, forward: bool) -> Question | None:
    """Show the next (or previous) question; None at either end. The poll's row is
    locked and read again, so two quick presses step twice, never skip."""
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    ordered = list(poll.questions.order_by("position", "id"))
    if not ordered:
        return None
    if poll.current_id is None:
        target = ordered[0] if forward else None
    else:
        index = next((i for i, q in enumerate(ordered) if q.pk == poll.current_id), -1)
        step = index + (1 if forward else -1)
        target = ordered[step] if 0 <= step < len(ordered) else None
    if target is not None:
        poll_show(poll=poll, question=target)
    return target


def _questions_of(poll: Poll, question: Question) -> list[Question]:
    return list(poll.questions.all()) if poll.is_pulse else [question]


def votes_final(poll: Poll) -> str:
    """Why no vote of this poll may change any more ("" while they still may).

    Results that break votes down (a kept pulse on a group's page; results by sector,
    which exist only once a poll that asked for sectors has ended) must never move: one
    more vote, compared before and after, would tell how its voter answered."""
    if poll.is_pulse and poll.kept_at is not None:
        return gettext("This pulse has been kept with a group's history, so its votes are "
                       "final. Run a new pulse instead")
    if poll.ask_sector and poll.ended_at is not None:
        return gettext("This poll has ended and its results by sector are out, so its votes "
                       "are final. Run a new poll instead")
    return ""


@transaction.atomic
def question_open(*, poll: Poll, question: Question) -> None:
    if votes_final(poll):
        raise ValidationError({"question": votes_final(poll)})
    if poll.ended_at is not None:
        raise ValidationError({"question": "The poll has ended"})
    for row in _questions_of(poll, question):
        _now_open(row)
    _bump(poll)


@transaction.atomic
def question_close(*, poll: Poll, question: Question) -> None:
    now = timezone.now()
    ids = [q.pk for q in _questions_of(poll, question)]
    for row in Question.objects.select_for_update(no_key=True).filter(pk__in=ids):
        if row.status == OPEN:
            row.status, row.closed_at = CLOSED, now
            row.save(update_fields=["status", "closed_at"])
    _bump(poll)


@transaction.atomic
def question_reveal(*, poll: Poll, question: Question, shown: bool) -> None:
    """Show the results to the room, or hide them again."""
    ids = [q.pk for q in _questions_of(poll, question)]
    Question.objects.filter(pk__in=ids).update(results_hidden=not shown)
    _bump(poll)


@transaction.atomic
def poll_end(*, poll: Poll) -> None:
    """Close every open question; the join code stops taking people. A poll that asked
    for sectors ends for good: its results by sector appear, at the threshold of now."""
    from .selectors import poll_threshold

    now = timezone.now()
    poll.questions.filter(status=OPEN).update(status=CLOSED, closed_at=now)
    poll.ended_at = now
    fields = ["ended_at"]
    if poll.ask_sector and poll.sector_threshold is None:
        poll.sector_threshold = poll_threshold(poll)
        fields.append("sector_threshold")
    poll.save(update_fields=fields)
    _bump(poll)


@transaction.atomic
def poll_reopen(*, poll: Poll) -> None:
    """Undo "end" (a facilitator who ended too early); questions stay closed until opened.
    Not once the votes are final (:func:`votes_final`)."""
    if votes_final(poll):
        raise ValidationError({"question": votes_final(poll)})
    poll.ended_at = None
    poll.save(update_fields=["ended_at"])
    _bump(poll)


@transaction.atomic
def idea_hide(*, idea: Idea, hidden: bool) -> None:
    Idea.objects.filter(pk=idea.pk).update(hidden=hidden)
    _bump(idea.question.poll)


@transaction.atomic
def pulse_keep(*, poll: Poll, group: Group | None) -> None:
    """Keep a pulse with a group's history (``None`` takes it off again). Only once every
    statement has closed; from then on its votes are final (:func:`question_open`
    refuses), even if it is taken off, so that what a group's page showed never moves."""
    if not poll.is_pulse:
        raise ValidationError({"group": "Only a TRACE pulse can be kept with a group"})
    if group is not None:
        if group.system_id != poll.academy.system_id:
            raise ValidationError({"group": "Choose a group of this system"})
        if poll.questions.exclude(status=CLOSED).exists():
            raise ValidationError({"group": "Close the pulse's statements first, so that the "
                                   "result kept no longer changes"})
    poll.kept_group = group
    if group is not None and poll.kept_at is None:
        poll.kept_at = timezone.now()  # when first kept; it also marks the votes final
    poll.save(update_fields=["kept_group", "kept_at"])


# --- Joining and voting ----------------------------------------------------------------


def participant_for(poll: Poll, token: str | None) -> Participant | None:
    if not token or len(token) > 64:
        return None
    return Participant.objects.filter(poll=poll, token_hash=hash_token(token)).first()


def participant_join(*, poll: Poll, name: str = "", sector: str = "") -> tuple[Participant, str]:
    """A device joins; returns the participant and the token for its cookie."""
    problems: dict[str, str] = {}
    if poll.ended_at is not None or poll.is_template:
        raise ValidationError({"name": gettext("This poll has ended")})
    name = " ".join(name.split())[:100]
    if not poll.anonymous and not name:
        problems["name"] = gettext("Enter your name (it is shown with your answers in this poll)")
    if poll.anonymous:
        name = ""
    if sector and (not poll.ask_sector or sector not in Sector.values):
        problems["sector"] = gettext("Choose a sector from the list")
    if problems:
        raise ValidationError(problems)
    if Participant.objects.filter(poll=poll).count() >= MAX_PARTICIPANTS:
        raise ValidationError({"name": gettext("This poll is full")})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    participant = Participant.objects.create(poll=poll, token_hash=hash_token(token),
                                             name=name, sector=sector)
    return participant, token


def _one(values: Sequence[str]) -> str:
    return values[0].strip() if values else ""


def clean_answer(question: Question, data: Mapping[str, Sequence[str]]) -> Any:
    """The answer as stored, from a form's fields (``answer``, ``word``, ``text``,
    ``rank-<i>``); ValidationError naming the field when it does not fit the question."""
    kind = question.kind
    key = f"q{question.pk}"
    if kind == QuestionKind.SCALE:
        try:
            value = int(_one(data.get(key, [])))
        except ValueError:
            raise ValidationError({key: gettext("Choose a number on the scale")}) from None
        if not question.scale_min <= value <= question.scale_max:
            raise ValidationError({key: gettext("Choose a number on the scale")})
        return value
    if kind in {QuestionKind.SINGLE, QuestionKind.MULTIPLE}:
        try:
            picked = sorted({int(v) for v in data.get(key, [])})
        except ValueError:
            raise ValidationError({key: gettext("Choose from the options")}) from None
        if not picked or any(not 0 <= i < len(question.options) for i in picked):
            raise ValidationError({key: gettext("Choose an option") if kind == QuestionKind.SINGLE
                                   else gettext("Choose at least one option")})
        if kind == QuestionKind.SINGLE:
            if len(picked) != 1:
                raise ValidationError({key: gettext("Choose one option")})
            return picked[0]
        return picked
    if kind == QuestionKind.WORDS:
        words = [" ".join(w.split())[:MAX_WORD] for w in data.get(key, [])]
        words = [w for w in words if normalise_word(w)]
        if not words:
            raise ValidationError({key: gettext("Enter at least one word")})
        if len(words) > question.max_entries:
            raise ValidationError(
                {key: gettext("Enter at most %(n)s words") % {"n": question.max_entries}})
        return words
    if kind == QuestionKind.TEXT:
        text = _one(data.get(key, []))
        if not text:
            raise ValidationError({key: gettext("Enter your answer")})
        if len(text) > MAX_TEXT:
            raise ValidationError(
                {key: gettext("Keep your answer to %(n)s characters") % {"n": MAX_TEXT}})
        return text
    if kind == QuestionKind.RANKING:
        m = len(question.options)
        try:
            places = [int(_one(data.get(f"{key}-{i}", []))) for i in range(m)]
        except ValueError:
            raise ValidationError({key: gettext("Give every option a place")}) from None
        if sorted(places) != list(range(1, m + 1)):
            raise ValidationError({key: gettext("Give every option a different place, from 1 "
                                               "to %(n)s") % {"n": m}})
        return [i for _, i in sorted(zip(places, range(m), strict=True))]
    raise ValidationError({key: gettext("Add ideas and vote for them with the buttons")})


def _lock_open(question: Question, closed: str) -> None:
    """Inside a transaction: lock the question's row (closing takes the same lock) and
    refuse, with ``closed``, unless it is open now."""
    status = (Question.objects.select_for_update(no_key=True).filter(pk=question.pk)
              .values_list("status", flat=True).first())
    if status != OPEN:
        raise ValidationError({f"q{question.pk}": closed})


def vote_cast(*, question: Question, participant: Participant, answer: Any) -> bool:
    """Record a device's answer, or change it; True if it was new. Open questions only.

    The question's row is locked and its state read again inside the transaction, so no
    vote lands after the question closed (closing takes the same lock). An update first,
    an insert if there was nothing to update; the unique constraint turns a concurrent
    second insert into an update.
    """
    key = f"q{question.pk}"
    if question.poll_id != participant.poll_id:
        raise ValidationError({key: gettext("That question is not in this poll")})
    with transaction.atomic():
        _lock_open(question, gettext("Voting on this question has closed"))
        rows = Vote.objects.filter(question=question, participant=participant)
        changed = {"answer": answer, "updated_at": timezone.now(),
                   "revision": F("revision") + 1}
        if rows.update(**changed):
            return False
        try:
            with transaction.atomic():
                Vote.objects.create(question=question, participant=participant,
                                    answer=answer)
        except IntegrityError:
            rows.update(**changed)
            return False
    return True


def idea_add(*, question: Question, participant: Participant, text: str) -> Idea:
    key = f"q{question.pk}"
    if question.kind != QuestionKind.IDEAS or question.poll_id != participant.poll_id:
        raise ValidationError({key: gettext("This question does not take ideas")})
    text = " ".join(text.split())
    if not text:
        raise ValidationError({key: gettext("Enter your idea")})
    if len(text) > MAX_IDEA:
        raise ValidationError(
            {key: gettext("Keep your idea to %(n)s characters") % {"n": MAX_IDEA}})
    with transaction.atomic():
        _lock_open(question, gettext("This question has closed"))
        # Lock the participant row: two quick taps must not pass the limit together.
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        if Idea.objects.filter(question=question, participant=participant).count() >= (
                question.max_entries):
            raise ValidationError(
                {key: gettext("You can add up to %(n)s ideas") % {"n": question.max_entries}})
        return Idea.objects.create(question=question, participant=participant, text=text)


def idea_vote(*, idea: Idea, participant: Participant, on: bool) -> None:
    """Vote for an idea, or take the vote back (one vote per device per idea)."""
    question = idea.question
    if question.poll_id != participant.poll_id:
        raise ValidationError({f"q{question.pk}": gettext("That idea is not in this poll")})
    with transaction.atomic():
        _lock_open(question, gettext("This question has closed"))
        _idea_vote_write(idea=idea, participant=participant, on=on)


def _idea_vote_write(*, idea: Idea, participant: Participant, on: bool) -> None:
    if on:
        try:
            with transaction.atomic():
                IdeaVote.objects.create(idea=idea, participant=participant)
        except IntegrityError:
            pass
    else:
        IdeaVote.objects.filter(idea=idea, participant=participant).delete()
