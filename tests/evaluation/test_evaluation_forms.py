"""Answering the evaluation's forms: by a code at the end of a session (one answer a
phone), by a member's own emailed link (sent and reminded by the scheduler), and from the
member's page; bad answers re-render with an error summary and save nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tracelead.evaluation import services
from tracelead.evaluation.models import Answer, FormKind, Invite, Submission
from tracelead.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop(programme: Any, make_event: Any) -> Any:
    return make_event("Leading Together: workshop 1", days=-1, programme=programme)


def _item(form: Any, key: str) -> Any:
    return form.items.get(key=key)


def test_feedback_by_code_takes_one_answer_a_phone(programme: Any, workshop: Any) -> None:
    form = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=workshop)
    assert form.open_to_code and form.items.count() == 4
    phone = Client()
    page = phone.get(f"/f/{form.code.lower()}/")
    assert page.status_code == 200 and "How useful was today" in page.content.decode()
    useful, valuable = _item(form, "useful"), _item(form, "valuable")
    done = phone.post(f"/f/{form.code}/", {f"item-{useful.pk}": "4",
                                          f"item-{valuable.pk}": "Meeting the council team",
                                          "quote_consent": "yes"})
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    submission = Submission.objects.get(form=form)
    assert submission.member is None and submission.quote_consent
    assert len(submission.device_hash) == 64
    assert sorted(Answer.objects.filter(submission=submission).values_list(
        "item__key", "number", "text")) == [("useful", 4.0, ""),
                                            ("valuable", None, "Meeting the council team")]
    # The same phone again: already answered, nothing added.
    again = phone.post(f"/f/{form.code}/", {f"item-{useful.pk}": "1"})
    assert "already answered" in again.content.decode()
    assert Submission.objects.filter(form=form).count() == 1
    # Another phone answers too.
    Client().post(f"/f/{form.code}/", {f"item-{useful.pk}": "5"})
    assert Submission.objects.filter(form=form).count() == 2


def test_a_bad_answer_re_renders_with_an_error_summary_and_saves_nothing(
        programme: Any, workshop: Any) -> None:
    form = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=workshop)
    useful, change = _item(form, "useful"), _item(form, "change")
    phone = Client()
    page = phone.post(f"/f/{form.code}/", {f"item-{useful.pk}": "9",
                                           f"item-{change.pk}": "x" * 2001})
    body = page.content.decode()
    assert page.status_code == 400
    assert "There is a problem" in body and "Choose a rating from 1 to 5" in body
    assert "Write 2,000 characters or fewer" in body
    assert f'href="#item-{useful.pk}"' in body
    empty = phone.post(f"/f/{form.code}/", {})
    assert empty.status_code == 400 and "Answer at least one question" in empty.content.decode()
    assert not Submission.objects.exists()


def test_an_unknown_code_or_a_form_for_members_only_is_not_found(programme: Any) -> None:
    before = services.form_create(programme=programme, kind=FormKind.BEFORE)
    assert Client().get("/f/ZZZZZZ/").status_code == 404
    assert Client().get(f"/f/{before.code}/").status_code == 404


def test_personal_links_go_on_the_sending_day_and_one_reminder_to_those_who_have_not_answered(
        programme: Any, make_member: Any) -> None:
    from tracelead.academy import services as academy

    people = [make_member(name) for name in ("Asha Patel", "Ben Okafor", "Cara Singh")]
    for member in people:
        academy.programme_enrol(programme=programme, member=member)
    today = timezone.localdate()
    form = services.form_create(programme=programme, kind=FormKind.BEFORE,
                                send_on=today + dt.timedelta(days=1))
    now = timezone.now()
    assert services.sends_due(now=now) == (0, 0)  # not yet
    tomorrow = now + dt.timedelta(days=1)
    assert services.sends_due(now=tomorrow) == (3, 0)
    assert services.sends_due(now=tomorrow) == (0, 0)  # each member once
    mails = list(OutboxMessage.objects.order_by("to"))
    assert [m.to for m in mails] == ["asha.patel@example.org", "ben.okafor@example.org",
                                     "cara.singh@example.org"]
    assert all(m.kind == OutboxMessage.Kind.INVITATION for m in mails)
    link = next(line for line in mails[0].body.splitlines() if "/e/" in line)
    token = link.rsplit("/e/", 1)[1].strip("/")
    # Asha answers by her link; her answers carry her, so they pair with the after form.
    key = form.items.get(key="working-across")
    Client().post(f"/e/{token}/", {f"item-{key.pk}": "2"})
    assert Submission.objects.get(form=form).member == people[0]
    # A week later the two who have not answered get one reminder with a new link.
    later = tomorrow + dt.timedelta(days=7, minutes=1)
    assert services.sends_due(now=later) == (0, 2)
    assert services.sends_due(now=later + dt.timedelta(days=7)) == (0, 0)
    reminders = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REMINDER)
    assert sorted(reminders.values_list("to", flat=True)) == ["ben.okafor@example.org",
                                                              "cara.singh@example.org"]
    ben = Invite.objects.get(member=people[1])
    old = next(line for line in OutboxMessage.objects.get(
        to="ben.okafor@example.org", kind=OutboxMessage.Kind.INVITATION).body.splitlines()
        if "/e/" in line).rsplit("/e/", 1)[1].strip("/")
    assert Client().get(f"/e/{old}/").status_code == 404  # replaced by the reminder's
    assert ben.reminded_at is not None


def test_the_scheduler_tick_sends_evaluation_links(programme: Any, make_member: Any) -> None:
    from tracelead.academy import services as academy
    from tracelead.messaging.scheduler import tick

    member = make_member("Dan Hughes")
    academy.programme_enrol(programme=programme, member=member)
    services.form_create(programme=programme, kind=FormKind.FOLLOW_UP,
                         send_on=timezone.localdate())
    morning = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(7, 59)))
    assert tick(now=morning).evaluation_sent == 0  # not in the night
    report = tick(now=morning + dt.timedelta(minutes=1))
    assert report.evaluation_sent == 1 and "evaluation links queued" in report.describe()


def test_a_member_finds_open_forms_on_their_own_page(programme: Any, make_member: Any
                                                     ) -> None:
    from tracelead.academy import services as academy

    member = make_member("Ella Walsh")
    academy.programme_enrol(programme=programme, member=member)
    form = services.form_create(programme=programme, kind=FormKind.AFTER)
    client = Client()
    home = client.get(f"/m/{member.token}/").content.decode()
    assert "Questions for you" in home and f"/m/{member.token}/forms/{form.pk}/" in home
    item = form.items.get(key="trace-conditions")
    client.post(f"/m/{member.token}/forms/{form.pk}/", {f"item-{item.pk}": "4"})
    assert Submission.objects.get(form=form).member == member
    assert "Questions for you" not in client.get(f"/m/{member.token}/").content.decode()


def test_a_closed_form_takes_no_answers(programme: Any, workshop: Any) -> None:
    form = services.form_create(programme=programme, kind=FormKind.REFLECTION, event=workshop,
                                closes_on=timezone.localdate() - dt.timedelta(days=1))
    item = form.items.first()
    page = Client().post(f"/f/{form.code}/", {f"item-{item.pk}": "Something"})
    assert "This form closed" in page.content.decode()
    assert not Submission.objects.exists()
