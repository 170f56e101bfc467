"""Task convergence in the group report, through the gate, and the facilitator's themes
pages: stories of Fran (facilitator of Northbrook), Vic (a viewer there) and Olu
(facilitator of another system)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import words_fixtures as fx
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from words_fixtures import CHANGES

from tracelead.words import selectors
from tracelead.words.models import PinnedQuote, RoundConvergence, Theme, ThemeSet
from tracelead.words.tasks import compute_convergence


def _report(client: Any, assessment: Any) -> str:
    response = client.get(reverse("report_group", args=[assessment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _computed(assessment: Any) -> RoundConvergence:
    assert compute_convergence.call(assessment.pk) == "done"
    return RoundConvergence.objects.get(assessment=assessment)


# --- The gate ---------------------------------------------------------------------------


def test_it_shows_nothing_before_the_round_is_published(
        facilitator_client: Any, team: Any, make_assessment: Any, add_responses: Any) -> None:
    assessment = make_assessment(team)
    add_responses(assessment, [4] * 12,
                  free_text=[{"task_statement": s} for s in fx.THREE_TASKS[:12]])
    page = _report(facilitator_client, assessment)
    assert 'id="convergence' not in page
    assert fx.THREE_TASKS[0] not in page
    assert selectors.round_convergence(assessment).state == "not_shown"
    assert not RoundConvergence.objects.exists()


def test_it_is_withheld_below_the_comments_threshold(
        facilitator_client: Any, team: Any, published_statements: Any) -> None:
    # Seven answers: figures show (threshold 5) but comments do not (threshold 10).
    assessment = published_statements(team, fx.THREE_TASKS[:7])
    page = _report(facilitator_client, assessment)
    assert 'id="convergence-withheld"' in page
    assert "at least 10 people have answered" in page
    for statement in fx.THREE_TASKS[:7]:
        assert statement not in page
    assert compute_convergence.call(assessment.pk) == "nothing"
    assert not RoundConvergence.objects.exists()


def test_at_the_threshold_it_is_worked_out_in_the_background_and_then_shown(
        facilitator_client: Any, team: Any, published_statements: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    assessment = published_statements(team, fx.THREE_TASKS)
    with django_capture_on_commit_callbacks(execute=True):
        page = _report(facilitator_client, assessment)
    assert 'id="convergence-pending"' in page
    row = RoundConvergence.objects.get(assessment=assessment)
    assert row.status == "pending"
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path__endswith="compute_convergence").count() == 1
    row = _computed(assessment)
    assert (row.status, row.n, len(row.clusters)) == ("done", 18, 3)
    assert sorted(c["size"] for c in row.clusters) == [6, 6, 6]
    page = _report(facilitator_client, assessment)
    assert 'id="convergence-score"' in page
    assert f">{round(row.score)}</span> out of 100, {row.band}" in page
    for cluster in row.clusters:
        assert cluster["representative"] in page
    method_words = ("a sentence model" if row.method == "minilm" else "(TF-IDF)")
    assert method_words in page
    # Asking again neither recomputes nor queues more work.
    with django_capture_on_commit_callbacks(execute=True):
        _report(facilitator_client, assessment)
    assert RoundConvergence.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="compute_convergence").count() == 1


def test_it_is_never_attributed(viewer_client: Any, team: Any,
                                published_statements: Any) -> None:
    assessment = published_statements(team, fx.THREE_TASKS)
    row = _computed(assessment)
    # Only statements and sizes are stored: no response, invitation or position.
    assert set(row.clusters[0]) == {"representative", "size"}
    assert all(isinstance(text, str) for text in row.outliers)
    page = _report(viewer_client, assessment)
    assert 'id="convergence-score"' in page
    # A viewer reads the report but cannot sort the answers into themes.
    assert reverse("words_round_sets", args=[assessment.pk]) not in page


def test_too_few_statements_are_not_compared(
        facilitator_client: Any, team: Any, published_statements: Any) -> None:
    statements = [fx.DISCHARGE[0], fx.DISCHARGE[1]] + [""] * 10
    assessment = published_statements(team, statements)
    page = _report(facilitator_client, assessment)
    assert 'id="convergence-too-few"' in page
    assert not RoundConvergence.objects.exists()


def test_the_change_between_rounds_is_shown(
        facilitator_client: Any, team: Any, published_statements: Any) -> None:
    today = timezone.localdate()
    first = published_statements(
        team, fx.UNRELATED + fx.UNRELATED[1:5],
        opens_on=today - dt.timedelta(days=200), closes_on=today - dt.timedelta(days=180))
    second = published_statements(team, fx.PARAPHRASES + fx.PARAPHRASES[:4])
    before, after = _computed(first), _computed(second)
    assert before.score is not None and after.score is not None
    assert after.score - before.score >= 50
    view = selectors.round_convergence(second)
    assert view.previous is not None and view.previous.title == first.title
    assert view.change == pytest.approx(round(after.score - before.score, 1))
    page = _report(facilitator_client, second)
    assert f"up {round(view.change)}" in page


# --- Themes ---------------------------------------------------------------------------


def _build(client: Any, assessment: Any, prompt: str = "one_change") -> ThemeSet:
    url = reverse("words_round_themes", args=[assessment.pk, prompt])
    assert client.post(url).status_code == 302
    return ThemeSet.objects.get(assessment=assessment, prompt_key=prompt)


def test_a_facilitator_sorts_the_comments_into_themes_with_flags(
        facilitator_client: Any, team: Any, published_statements: Any) -> None:
    assessment = published_statements(team, fx.THREE_TASKS[:10], changes=CHANGES)
    listing = facilitator_client.get(reverse("words_round_sets", args=[assessment.pk]))
    assert "What one change would help this group most?" in listing.content.decode()
    url = reverse("words_round_themes", args=[assessment.pk, "one_change"])
    assert 'id="build"' in facilitator_client.get(url).content.decode()
    theme_set = _build(facilitator_client, assessment)
    assert theme_set.texts == sorted(CHANGES)
    assert sum(len(t.members) for t in theme_set.themes.all()) == 10
    page = facilitator_client.get(url).content.decode()
    # The three planted quotes are marked before they are shown, each once per list.
    assert "may name a person: Sarah" in page
    assert "may name a role one person holds: Our matron" in page
    assert "may name a small team: Ward 7" in page


def test_rename_merge_split_and_pin(facilitator_client: Any, team: Any,
                                    published_statements: Any) -> None:
    assessment = published_statements(team, fx.THREE_TASKS[:10], changes=CHANGES)
    theme_set = _build(facilitator_client, assessment)

    def act(action: str, **data: Any) -> Any:
        return facilitator_client.post(
            reverse("words_theme_action", args=[theme_set.pk, action]), data)

    themes = list(theme_set.themes.all())
    act("rename", theme=themes[0].pk, label="  Time to   plan ")
    assert Theme.objects.get(pk=themes[0].pk).label == "Time to plan"
    if len(themes) > 1:
        act("merge", themes=[t.pk for t in themes])
        assert theme_set.themes.count() == 1
    merged = theme_set.themes.get()
    assert sorted(merged.members) == list(range(10))
    act("split", theme=merged.pk)
    assert theme_set.themes.count() == 2
    assert sorted(i for t in theme_set.themes.all() for i in t.members) == list(range(10))

    sarah = theme_set.texts.index("Since Sarah left nobody runs the huddle properly.")
    holder = next(t for t in theme_set.themes.all() if sarah in t.members)
    act("pin", theme=holder.pk, quote=sarah)
    assert not PinnedQuote.objects.exists()  # flagged: needs the facilitator's check
    act("pin", theme=holder.pk, quote=sarah, checked="yes")
    pin = PinnedQuote.objects.get()
    assert (pin.text, pin.checked) == (theme_set.texts[sarah], True)
    plain = theme_set.texts.index(CHANGES[0])
    other = next(t for t in theme_set.themes.all() if plain in t.members)
    act("pin", theme=other.pk, quote=plain)
    assert PinnedQuote.objects.count() == 2
    page = facilitator_client.get(
        reverse("words_round_themes", args=[assessment.pk, "one_change"])).content.decode()
    assert 'id="pinned-list"' in page
    act("unpin", theme=other.pk, quote=plain)
    assert PinnedQuote.objects.count() == 1


def test_only_the_groups_facilitators_reach_the_themes(
        team: Any, viewer: Any, other_facilitator: Any, facilitator: Any,
        published_statements: Any) -> None:
    assessment = published_statements(team, fx.THREE_TASKS[:10], changes=CHANGES)
    fran = Client()
    fran.force_login(facilitator)
    theme_set = _build(fran, assessment)
    vic, olu = Client(), Client()
    vic.force_login(viewer)
    olu.force_login(other_facilitator)
    url = reverse("words_round_themes", args=[assessment.pk, "one_change"])
    assert vic.get(url).status_code == 403
    assert olu.get(url).status_code == 404
    action = reverse("words_theme_action", args=[theme_set.pk, "rename"])
    theme = theme_set.themes.first()
    assert theme is not None
    assert olu.post(action, {"theme": theme.pk, "label": "x"}).status_code == 404
    assert vic.post(action, {"theme": theme.pk, "label": "x"}).status_code == 403
    assert fran.get(action).status_code == 403  # actions are buttons


def test_themes_wait_for_the_comments_to_be_shown(
        facilitator_client: Any, team: Any, published_statements: Any) -> None:
    assessment = published_statements(team, fx.THREE_TASKS[:7], changes=CHANGES[:7])
    url = reverse("words_round_themes", args=[assessment.pk, "one_change"])
    assert facilitator_client.get(url).status_code == 404
    assert facilitator_client.post(url).status_code == 404
    listing = facilitator_client.get(reverse("words_round_sets", args=[assessment.pk]))
    assert 'id="not-shown"' in listing.content.decode()


def test_a_polls_open_answers_can_be_sorted_into_themes(
        facilitator_client: Any, academy: Any, facilitator: Any, make_event: Any) -> None:
    from tracelead.polls import services
    from tracelead.polls.models import Participant, Vote
    from tracelead.polls.services import QuestionDraft

    poll = services.poll_create(academy=academy, event=make_event(days=0), title="Reflections",
                                created_by=facilitator)
    question = services.question_save(poll=poll, question=None, draft=QuestionDraft(
        kind="text", prompt="What will you do differently?"))
    for i, answer in enumerate(fx.THREE_TASKS):
        device = Participant.objects.create(poll=poll, token_hash=f"{i:064d}")
        Vote.objects.create(question=question, participant=device, answer=answer)
    url = reverse("words_poll_themes", args=[academy.pk, poll.pk])
    # The poll's results lead to its themes (a poll with only a scale does not).
    results = facilitator_client.get(reverse("poll_results", args=[academy.pk, poll.pk]))
    assert f'href="{url}" id="poll-themes-link"' in results.content.decode()
    scale_only = services.poll_create(academy=academy, event=make_event(days=0),
                                      title="Ratings", created_by=facilitator)
    services.question_save(poll=scale_only, question=None, draft=QuestionDraft(
        kind="scale", prompt="How useful was today?"))
    other = facilitator_client.get(reverse("poll_results", args=[academy.pk, scale_only.pk]))
    assert other.status_code == 200 and "poll-themes-link" not in other.content.decode()
    assert facilitator_client.post(url).status_code == 302
    theme_set = ThemeSet.objects.get(poll=poll)
    assert sorted(len(t.members) for t in theme_set.themes.all()) == [6, 6, 6]
    page = facilitator_client.get(url).content.decode()
    assert "18 answers" in page
