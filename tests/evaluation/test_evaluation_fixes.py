"""Three faults of the evaluation, each told as a short story.

* Fran, the lead, pins quotes: a rating has no words to quote, and a double click must
  not pin the same answer twice (the board PDF would show it twice).
* Asha and Ben are members: a form open to its code (the QR code in the room) is answered
  only by its code, and an event's form is offered only to those who checked in, so that
  nobody is counted twice and n cannot reach the threshold with fewer people.
* Imported forms give each question its own key, so two rating columns come out as two
  figures (and an imported before and after pair per member).
"""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tracelead.academy.models import CheckIn, hash_token
from tracelead.evaluation import importing, selectors, services
from tracelead.evaluation.models import Answer, Form, FormKind, Invite, Item, Quote, Submission
from tracelead.evaluation.views import member_forms
from tracelead.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def _answer(form: Any, values: dict[str, Any], *, consent: bool = True) -> Submission:
    items = {i.key: i for i in form.items.all()}
    return services.submission_save(
        form=form, device_hash=secrets.token_hex(8), quote_consent=consent,
        answers=services.Answers(values={
            items[key].pk: ({"number": float(v)} if isinstance(v, int) else {"text": v})
            for key, v in values.items()}))


# --- 1. Pinning quotes --------------------------------------------------------------------------


@pytest.fixture
def feedback(programme: Any, make_event: Any) -> Any:
    event = make_event("Workshop 1", days=-2, programme=programme)
    form = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=event)
    _answer(form, {"useful": 4, "valuable": "Meeting the council team"})
    return form


def _quotes_url(programme: Any) -> str:
    return f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation/quotes/"


def test_pinning_a_rating_shows_the_problem_on_the_page_and_pins_nothing(
        facilitator_client: Any, programme: Any, feedback: Any) -> None:
    rating = Answer.objects.get(submission__form=feedback, item__key="useful")
    page = facilitator_client.post(_quotes_url(programme), {
        "action": "answer", "answer": rating.pk, "level": "1"})
    assert page.status_code == 400
    body = text(page)
    assert "There is a problem" in body and "That answer has no words to quote" in body
    assert not Quote.objects.exists()


def test_a_double_click_pins_an_answer_once_and_says_it_is_pinned_already(
        facilitator_client: Any, programme: Any, feedback: Any) -> None:
    words = Answer.objects.get(submission__form=feedback, item__key="valuable")
    post = {"action": "answer", "answer": words.pk, "level": "1"}
    first = facilitator_client.post(_quotes_url(programme), post)
    second = facilitator_client.post(_quotes_url(programme), post, follow=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "That answer is already pinned" in text(second)
    assert Quote.objects.filter(answer=words).count() == 1
    # Pinned to another level by the service, it is still left as it was.
    with pytest.raises(services.AlreadyPinned):
        services.quote_pin(programme=programme, level=3, text="", source="feedback",
                           consent=False, answer=words)
    quote = Quote.objects.get()
    assert quote.level == 1
    report = selectors.evaluation_report(programme)
    assert [q.text for qs in report.quotes.values() for q in qs] == [
        "Meeting the council team"]


# --- 2. Who is offered a form -------------------------------------------------------------------


@pytest.fixture
def people(programme: Any, make_member: Any) -> dict[str, Any]:
    from tracelead.academy import services as academy

    found = {name.split()[0].lower(): make_member(name) for name in ("Asha Patel",
                                                                      "Ben Okafor")}
    for member in found.values():
        academy.programme_enrol(programme=programme, member=member)
    return found


def _check_in(event: Any, member: Any) -> None:
    CheckIn.objects.create(event=event, member=member, method="list", at=timezone.now())


def test_a_form_open_to_its_code_is_answered_only_by_its_code(
        programme: Any, make_event: Any, people: dict[str, Any]) -> None:
    event = make_event("Workshop 1", days=-1, programme=programme)
    asha = people["asha"]
    _check_in(event, asha)
    form = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=event,
                                send_on=timezone.localdate())
    assert form.open_to_code
    # Not on her page, not answerable from it, and no personal link by email.
    assert form not in member_forms(asha)
    useful = form.items.get(key="useful")
    url = f"/m/{asha.token}/forms/{form.pk}/"
    assert Client().get(url).status_code == 404
    assert Client().post(url, {f"item-{useful.pk}": "5"}).status_code == 404
    assert services.sends_due(now=timezone.now()) == (0, 0)
    assert not Invite.objects.exists() and not OutboxMessage.objects.exists()
    # A link sent before the form was open to its code no longer answers it either.
    token = secrets.token_urlsafe(24)
    Invite.objects.create(form=form, member=asha, token_hash=hash_token(token),
                          sent_at=timezone.now())
    assert Client().post(f"/e/{token}/", {f"item-{useful.pk}": "5"}).status_code == 404
    assert not Submission.objects.exists()
    # By its code, her phone answers once.
    Client().post(f"/f/{form.code}/", {f"item-{useful.pk}": "5"})
    assert Submission.objects.filter(form=form).count() == 1


