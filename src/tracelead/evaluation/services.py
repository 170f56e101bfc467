"""Changes to a programme's evaluation: forms from the ready-made sets, answers, personal
links sent and reminded by the scheduler, measures, evidence, quotes and the lead's words."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from tracelead.academy.models import Event, Member, Programme, hash_token

from .models import (
    KIND_LEVEL,
    Answer,
    Evaluation,
    Evidence,
    Form,
    FormKind,
    Invite,
    Item,
    ItemKind,
    Measure,
    MeasureValue,
    Moment,
    Quote,
    QuoteSource,
    Submission,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEXT_LIMIT = 2000
EVIDENCE_LIMIT = 10 * 1024 * 1024
EVIDENCE_TYPES = {
    "application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt", "text/csv": ".csv",
}


# --- The ready-made forms, in our own words ---------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    kind: str
    text: str
    key: str = ""
    low: str = ""
    high: str = ""
    scale: tuple[int, int] = (1, 5)
    choices: tuple[str, ...] = ()
    hint: str = ""


SELF_RATINGS = (
    ItemSpec(ItemKind.RATING, "How confident are you working with people from other "
             "organisations and sectors?", "working-across", "Not at all confident",
             "Very confident"),
    ItemSpec(ItemKind.RATING, "How well do you understand the five TRACE conditions: task, "
             "route, alignment, capability and energy?", "trace-conditions", "Not at all",
             "Very well"),
    ItemSpec(ItemKind.RATING, "How clear to you is what the partners in your system are "
             "trying to achieve together?", "shared-task", "Not at all clear", "Very clear"),
    ItemSpec(ItemKind.RATING, "How well do you know whom to contact in other parts of the "
             "system when you need to?", "who-to-contact", "Not at all", "Very well"),
)

PRACTICES = (
    "Contacted someone I met on the programme about work",
    "Started joint work with another organisation",
    "Used the TRACE conditions in a conversation with my team",
    "Changed how I run meetings with other organisations",
    "Brought someone from another sector into a decision",
    "None of these yet",
)

SETS: dict[str, tuple[str, str, tuple[ItemSpec, ...]]] = {
    FormKind.FEEDBACK: (
        "Feedback: {event}",
        "Two minutes on today's session. Your answers are counted with everyone else's.",
        (ItemSpec(ItemKind.RATING, "How useful was today's session to you?", "useful",
                  "Not useful", "Very useful"),
         ItemSpec(ItemKind.RATING, "How likely are you to use something from today in your "
                  "work?", "use-it", "Not likely", "Very likely"),
         ItemSpec(ItemKind.TEXT, "What was most valuable today?", "valuable"),
         ItemSpec(ItemKind.TEXT, "What should we change for next time?", "change"))),
    FormKind.REFLECTION: (
        "Reflections: {event}",
        "Three questions to think about the session while it is fresh.",
        (ItemSpec(ItemKind.TEXT, "What did you notice or learn in this session?", "noticed"),
         ItemSpec(ItemKind.TEXT, "What will you do differently because of it?", "differently"),
         ItemSpec(ItemKind.TEXT, "What would help you to do that?", "help"))),
    FormKind.BEFORE: (
        "Before the programme: {programme}",
        "Rate yourself as you are now. We ask the same at the end, to see what changed.",
        SELF_RATINGS),
    FormKind.AFTER: (
        "After the programme: {programme}",
        "Rate yourself as you are now, as you did at the start.",
        SELF_RATINGS),
    FormKind.FOLLOW_UP: (
        "Six months on: {programme}",
        "What has the programme led to since it ended?",
        (ItemSpec(ItemKind.CHOICES, "Which of these have you done since the programme?",
                  "practices", choices=PRACTICES),
         ItemSpec(ItemKind.RATING, "Compared with before the programme, how much do you "
                  "work across organisational boundaries now?", "across-now", "Much less",
                  "Much more"),
         ItemSpec(ItemKind.TEXT, "What has changed in how you work with other "
                  "organisations?", "changed"),
         ItemSpec(ItemKind.TEXT, "Tell us about any joint work that came out of the "
                  "programme.", "joint-work"))),
}


def _then_now() -> tuple[ItemSpec, ...]:
    items: list[ItemSpec] = []
    for spec in SELF_RATINGS:
        items.append(ItemSpec(spec.kind, f"Looking back to before the programme: "
                              f"{spec.text[0].lower()}{spec.text[1:]}", spec.key, spec.low,
                              spec.high, hint="then"))
        items.append(ItemSpec(spec.kind, f"Now: {spec.text[0].lower()}{spec.text[1:]}",
                              spec.key, spec.low, spec.high, hint="now"))
    return tuple(items)


SETS[FormKind.THEN_NOW] = (
    "Then and now: {programme}",
    "For those who missed the first questionnaire: rate yourself as you were before the "
    "programme, looking back, and as you are now.",
    _then_now())


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not Form.objects.filter(code=code).exists():
            return code


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())[:12]


def form_create(*, programme: Programme, kind: str, event: Event | None = None,
                send_on: dt.date | None = None, closes_on: dt.date | None = None,
                by: Any = None) -> Form:
    """A form from the ready-made set of its kind."""
    if kind not in SETS:
        raise ValidationError({"kind": "Choose a kind of form"})
    needs_event = kind in (FormKind.FEEDBACK, FormKind.REFLECTION)
    if needs_event and event is None:
        raise ValidationError({"event": "Choose the event the form is about"})
    if event is not None and event.programme_id != programme.pk:
        raise ValidationError({"event": "Choose one of the programme's events"})
    if send_on and closes_on and closes_on < send_on:
        raise ValidationError({"closes_on": "The closing date must be on or after the "
                                            "sending date"})
    title, intro, specs = SETS[kind]
    with transaction.atomic():
        form = Form.objects.create(
            programme=programme, event=event if needs_event else None, kind=kind,
            level=KIND_LEVEL[FormKind(kind)],
            title=title.format(event=event.title if event else "",
                               programme=programme.name)[:200],
            intro=intro, code=new_code(), open_to_code=needs_event, send_on=send_on,
            closes_on=closes_on, created_by=by)
        Item.objects.bulk_create(
            Item(form=form, position=n, kind=s.kind, text=s.text, key=s.key,
                 moment=s.hint if s.hint in (Moment.THEN, Moment.NOW) else "",
                 hint="" if s.hint in (Moment.THEN, Moment.NOW) else s.hint,
                 scale_min=s.scale[0], scale_max=s.scale[1], low_label=s.low,
                 high_label=s.high, choices=list(s.choices))
            for n, s in enumerate(specs, start=1))
    return form


def is_open(form: Form, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return form.closes_on is None or today <= form.closes_on


# --- Answers ------------------------------------------------------------------------------------


@dataclass
class Answers:
    """Cleaned answers by item id, and the errors by item id."""

    values: dict[int, dict[str, Any]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)


def clean_answers(items: Sequence[Item], data: Mapping[str, Any]) -> Answers:
    """Answers from a posted form (``item-<id>``; several values for several choices)."""
    out = Answers()
    for item in items:
        name = f"item-{item.pk}"
        if item.kind == ItemKind.CHOICES:
            getlist = getattr(data, "getlist", None)
            raw = getlist(name) if getlist else list(data.get(name) or [])
            chosen = [c for c in raw if c in item.choices]
            if len(chosen) != len(raw):
                out.errors[item.pk] = "Choose from the options shown"
            elif chosen:
                out.values[item.pk] = {"chosen": chosen}
            elif item.required:
                out.errors[item.pk] = "Choose at least one"
            continue
        value = str(data.get(name) or "").strip()
        if not value:
            if item.required:
                out.errors[item.pk] = "Answer this question"
            continue
        if item.kind == ItemKind.RATING:
            try:
                number = int(value)
            except ValueError:
                number = None
            if number is None or not item.scale_min <= number <= item.scale_max:
                out.errors[item.pk] = (f"Choose a rating from {item.scale_min} to "
                                       f"{item.scale_max}")
            else:
                out.values[item.pk] = {"number": float(number)}
        elif item.kind == ItemKind.CHOICE:
            if value not in item.choices:
                out.errors[item.pk] = "Choose one of the options shown"
            else:
                out.values[item.pk] = {"chosen": [value]}
        else:
            if len(value) > TEXT_LIMIT:
                out.errors[item.pk] = f"Write {TEXT_LIMIT:,} characters or fewer"
            else:
                out.values[item.pk] = {"text": value}
    return out


class AlreadyAnswered(Exception):
    """This person or device has answered the form already."""


def submission_save(*, form: Form, answers: Answers, member: Member | None = None,
                    device_hash: str = "", quote_consent: bool = False,
                    source_key: str = "", at: dt.datetime | None = None) -> Submission:
    """Keep one person's answers (nothing if there are errors)."""
    if answers.errors:
        raise ValidationError({str(k): v for k, v in answers.errors.items()})
    if not answers.values:
        raise ValidationError({"": "Answer at least one question"})
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                form=form, member=member, device_hash=device_hash, source_key=source_key,
                quote_consent=quote_consent, submitted_at=at or timezone.now())
            Answer.objects.bulk_create(
                Answer(submission=submission, item_id=pk, number=v.get("number"),
                       text=v.get("text", ""), chosen=v.get("chosen", []))
                for pk, v in answers.values.items())
    except IntegrityError as error:
        raise AlreadyAnswered from error
    return submission


