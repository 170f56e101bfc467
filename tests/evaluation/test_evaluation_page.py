"""The evaluation page and its board PDF: the four levels with figures only over the
threshold (5 here), paired change worked by hand, quotes only with consent, impact with
its evidence, for the academy's facilitators only."""

from __future__ import annotations

import datetime as dt
import html
import re
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tracelead.evaluation import selectors, services
from tracelead.evaluation.models import Answer, Form, FormKind, Level, Measure, Quote

pytestmark = pytest.mark.django_db


def _answers(form: Any, rows: list[dict[str, Any]], *, members: list[Any] | None = None,
             consent: bool = False) -> None:
    items = {i.key + (f":{i.moment}" if i.moment else ""): i for i in form.items.all()}
    for n, row in enumerate(rows):
        member = members[n] if members else None
        answers = services.Answers(values={
            items[key].pk: ({"number": float(v)} if isinstance(v, int) else {"text": v})
            for key, v in row.items()})
        services.submission_save(form=form, answers=answers, member=member,
                                 device_hash="" if member else secrets.token_hex(8),
                                 quote_consent=consent)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.fixture
def enrolled(programme: Any, make_member: Any) -> list[Any]:
    from tracelead.academy import services as academy

    people = [make_member(f"Person {n}") for n in range(7)]
    for m in people:
        academy.programme_enrol(programme=programme, member=m)
    return people