def test_an_event_s_form_is_offered_only_to_those_who_checked_in(
        programme: Any, make_event: Any, people: dict[str, Any]) -> None:
    event = make_event("Workshop 1", days=-1, programme=programme)
    asha, ben = people["asha"], people["ben"]
    _check_in(event, asha)
    form = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=event,
                                send_on=timezone.localdate())
    # This event's feedback goes by personal link only (no QR code in the room).
    Form.objects.filter(pk=form.pk).update(open_to_code=False)
    form.refresh_from_db()
    assert form in member_forms(asha) and form not in member_forms(ben)
    useful = form.items.get(key="useful")
    assert Client().get(f"/m/{ben.token}/forms/{form.pk}/").status_code == 404
    Client().post(f"/m/{ben.token}/forms/{form.pk}/", {f"item-{useful.pk}": "5"})
    assert not Submission.objects.exists()
    done = Client().post(f"/m/{asha.token}/forms/{form.pk}/", {f"item-{useful.pk}": "4"})
    assert done.status_code == 200
    assert Submission.objects.get(form=form).member == asha
    # The emails follow the same rule: only Asha is sent a link.
    Submission.objects.all().delete()
    assert services.sends_due(now=timezone.now()) == (1, 0)
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == [asha.email]


def test_a_programme_form_is_still_offered_to_every_member(
        programme: Any, people: dict[str, Any]) -> None:
    form = services.form_create(programme=programme, kind=FormKind.BEFORE)
    assert all(form in member_forms(m) for m in people.values())
    assert services.is_offered(form, people["ben"])


# --- 3. Imported questions have keys ------------------------------------------------------------


FORMS_HEADING = ("ID,Start time,Completion time,Email,Name,{questions},"
                 "May we quote your comments in the evaluation report?")


def _forms_csv(questions: list[str], rows: list[tuple[str, list[int]]]) -> bytes:
    lines = [FORMS_HEADING.format(questions=",".join(questions))]
    for n, (email, ratings) in enumerate(rows, start=1):
        lines.append(f"{n},3/14/26 09:{n:02d}:00,3/14/26 10:{n:02d}:00,{email},,"
                     + ",".join(str(r) for r in ratings) + ",No")
    return ("\n".join(lines) + "\n").encode()


