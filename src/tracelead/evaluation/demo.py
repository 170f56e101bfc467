"""The demo's evaluation of "Leading for Whole-System Change".

Its story, on Kirkpatrick's four levels:

* **Reaction**: feedback after each of the five workshops held; usefulness starts lukewarm
  (about 3.2 out of 5, when the group was still arguing about its task) and rises to about
  4.3 once the work became joint.
* **Learning**: the same four self-ratings before the first workshop and after the fifth,
  paired per person: understanding of the TRACE conditions and knowing whom to contact
  rise most, clarity of the shared task barely moves (the words show the same). Late
  joiners answered the then-and-now form instead.
* **Behaviour**: the follow-up is scheduled six months after the last workshop.
* **Impact**: the number of people waiting over 18 weeks for community therapy falls
  month by month, and a joint discharge pathway was agreed after workshop 4.

Reflections with consent give the quotes; the lead's recommendations close it.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from tracelead.academy.models import Academy, CheckIn, Event, Programme

from . import services
from .models import (
    Answer,
    Form,
    FormKind,
    Item,
    ItemKind,
    Level,
    Measure,
    Quote,
    QuoteSource,
    Submission,
)

# Mean usefulness at each workshop held (out of 5): lukewarm, then rising.
USEFUL = (3.1, 3.3, 3.7, 4.0, 4.4)
# Mean change of each self-rating, before to after five workshops.
CHANGE = {"working-across": 0.8, "trace-conditions": 1.3, "shared-task": 0.2,
          "who-to-contact": 1.1}
START = {"working-across": 2.8, "trace-conditions": 2.1, "shared-task": 2.6,
         "who-to-contact": 2.4}
VALUABLE = (
    "Hearing how the council's hospital discharge team sees the same delays we do.",
    "Working on one real problem instead of case studies.",
    "Time with people from the voluntary sector I would never normally meet.",
    "The TRACE conversation about whether we agree on the task at all.",
    "Mapping the route home from hospital with people who run each step of it.",
    "Being asked what I would do on Monday, not just what I thought.",
)
CHANGES = (
    "Fewer slides and more time at the tables.",
    "Invite people from primary care: they are missing from the room.",
    "Send the pre-reading a week earlier.",
    "Shorter day, or a proper lunch break.",
    "Keep the same tables across workshops so the groups can build on their work.",
)
REFLECTIONS = (
    ("I had assumed everyone meant the same thing by 'flow'. We did not.",
     "I will ask my team to write down the task in one sentence before our next meeting.",
     "Time in the diary with the council team, not just email."),
    ("The charity runs a service I did not know existed and could take referrals tomorrow.",
     "Call them this week about the three people on our ward waiting for a package.",
     "A named contact and permission to try it."),
    ("We argue about routes because we have not agreed the destination.",
     "Bring the shared task to our divisional board.",
     "Someone senior to say it is alright to spend time on this."),
)


def _clip(value: float) -> int:
    return max(1, min(5, round(value)))


def _answer(form: Form, items: dict[str, Item], values: dict[str, Any], *, member: Any = None,
            device: str = "", consent: bool = False, at: dt.datetime) -> None:
    submission = Submission.objects.create(form=form, member=member, device_hash=device,
                                           quote_consent=consent, submitted_at=at)
    rows = []
    for key, value in values.items():
        item = items[key]
        if item.kind == ItemKind.RATING:
            rows.append(Answer(submission=submission, item=item, number=float(value)))
        elif item.kind in (ItemKind.CHOICE, ItemKind.CHOICES):
            rows.append(Answer(submission=submission, item=item, chosen=list(value)))
        else:
            rows.append(Answer(submission=submission, item=item, text=str(value)))
    Answer.objects.bulk_create(rows)


def _items(form: Form, moment: str | None = None) -> dict[str, Item]:
    rows = form.items.all()
    if moment is not None:
        rows = rows.filter(moment=moment)
    return {item.key: item for item in rows}


def evaluation_demo_load(*, academy: Academy, facilitator: Any, today: dt.date,
                         seed: int) -> Programme | None:
    """Forms, answers, measures, quotes and words for the demo programme."""
    rng = random.Random(seed + 41)  # noqa: S311 - demo data, not a secret
    programme = Programme.objects.filter(academy=academy, events__isnull=False).first()
    if programme is None:
        return None
    workshops = list(Event.objects.filter(programme=programme).order_by("starts_at"))
    held = [e for e in workshops if timezone.localdate(e.starts_at) < today]
    # Reaction: feedback after each workshop held (by QR code, no names).
    for n, event in enumerate(held):
        form = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=event,
                                    by=facilitator)
        items = _items(form)
        came = CheckIn.objects.filter(event=event).count()
        for k in range(int(came * 0.7)):
            useful = _clip(rng.gauss(USEFUL[n % len(USEFUL)], 0.55))
            values: dict[str, Any] = {"useful": useful,
                                      "use-it": _clip(rng.gauss(USEFUL[n % len(USEFUL)] - 0.2,
                                                                0.8))}
            if rng.random() < 0.4:
                values["valuable"] = rng.choice(VALUABLE)
            if rng.random() < 0.25:
                values["change"] = rng.choice(CHANGES)
            _answer(form, items, values, device=f"demo-{event.pk}-{k}",
                    consent=rng.random() < 0.6, at=event.ends_at + dt.timedelta(minutes=5))
    # Reflections after workshop 4, three prompts.
    if len(held) >= 4:
        form = services.form_create(programme=programme, kind=FormKind.REFLECTION,
                                    event=held[3], by=facilitator)
        items = _items(form)
        for k in range(18):
            noticed, differently, helps = REFLECTIONS[k % len(REFLECTIONS)]
            _answer(form, items, {"noticed": noticed, "differently": differently,
                                  "help": helps}, device=f"demo-reflection-{k}",
                    consent=k % 3 != 2, at=held[3].ends_at + dt.timedelta(minutes=10))
    # Learning: before the first workshop and after the fifth, paired per member.
    enrolled = list(programme.members.filter(left_at__isnull=True).order_by("pk"))
    if held and enrolled:
        first = timezone.localdate(held[0].starts_at)
        before = services.form_create(programme=programme, kind=FormKind.BEFORE,
                                      by=facilitator)
        after = services.form_create(programme=programme, kind=FormKind.AFTER, by=facilitator)
        after.title = f"After five of the six workshops: {programme.name}"
        after.save(update_fields=["title"])
        then_now = services.form_create(programme=programme, kind=FormKind.THEN_NOW,
                                        by=facilitator)
        b_items, a_items = _items(before), _items(after)
        t_then, t_now = _items(then_now, "then"), _items(then_now, "now")
        early = enrolled[: int(len(enrolled) * 0.55)]
        late = enrolled[int(len(enrolled) * 0.55): int(len(enrolled) * 0.7)]
        at_before = timezone.make_aware(dt.datetime.combine(first - dt.timedelta(days=7),
                                                            dt.time(10)))
        at_after = held[-1].ends_at + dt.timedelta(days=2)
        for member in early:
            start = {k: rng.gauss(v, 0.8) for k, v in START.items()}
            _answer(before, b_items, {k: _clip(v) for k, v in start.items()}, member=member,
                    at=at_before)
            if rng.random() < 0.75:
                _answer(after, a_items, {k: _clip(v + rng.gauss(CHANGE[k], 0.7))
                                         for k, v in start.items()}, member=member,
                        at=at_after)
        for member in late:
            start = {k: rng.gauss(v - 0.2, 0.8) for k, v in START.items()}
            submission = Submission.objects.create(form=then_now, member=member,
                                                   submitted_at=at_after)
            Answer.objects.bulk_create(
                [Answer(submission=submission, item=t_then[k], number=float(_clip(v)))
                 for k, v in start.items()]
                + [Answer(submission=submission, item=t_now[k],
                          number=float(_clip(v + rng.gauss(CHANGE[k] + 0.3, 0.7))))
                   for k, v in start.items()])
    # Behaviour: the follow-up, six months after the last workshop.
    if workshops:
        last = timezone.localdate(workshops[-1].starts_at)
        services.form_create(programme=programme, kind=FormKind.FOLLOW_UP,
                             send_on=last + dt.timedelta(days=182),
                             closes_on=last + dt.timedelta(days=182 + 28), by=facilitator)
    # Impact: a waiting list and a pathway.
    waits = services.measure_save(
        programme=programme, name="People waiting over 18 weeks for community therapy",
        unit="people", better=Measure.Better.LOWER,
        contribution="Workshop 3 put the community therapy leads, the discharge team and "
                     "the carers' charity at one table; the joint triage they started there "
                     "is one of several changes behind the fall, alongside extra funded "
                     "posts from the spring.")
    start_day = (held[0].starts_at.date() if held else today) - dt.timedelta(days=30)
    for n, value in enumerate((412, 405, 391, 366, 348, 327)):
        day = start_day + dt.timedelta(days=30 * n)
        if day <= today:
            services.measure_value_add(measure=waits, on=day, value=value)
    pathway = services.measure_save(
        programme=programme, name="Joint discharge pathway agreed by the trust, the council "
                                  "and the carers' charity",
        unit="", better=Measure.Better.DONE,
        contribution="Drafted by a group that first met at workshop 2; signed off by the "
                     "three boards after workshop 4.")
    services.measure_value_add(measure=pathway, on=start_day, value=0)
    if len(held) >= 4:
        services.measure_value_add(
            measure=pathway, on=timezone.localdate(held[3].starts_at) + dt.timedelta(days=20),
            value=1, note="Signed off by all three boards")
    # Quotes: reflections whose authors agreed, an interview note and a poll's words.
    consenting = list(Answer.objects.filter(submission__form__programme=programme,
                                            submission__quote_consent=True,
                                            submission__form__kind=FormKind.REFLECTION)
                      .exclude(text="").order_by("pk"))
    seen: set[str] = set()
    for answer in consenting:
        if answer.text in seen or len(seen) >= 3:
            continue
        seen.add(answer.text)
        services.quote_pin(programme=programme, level=Level.LEARNING if len(seen) == 1
                           else Level.BEHAVIOUR, text=answer.text,
                           source=QuoteSource.REFLECTION, consent=True, answer=answer,
                           by=facilitator)
    Quote.objects.create(
        programme=programme, level=Level.BEHAVIOUR, source=QuoteSource.INTERVIEW, consent=True,
        pinned_by=facilitator,
        text="Before the programme I would have sent an email and waited. Now I ring the "
             "person at the council I sat next to in workshop 2, and it is sorted that day.")
    Quote.objects.create(
        programme=programme, level=Level.IMPACT, source=QuoteSource.INTERVIEW, consent=False,
        pinned_by=facilitator,
        text="(Kept for the lead only: the ward manager did not agree to be quoted.)")
    services.evaluation_words_save(
        programme=programme,
        summary="Five of six workshops have run. People rate them more useful as the work "
                "became joint, and their self-ratings rose most for understanding the TRACE "
                "conditions and knowing whom to contact. Clarity of the shared task barely "
                "moved: the group still describes its task in several ways.",
        recommendations="Spend the first hour of workshop 6 agreeing the shared task in "
                        "one sentence.\nInvite primary care in person: nobody from it has "
                        "come.\nBudget coordination time honestly: about four hours of "
                        "effort for every hour in the room.\nSend the six-month follow-up "
                        "and report its answers to the partnership board.")
    return programme