def device_digest(form: Form, token: str) -> str:
    return hashlib.sha256(f"evaluation:{form.pk}:{token}".encode()).hexdigest()


# --- Personal links, sent and reminded by the scheduler -----------------------------------------


def invite_by_token(token: str) -> Invite | None:
    if not token or len(token) > 100:
        return None
    return (Invite.objects.select_related("form", "form__programme", "member")
            .filter(token_hash=hash_token(token), member__left_at__isnull=True).first())


def offered_to(form: Form) -> QuerySet[Member]:
    """The members a form is offered to, by email and on their own page: those of its
    programme who have not left and, for an event's form, who checked in to the event.

    None for a form open to its code (the QR code in the room): it is answered only by
    its code, one answer a device, since a member answering it by a personal link as well
    would be counted twice. None for an imported form either (answered in another tool).
    """
    if form.open_to_code or form.kind == FormKind.IMPORTED:
        return Member.objects.none()
    members = Member.objects.filter(enrolments__programme_id=form.programme_id,
                                    left_at__isnull=True)
    if form.event_id is not None:
        members = members.filter(check_ins__event_id=form.event_id)
    return members.distinct()


def is_offered(form: Form, member: Member) -> bool:
    return offered_to(form).filter(pk=member.pk).exists()


def _recipients(form: Form) -> list[Member]:
    return list(offered_to(form).exclude(email__isnull=True).exclude(email="").order_by("pk"))