def test_two_imported_rating_columns_come_out_as_two_figures(
        programme: Any, make_event: Any) -> None:
    event = make_event("Workshop 3", days=-3, programme=programme)
    data = _forms_csv(["How useful was the workshop?", "How likely are you to use it?"],
                      [("p1@example.net", [5, 1]), ("anonymous", [4, 2]),
                       ("p3@example.net", [4, 1]), ("anonymous", [5, 2]),
                       ("anonymous", [3, 1])])
    outcome = importing.answers_import(programme=programme, data=data, filename="f.csv",
                                       event=event, commit=True)
    assert outcome.committed, [str(p) for p in outcome.problems]
    assert sorted(Item.objects.filter(form=outcome.form).values_list("key", "kind")) == [
        ("how-likely-are-you-to-use-it", "rating"), ("how-useful-was-the-workshop", "rating")]
    reaction = selectors.reaction(programme, threshold=5)
    assert reaction.questions == [
        ("how-useful-was-the-workshop", "How useful was the workshop?"),
        ("how-likely-are-you-to-use-it", "How likely are you to use it?")]
    (row,) = reaction.rows
    # By hand: (5 + 4 + 4 + 5 + 3) / 5 = 4.2 and (1 + 2 + 1 + 2 + 1) / 5 = 1.4.
    useful = row.cells["how-useful-was-the-workshop"]
    likely = row.cells["how-likely-are-you-to-use-it"]
    assert (useful.mean, useful.value) == ("4.2", pytest.approx(4.2))
    assert (likely.mean, likely.value) == ("1.4", pytest.approx(1.4))


def test_imported_before_and_after_ratings_pair_per_member(
        programme: Any, people: dict[str, Any], make_member: Any) -> None:
    from tracelead.academy import services as academy

    members = [*people.values(), *(make_member(f"Person {n}") for n in range(3))]
    for member in members[2:]:
        academy.programme_enrol(programme=programme, member=member)
    questions = ["How confident are you across organisations?", "How well do you know "
                 "whom to contact?"]
    before = _forms_csv(questions, [(m.email, [2, 3]) for m in members])
    after = _forms_csv(questions, [(m.email, [4, 3]) for m in members])
    for data, kind, name in ((before, FormKind.BEFORE, "before.csv"),
                             (after, FormKind.AFTER, "after.csv")):
        outcome = importing.answers_import(programme=programme, data=data, filename=name,
                                           kind=kind, commit=True)
        assert outcome.committed, [str(p) for p in outcome.problems]
    rows = {r.key: r for r in selectors.learning(programme, threshold=5)}
    assert set(rows) == {"how-confident-are-you-across-organisations",
                         "how-well-do-you-know-whom-to-contact"}
    confident = rows["how-confident-are-you-across-organisations"]
    assert confident.pairs == 5 and confident.result is not None
    assert confident.result.mean_change == pytest.approx(2.0)


def test_an_imported_key_is_a_slug_of_the_heading_made_unique_within_the_form() -> None:
    taken: set[str] = set()
    keys = []
    for heading in ["How useful?", "How useful!", "¿¡", "", "x" * 80, "x" * 80]:
        key = importing.item_key(heading, taken)
        taken.add(key)
        keys.append(key)
    assert keys[:4] == ["how-useful", "how-useful-2", "question", "question-2"]
    assert keys[4] == "x" * 60 and keys[5] == "x" * 58 + "-2"
    assert len(set(keys)) == len(keys)


def test_a_re_import_keeps_the_keys_and_a_column_read_only_now_gets_its_own(
        programme: Any) -> None:
    data = _forms_csv(["How useful was it?", "How useful was it"],
                      [("p1@example.net", [4, 3]), ("anonymous", [5, 2])])
    parsed = importing.read_export(data, "f.csv")
    headings = [c.heading for c in parsed.columns]
    # First the lead ignores the second question; later she imports the file again
    # with it (the same file: its form is reused).
    plan = importing.guess_plan(parsed)
    plan[headings.index("How useful was it")] = importing.ColumnPlan("ignore")
    first = importing.answers_import(programme=programme, data=data, filename="f.csv",
                                     plan=plan, commit=True)
    assert first.committed and first.items_created == 1
    again = importing.answers_import(programme=programme, data=data, filename="f.csv",
                                     commit=True)
    assert again.committed and again.form_reused and again.items_created == 1
    assert sorted(Item.objects.filter(form=first.form).values_list("text", "key")) == [
        ("How useful was it", "how-useful-was-it-2"),
        ("How useful was it?", "how-useful-was-it")]