def test_feedback_is_summarised_only_from_five_answers(
        facilitator_client: Any, programme: Any, make_event: Any) -> None:
    one = make_event("Workshop 1", days=-20, programme=programme)
    two = make_event("Workshop 2", days=-5, programme=programme)
    f1 = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=one)
    f2 = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=two)
    # Workshop 1: 3, 4, 4, 5, 2 -> mean 3.6, top two 3 of 5 = 60%.
    _answers(f1, [{"useful": v} for v in (3, 4, 4, 5, 2)])
    # Workshop 2: four answers only.
    _answers(f2, [{"useful": v} for v in (5, 5, 4, 1)])
    report = selectors.reaction(programme, 5)
    first, second = report.rows
    assert first.shown and first.cells["useful"].mean == "3.6"
    assert first.cells["useful"].top_two == "60%"
    assert not second.shown and second.answers_text == "fewer than 5"
    assert second.cells["useful"].mean == "–"
    page = text(facilitator_client.get(
        f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation/"))
    assert "3.6; 60%" in page and "fewer than 5" in page
    assert "4.3" not in page  # workshop 2's mean of 3.75 or anything from four answers


def _section(page: str, heading: str, end: str) -> str:
    return page[page.index(heading):page.index(end)]


def test_one_more_answer_changes_no_figure_until_a_threshold_more(
        facilitator_client: Any, programme: Any, make_event: Any, make_member: Any) -> None:
    """The insider of docs/threat-model.md: a facilitator saves the evaluation page, one
    more person answers, and the page is saved again. Between the two nothing but the count
    of answers may differ; the figures move once five more have answered, and then by the
    five's answers together. The same for the pairs of self-ratings."""
    from tracelead.academy import services as academy

    event = make_event("Workshop 1", days=-2, programme=programme)
    feedback = services.form_create(programme=programme, kind=FormKind.FEEDBACK, event=event)
    people = [make_member(f"Person {n}") for n in range(11)]
    for m in people:
        academy.programme_enrol(programme=programme, member=m)
    before = services.form_create(programme=programme, kind=FormKind.BEFORE)
    after = services.form_create(programme=programme, kind=FormKind.AFTER)
    url = f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation/"

    def figures() -> tuple[str, str]:
        page = text(facilitator_client.get(url))
        reaction = _section(page, "Level 1: reaction", "Level 2: learning")
        learning = _section(page, "Level 2: learning", "Level 3: behaviour")
        # Leave out the counts of answers and pairs (cells that hold only a count), which
        # do move by one.
        count = r'<td class="nhsuk-table__cell">[\d,]+(?: \(of [\d,]+ so far\))?</td>'
        return re.sub(count, "", reaction), re.sub(count, "", learning)

    _answers(feedback, [{"useful": v} for v in (3, 4, 4, 5, 2)])
    _answers(before, [{"working-across": v} for v in (2, 3, 3, 4, 2)], members=people[:5])
    _answers(after, [{"working-across": v} for v in (3, 4, 5, 4, 3)], members=people[:5])
    first = figures()
    assert "3.6; 60%" in first[0] and "+1.00 (+0.12 to +1.88)" in first[1]
    for n in range(5, 9):  # one more each time, and each far from the mean
        _answers(feedback, [{"useful": 1}])
        _answers(before, [{"working-across": 5}], members=[people[n]])
        _answers(after, [{"working-across": 1}], members=[people[n]])
        assert figures() == first, f"a figure moved with answer {n + 1}"
    # The tenth: the figures are now those of ten answers and ten pairs.
    _answers(feedback, [{"useful": 1}])
    _answers(before, [{"working-across": 5}], members=[people[9]])
    _answers(after, [{"working-across": 1}], members=[people[9]])
    tenth = figures()
    assert "2.3; 30%" in tenth[0]  # (18 + 5) / 10 and 3 of 10
    assert "−1.50" in tenth[1]  # (5 x 1.0 + 5 x -4) / 10, with a minus sign


def test_learning_pairs_before_and_after_per_member_worked_by_hand(
        facilitator_client: Any, programme: Any, enrolled: list[Any]) -> None:
    """Six people rate 'working across' before (2 3 3 4 2 3) and after (3 4 5 4 3 3); the
    seventh answered only before. Pairs 6; change +0.83, interval +0.04 to +1.62,
    d_z 1.11 (see test_evaluation_analysis)."""
    before = services.form_create(programme=programme, kind=FormKind.BEFORE)
    after = services.form_create(programme=programme, kind=FormKind.AFTER)
    _answers(before, [{"working-across": v} for v in (2, 3, 3, 4, 2, 3, 1)], members=enrolled)
    _answers(after, [{"working-across": v} for v in (3, 4, 5, 4, 3, 3)], members=enrolled[:6])
    # With a threshold of 3, all six pairs count (two steps of 3).
    rows = {r.key: r for r in selectors.learning(programme, 3)}
    row = rows["working-across"]
    assert row.shown and row.pairs == 6
    assert (row.before, row.after, row.change) == ("2.83", "3.67", "+0.83")
    assert row.interval == "+0.04 to +1.62" and row.effect == "1.11"
    assert "beyond chance" in row.words and "a large change" in row.words
    assert not rows["trace-conditions"].shown  # nobody rated it
    # The page's threshold is 5: its figures are those of the first five pairs completed
    # (before 2 3 3 4 2, after 3 4 5 4 3: changes 1 1 2 0 1, mean +1.00, SD 0.707,
    # t(4) 2.776, interval +0.12 to +1.88), until five more pairs make ten.
    page = text(facilitator_client.get(
        f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation/"))
    assert "+1.00 (+0.12 to +1.88)" in page and "+0.83" not in page


def test_four_pairs_are_too_few_to_show(programme: Any, enrolled: list[Any]) -> None:
    before = services.form_create(programme=programme, kind=FormKind.BEFORE)
    after = services.form_create(programme=programme, kind=FormKind.AFTER)
    _answers(before, [{"shared-task": v} for v in (2, 3, 3, 4)], members=enrolled[:4])
    _answers(after, [{"shared-task": v} for v in (3, 4, 5, 4)], members=enrolled[:4])
    row = next(r for r in selectors.learning(programme, 5) if r.key == "shared-task")
    assert not row.shown and row.pairs_text == "fewer than 5" and row.change == "–"


def test_then_and_now_pairs_within_one_form(programme: Any, enrolled: list[Any]) -> None:
    form = services.form_create(programme=programme, kind=FormKind.THEN_NOW)
    _answers(form, [{"who-to-contact:then": b, "who-to-contact:now": a}
                    for b, a in ((2, 3), (3, 4), (3, 5), (4, 4), (2, 3), (3, 3))],
             members=enrolled[:6])
    row = next(r for r in selectors.learning(programme, 3) if r.design == "then and now")
    assert row.key == "who-to-contact" and row.change == "+0.83"
    # With a threshold of 5, the first five pairs: changes 1 1 2 0 1.
    row = next(r for r in selectors.learning(programme, 5) if r.design == "then and now")
    assert (row.pairs, row.change) == (5, "+1.00")


def test_a_practice_count_hides_when_it_or_the_rest_is_small(
        programme: Any, enrolled: list[Any]) -> None:
    form = services.form_create(programme=programme, kind=FormKind.FOLLOW_UP)
    practices = form.items.get(key="practices")
    first, second = practices.choices[0], practices.choices[1]
    # Seven answers: six chose the first practice (the rest, 1, is small), two the second.
    for n, member in enumerate(enrolled):
        chosen = [first] if n < 6 else []
        if n < 2:
            chosen.append(second)
        services.submission_save(form=form, answers=services.Answers(
            values={practices.pk: {"chosen": chosen or [practices.choices[-1]]}}),
            member=member)
    # While the form is open (here it has no closing date) no practice is counted.
    b = selectors.behaviour(programme, 5)[0]
    assert (b.shown, b.closed, b.practices) == (True, False, [])
    Form.objects.filter(pk=form.pk).update(closes_on=timezone.localdate() - dt.timedelta(days=1))
    b = selectors.behaviour(programme, 5)[0]
    assert b.closed
    rows = {p.practice: (p.people, p.share) for p in b.practices}
    assert rows[first] == ("all but fewer than 5", "–")
    assert rows[second] == ("fewer than 5", "–")
    assert rows[practices.choices[2]] == ("0", "0%")


def test_quotes_show_only_with_consent_in_the_page_and_the_pdf(
        facilitator_client: Any, programme: Any, make_event: Any) -> None:
    event = make_event("Workshop 1", days=-2, programme=programme)
    form = services.form_create(programme=programme, kind=FormKind.REFLECTION, event=event)
    _answers(form, [{"noticed": "We all meant different things by flow"}], consent=True)
    _answers(form, [{"noticed": "My manager never listens"}], consent=False)
    agreed = Answer.objects.get(text__contains="flow")
    refused = Answer.objects.get(text__contains="manager")
    services.quote_pin(programme=programme, level=Level.LEARNING, text="", source="reflection",
                       consent=False, answer=agreed)
    # The lead cannot override the author's choice by ticking consent.
    services.quote_pin(programme=programme, level=Level.LEARNING, text="", source="reflection",
                       consent=True, answer=refused)
    services.quote_pin(programme=programme, level=Level.BEHAVIOUR, text="Typed note, agreed",
                       source="interview", consent=True)
    assert sorted(Quote.objects.values_list("consent", flat=True)) == [False, True, True]
    base = f"/academy/{programme.academy_id}/programmes/{programme.pk}"
    page = text(facilitator_client.get(f"{base}/evaluation/"))
    assert "We all meant different things by flow" in page and "Typed note, agreed" in page
    assert "My manager never listens" not in page
    quotes = text(facilitator_client.get(f"{base}/evaluation/quotes/"))
    assert "no consent: not shown" in quotes
    pdf = facilitator_client.get(f"{base}/evaluation.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    words = _pdf_text(pdf.content)
    assert "We all meant different things by flow" in words
    assert "My manager never listens" not in words


def _pdf_text(content: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,  # noqa: S607
                          capture_output=True, check=True)
    return re.sub(r"\s+", " ", done.stdout.decode())


def test_impact_measures_with_values_and_evidence(facilitator_client: Any,
                                                  programme: Any) -> None:
    base = f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation/impact/"
    bad = facilitator_client.post(base, {"name": "", "better": ""})
    assert bad.status_code == 400 and "Enter the measure's name" in text(bad)
    made = facilitator_client.post(base, {"name": "People waiting over 18 weeks",
                                          "unit": "people", "better": "lower"})
    measure = Measure.objects.get()
    assert made.status_code == 302
    page = f"{base}{measure.pk}/"
    for day, value in (("2026-06-01", "412"), ("2026-09-01", "366")):
        assert facilitator_client.post(page, {"action": "value", "value-on": day,
                                              "value-value": value}).status_code == 302
    future = facilitator_client.post(page, {"action": "value", "value-on": "2099-01-01",
                                            "value-value": "1"})
    assert future.status_code == 400
    assert "today or in the past" in text(future)
    fake = SimpleUploadedFile("minutes.pdf", b"not a pdf", content_type="application/pdf")
    refused = facilitator_client.post(page, {"action": "evidence", "evidence-title": "Minutes",
                                             "evidence-file": fake})
    assert refused.status_code == 400 and "not a real PDF" in text(refused)
    real = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    assert facilitator_client.post(page, {"action": "evidence", "evidence-title": "Minutes",
                                          "evidence-file": real}).status_code == 302
    row = selectors.impact(programme)[0]
    assert row.first == "412 people on 1 June 2026" and row.change == "down 46 people (better)"
    evidence = measure.evidence.get()
    download = facilitator_client.get(f"{page}evidence/{evidence.pk}/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 minutes"


def test_only_the_academy_s_facilitators_see_the_evaluation(
        client: Client, viewer: Any, other_facilitator: Any, programme: Any) -> None:
    base = f"/academy/{programme.academy_id}/programmes/{programme.pk}"
    urls = [f"{base}/evaluation/", f"{base}/evaluation.pdf", f"{base}/evaluation/quotes/",
            f"{base}/evaluation/impact/", f"{base}/evaluation/forms/new/",
            f"{base}/evaluation/words/"]
    for url in urls:
        assert client.get(url).status_code == 302, url
    for user in (viewer, other_facilitator):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)


def test_the_lead_adds_forms_and_writes_recommendations(
        facilitator_client: Any, programme: Any, make_event: Any) -> None:
    event = make_event("Workshop 1", days=-1, programme=programme)
    base = f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation"
    missing = facilitator_client.post(f"{base}/forms/new/", {"kind": "feedback"})
    assert missing.status_code == 400
    assert "Choose the event the form is about" in missing.content.decode()
    made = facilitator_client.post(f"{base}/forms/new/", {"kind": "feedback",
                                                         "event": event.pk}, follow=True)
    assert "Download the QR code" in made.content.decode()
    facilitator_client.post(f"{base}/words/", {"summary": "It went well.",
                                               "recommendations": "Invite primary care\n"
                                                                  "- Budget the effort"})
    page = text(facilitator_client.get(f"{base}/"))
    assert "<li>Invite primary care</li>" in page and "<li>Budget the effort</li>" in page


# --- The demo ---------------------------------------------------------------------------------


def test_the_demo_s_evaluation_tells_its_story_and_its_pdf_has_every_level(
        make_user: Any) -> None:
    from django.contrib.auth import get_user_model

    from tracelead.academy.models import Programme
    from tracelead.demo import DEMO_USERNAME, demo_load

    demo_load(today=dt.date(2026, 12, 2))
    programme = Programme.objects.get(name="Leading for Whole-System Change")
    report = selectors.evaluation_report(programme)
    useful = [r.cells["useful"].value for r in report.reaction.rows if r.shown]
    assert len(useful) == 5 and useful[-1] > useful[0] + 0.5
    learning = {r.key: r for r in report.learning if r.design == "before and after"}
    assert learning["trace-conditions"].result.mean_change > \
        learning["shared-task"].result.mean_change
    assert learning["trace-conditions"].result.beyond_chance
    assert report.impact[0].change.endswith("(better)")
    assert report.recommendations and report.context.connections is not None
    assert not any("did not agree" in q.text for qs in report.quotes.values() for q in qs)
    client = Client()
    client.force_login(get_user_model().objects.get(username=DEMO_USERNAME))
    pdf = client.get(f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation.pdf")
    words = _pdf_text(pdf.content)
    for heading in ("Level 1: reaction", "Level 2: learning", "Level 3: behaviour",
                    "Level 4: impact", "Attendance, effort, connections and sectors",
                    "Recommendations"):
        assert heading in words, heading
    # Rendered to images: every page draws, and the first is not blank.
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-", str(out / "page")],  # noqa: S603, S607 - poppler's tool, our own PDF
                       input=pdf.content, check=True)
        pages = sorted(out.glob("page*.png"))
        assert len(pages) >= 2 and all(p.stat().st_size > 2000 for p in pages)


def test_quotes_pinned_in_a_poll_s_themes_feed_the_evaluation(
        facilitator_client: Any, programme: Any, make_event: Any) -> None:
    from tracelead.polls import services as polls
    from tracelead.words.models import PinnedQuote, Theme, ThemeSet

    event = make_event("Workshop 2", days=-1, programme=programme)
    poll = polls.poll_create(academy=programme.academy, event=event, title="Opener")
    themes = ThemeSet.objects.create(source="poll", poll=poll, method="tfidf",
                                     texts=["Trust grew when we shared the data"])
    theme = Theme.objects.create(theme_set=themes, label="Trust", members=[0])
    pin = PinnedQuote.objects.create(theme=theme, index=0, text=themes.texts[0], checked=True)
    base = f"/academy/{programme.academy_id}/programmes/{programme.pk}/evaluation"
    page = text(facilitator_client.get(f"{base}/quotes/"))
    assert "Trust grew when we shared the data" in page and "Theme: Trust" in page
    facilitator_client.post(f"{base}/quotes/", {"action": "theme", "pin": pin.pk,
                                                "level": "1", "consent": "yes"})
    quote = Quote.objects.get()
    assert (quote.level, quote.source, quote.consent) == (1, "theme", True)
    assert "Trust grew when we shared the data" in text(facilitator_client.get(f"{base}/"))


def test_a_forms_open_answers_are_themed_only_from_the_threshold_and_pins_keep_consent(
        client: Client, facilitator_client: Any, other_facilitator: Any, programme: Any,
        make_event: Any) -> None:
    from tracelead.words.models import PinnedQuote, ThemeSet

    event = make_event("Workshop 3", days=-1, programme=programme)
    form = services.form_create(programme=programme, kind=FormKind.REFLECTION, event=event)
    item = form.items.get(key="noticed")
    academy = programme.academy_id
    url = (f"/academy/{academy}/programmes/{programme.pk}/evaluation/forms/{form.pk}/"
           f"questions/{item.pk}/themes/")
    detail = text(facilitator_client.get(
        f"/academy/{academy}/programmes/{programme.pk}/evaluation/forms/{form.pk}/"))
    assert f'href="{url}"' in detail
    # Four written answers: under the threshold of 5, nothing of them is shown or themed.
    _answers(form, [{"noticed": f"Secret note number {n}"} for n in range(4)])
    page = text(facilitator_client.get(url))
    assert "at least 5 people have answered" in page and "Secret note" not in page
    assert facilitator_client.post(url).status_code == 302
    assert not ThemeSet.objects.exists()

    _answers(form, [{"noticed": "Trust grew when we shared the waiting list data"}],
             consent=True)
    _answers(form, [{"noticed": "We need the same data across the system"},
                    {"noticed": ""}], consent=False)
    assert facilitator_client.post(url).status_code == 302
    themes = ThemeSet.objects.get(form_item=item)
    assert themes.source == "form" and len(themes.texts) == 6  # the blank answer is left out
    assert themes.texts == sorted(themes.texts)
    agreed = themes.texts.index("Trust grew when we shared the waiting list data")
    refused = themes.texts.index("We need the same data across the system")
    page = text(facilitator_client.get(url))
    assert "Secret note number 0" in page and "did not agree to be quoted" in page

    theme_of = {i: t for t in themes.themes.all() for i in t.members}
    pin_url = f"/themes/{themes.pk}/pin/"
    facilitator_client.post(pin_url, {"theme": theme_of[refused].pk, "quote": refused})
    assert not PinnedQuote.objects.exists()  # refused: the author said no
    facilitator_client.post(pin_url, {"theme": theme_of[agreed].pk, "quote": agreed})
    pin = PinnedQuote.objects.get()
    # Another academy's facilitator and a stranger cannot reach the page or its actions.
    for who in (other_facilitator, None):
        visitor = Client()
        if who is not None:
            visitor.force_login(who)
        expected = 404 if who is not None else 302
        assert visitor.get(url).status_code == expected
        assert visitor.post(f"/themes/{themes.pk}/rename/",
                            {"theme": theme_of[agreed].pk, "label": "x"}).status_code == expected

    base = f"/academy/{academy}/programmes/{programme.pk}/evaluation"
    quotes = text(facilitator_client.get(f"{base}/quotes/"))
    assert "From a form: its author agreed to be quoted." in quotes
    facilitator_client.post(f"{base}/quotes/", {"action": "theme", "pin": pin.pk,
                                                "level": "1"})
    quote = Quote.objects.get(source="theme")
    assert quote.consent and quote.answer is not None
    assert quote.text == "Trust grew when we shared the waiting list data"