def _body(form: Form, link: str, *, reminder: bool) -> tuple[str, str]:
    programme = form.programme
    subject = (f"Reminder: {form.title}" if reminder else form.title)
    first = ("A reminder, in case it slipped by: we would still like your answers."
             if reminder else f"We would like your view for the evaluation of "
                              f"{programme.name}.")
    body = (f"Hello,\n\n{first}\n\n{form.intro}\n\nYour own link (please do not forward "
            f"it; it lets you answer once):\n{link}\n\n"
            + (f"It closes on {form.closes_on:%-d %B %Y}.\n\n" if form.closes_on else "")
            + "Your answers are counted with everyone else's, and your words are quoted "
              "only if you say so on the form.\n")
    return subject, body


def sends_due(*, now: dt.datetime | None = None, base_url: str = "") -> tuple[int, int]:
    """Queue the personal links of every form whose sending day has come, and one reminder
    to those who have not answered ``remind_after_days`` later. Idempotent: an invite is
    made once per member and form, and a reminder once. Returns (sent, reminded)."""
    from tracelead.messaging import outbox
    from tracelead.messaging.models import OutboxMessage

    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = reminded = 0
    # A form open to its code is answered only by its code (see ``offered_to``).
    forms = Form.objects.filter(send_on__isnull=False, send_on__lte=today,
                                open_to_code=False).select_related(
        "programme").exclude(closes_on__lt=today)
    for form in forms:
        have = set(Invite.objects.filter(form=form).values_list("member_id", flat=True))
        for member in _recipients(form):
            if member.pk in have or not member.email:
                continue
            token = secrets.token_urlsafe(24)
            try:
                with transaction.atomic():
                    Invite.objects.create(form=form, member=member, token_hash=hash_token(token),
                                          sent_at=now)
                    subject, body = _body(form, base_url + reverse(
                        "evaluation_invite", args=[token]), reminder=False)
                    outbox.queue(kind=OutboxMessage.Kind.INVITATION, to=member.email,
                                 subject=subject, body=body)
            except IntegrityError:  # another tick made it
                continue
            sent += 1
        due = now - dt.timedelta(days=form.remind_after_days)
        answered = Submission.objects.filter(form=form, member__isnull=False).values("member_id")
        for invite in (Invite.objects.filter(form=form, reminded_at__isnull=True,
                                             sent_at__lte=due)
                       .exclude(member_id__in=answered).select_related("member")):
            with transaction.atomic():
                claimed = Invite.objects.filter(pk=invite.pk, reminded_at__isnull=True).update(
                    reminded_at=now)
                if not claimed or not invite.member.email:
                    continue
                # The original token is not kept: a new one replaces it, so the reminder
                # carries a working link and the old one stops.
                token = secrets.token_urlsafe(24)
                Invite.objects.filter(pk=invite.pk).update(token_hash=hash_token(token))
                subject, body = _body(form, base_url + reverse("evaluation_invite",
                                                               args=[token]), reminder=True)
                outbox.queue(kind=OutboxMessage.Kind.REMINDER, to=invite.member.email,
                             subject=subject, body=body)
            reminded += 1
    return sent, reminded


# --- Impact, evidence, quotes, the lead's words -------------------------------------------------


def measure_save(*, programme: Programme, name: str, unit: str, better: str,
                 contribution: str = "", measure: Measure | None = None) -> Measure:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter the measure's name"})
    if better not in Measure.Better.values:
        raise ValidationError({"better": "Choose which way is better"})
    clash = Measure.objects.filter(programme=programme, name__iexact=name)
    if measure is not None:
        clash = clash.exclude(pk=measure.pk)
    if clash.exists():
        raise ValidationError({"name": "The programme already has a measure with this name"})
    measure = measure or Measure(programme=programme)
    measure.name, measure.unit, measure.better = name, unit.strip(), better
    measure.contribution = contribution.strip()
    measure.save()
    return measure


def measure_value_add(*, measure: Measure, on: dt.date, value: float, note: str = ""
                      ) -> MeasureValue:
    if measure.better == Measure.Better.DONE and value not in (0, 1):
        raise ValidationError({"value": "Enter 1 if it was achieved by then, or 0 if not"})
    if on > timezone.localdate():
        raise ValidationError({"on": "The date must be today or in the past"})
    row, _ = MeasureValue.objects.update_or_create(measure=measure, on=on, defaults={
        "value": value, "note": note.strip()[:300]})
    return row


def evidence_add(*, measure: Measure, title: str, upload: UploadedFile) -> Evidence:
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Say what the file shows"})
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": "The file is empty"})
    if size > EVIDENCE_LIMIT:
        raise ValidationError({"file": "The file must be smaller than 10 MB"})
    content_type = (upload.content_type or "").split(";")[0].strip()
    if content_type not in EVIDENCE_TYPES:
        raise ValidationError({"file": "Attach a PDF, Word, Excel, CSV, text, PNG or JPEG "
                                       "file"})
    head = upload.read(8)
    upload.seek(0)
    if content_type == "application/pdf" and not head.startswith(b"%PDF"):
        raise ValidationError({"file": "The file is not a real PDF"})
    upload.name = f"evidence{EVIDENCE_TYPES[content_type]}"
    return Evidence.objects.create(measure=measure, title=title[:200], file=upload,
                                   content_type=content_type, size=size)


class AlreadyPinned(Exception):
    """The answer is pinned to the programme already (a double click, or a second tab)."""

    def __init__(self, quote: Quote) -> None:
        super().__init__("That answer is already pinned.")
        self.quote = quote


def quote_pin(*, programme: Programme, level: int, text: str, source: str,
              consent: bool, answer: Answer | None = None, by: Any = None) -> Quote:
    """Pin words to a level. An answer's quote carries the person's own choice; the lead's
    ``consent`` counts only for words they typed in (interview notes) or a poll's.

    An answer is pinned once per programme: pinning it again changes nothing and raises
    :class:`AlreadyPinned` (there is no unique constraint, so the check is made here,
    with the answer's row locked where the database can lock rows; SQLite's IMMEDIATE
    transactions serialise the check and the insert)."""
    text = (answer.text if answer is not None else text).strip()
    if not text and answer is not None:
        raise ValidationError({"answer": "That answer has no words to quote (a rating or a "
                                         "choice): pin an answer in words"})
    if not text:
        raise ValidationError({"text": "Enter the words to quote"})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({"text": f"Keep a quote to {TEXT_LIMIT:,} characters or fewer"})
    if level not in (1, 2, 3, 4):
        raise ValidationError({"level": "Choose a level"})
    if source not in QuoteSource.values:
        raise ValidationError({"source": "Choose where the words come from"})
    if answer is not None:
        if answer.submission.form.programme_id != programme.pk:
            raise ValidationError({"answer": "That answer is not from this programme"})
        consent = answer.submission.quote_consent
    with transaction.atomic():
        if answer is not None:
            list(Answer.objects.select_for_update().filter(pk=answer.pk))
            pinned = Quote.objects.filter(programme=programme, answer=answer).first()
            if pinned is not None:
                raise AlreadyPinned(pinned)
        return Quote.objects.create(programme=programme, level=level, text=text,
                                    source=source, answer=answer, consent=consent,
                                    pinned_by=by)


def evaluation_words_save(*, programme: Programme, summary: str, recommendations: str
                          ) -> Evaluation:
    row, _ = Evaluation.objects.get_or_create(programme=programme)
    row.summary, row.recommendations = summary.strip(), recommendations.strip()
    row.save()
    return row
