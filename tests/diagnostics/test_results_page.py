"""The results page of an assessment: nothing below the threshold, the figures above it.

Expected figures are computed independently in each test: by hand for simple matrices,
and with :func:`tracelead.analysis.condition_profile` on a matrix the test builds itself.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from django.urls import reverse

from tracelead.analysis import condition_profile
from tracelead.diagnostics import services

CONDITIONS = ["task", "route", "alignment", "capability", "energy"]
NAMES = {
    "task": "Task",
    "route": "Route",
    "alignment": "Alignment",
    "capability": "Capability",
    "energy": "Energy",
}


class Tables(HTMLParser):
    """Every table's rows as lists of cell texts, and the table's id if it has one."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str | None, list[list[str]]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append((dict(attrs).get("id"), []))
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in {"td", "th"} and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in {"td", "th"} and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(response) -> dict[str | None, list[list[str]]]:
    parser = Tables()
    parser.feed(response.content.decode())
    return {table_id or f"table-{i}": rows for i, (table_id, rows) in enumerate(parser.tables)}


def text(response) -> str:
    return html.unescape(response.content.decode())


def results(client, assessment):
    response = client.get(reverse("assessment", args=[assessment.pk]))
    assert response.status_code == 200
    return response


def answers_for(trace, levels: dict[str, object]) -> dict[str, int | None]:
    """Every item of a condition gets the condition's value (or a list, item by item)."""
    answers: dict[str, int | None] = {}
    for scale in trace.scales:
        value = levels[scale.key]
        for index, item in enumerate(scale.items):
            answers[item.key] = value[index] if isinstance(value, list) else value
    return answers


def item_row(response, statement: str) -> list[str]:
    """The figures in an item's row, in order: counts of 1..A, "Don't know", mean."""
    rows = [row for table in tables(response).values() for row in table]
    row = next(r for r in rows if r and r[0] == statement)
    return re.findall(r"\d+(?:\.\d+)?", " ".join(row[1:]))


def plain(response) -> str:
    """The page as words: tags removed, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def profile_rows(response) -> dict[str, list[str]]:
    rows = tables(response)["profile"]
    return {row[0]: row[1:] for row in rows[1:]}


# --- Below the threshold ------------------------------------------------------------------


def test_below_the_threshold_it_shows_how_many_more_are_needed_and_no_figures(
    facilitator_client, assessment, add_responses, trace
):
    add_responses(
        assessment,
        [4, 2, 5],
        free_text=[{"one_change": f"Secret comment {i}"} for i in range(3)],
    )

    response = results(facilitator_client, assessment)

    content = text(response)
    assert 'id="below-threshold"' in content
    assert "2 more responses are needed." in content
    assert 'id="profile"' not in content
    assert 'id="response-count"' not in content
    assert "tl-items" not in content
    assert "Secret comment" not in content
    assert "Where to focus" not in content
    for figure in ("3.67", "4.00", "2.00", "5.00", "rwg(j)"):
        assert figure not in content
    assert trace.items[0].text not in content


def test_one_response_short_of_the_threshold_says_one_more_response_is_needed(
    facilitator_client, assessment, add_responses
):
    add_responses(assessment, [4, 4, 4, 4])

    content = text(results(facilitator_client, assessment))

    assert "1 more response is needed." in content
    assert 'id="profile"' not in content


def test_with_no_responses_it_says_five_more_are_needed(facilitator_client, assessment):
    content = text(results(facilitator_client, assessment))

    assert "5 more responses are needed." in content


def test_below_the_threshold_it_states_the_threshold_that_applies_here_and_in_the_api(
    facilitator_client, team, make_assessment, add_responses
):
    """A round set to 3 in a system whose strictest latest round asks 5 waits for 5: the
    page and the API must say 5, not 3 (4 answers and "at least 3" would contradict)."""
    from tracelead.organisations import services as org_services
    from tracelead.organisations.models import Space

    other = org_services.group_create(system=team.system, name="Strict team", space=Space.TEAM)
    make_assessment(other, threshold=5)
    small = make_assessment(team, threshold=3, comment_threshold=3)
    add_responses(small, [4, 4, 4, 4])

    content = text(results(facilitator_client, small))
    assert "Results are shown once at least 5 people have answered." in content
    assert "1 more response is needed." in content
    body = facilitator_client.get(f"/api/v1/assessments/{small.pk}/results").json()
    assert (body["disclosed"], body["threshold"], body["more_needed"]) == (False, 5, 1)


# --- At and above the threshold -------------------------------------------------------------


def test_at_the_threshold_identical_answers_give_mean_four_and_full_sharedness(
    facilitator_client, assessment, add_responses
):
    add_responses(assessment, [4] * 5)

    response = results(facilitator_client, assessment)

    content = text(response)
    assert 'id="below-threshold"' not in content
    assert 'id="profile"' in content
    rows = profile_rows(response)
    assert list(rows) == [NAMES[c] for c in CONDITIONS]
    for name in NAMES.values():
        mean, interval, rwg, n = rows[name]
        assert mean == "4.00"
        assert interval == "4.00 to 4.00"
        assert rwg.startswith("1.00")
        assert "very strong agreement" in rwg
        assert n == "5"


def test_the_profile_matches_condition_profile_on_the_same_answers(
    facilitator_client, assessment, add_responses, trace
):
    rows = [
        {"task": 5, "route": [1, 2, 3, 4, 5, 1, 2], "alignment": 1, "capability": 3, "energy": 4},
        {"task": 4, "route": [5, 4, 3, 2, 1, 5, 4], "alignment": 5, "capability": 3, "energy": 4},
        {"task": 5, "route": 3, "alignment": 1, "capability": 2, "energy": 3},
        {"task": 4, "route": 2, "alignment": 5, "capability": 4, "energy": None},
        {"task": 5, "route": 4, "alignment": 3, "capability": 3, "energy": 5},
        {
            "task": 4,
            "route": [2, None, 2, 2, 2, 2, 2],
            "alignment": 1,
            "capability": 3,
            "energy": 4,
        },
    ]
    answers = [answers_for(trace, row) for row in rows]
    add_responses(assessment, answers)
    matrix = np.array(
        [[np.nan if a[k] is None else float(a[k]) for k in trace.item_keys] for a in answers]
    )
    expected = condition_profile(matrix, trace.item_scale_keys, scale_points=5)

    response = results(facilitator_client, assessment)

    shown = profile_rows(response)
    for key in CONDITIONS:
        result = expected.condition(key)
        mean, interval, rwg, n = shown[NAMES[key]]
        assert mean == f"{result.mean:.2f}"
        # The page cuts the interval at the ends of the 1-5 scale.
        low, high = max(result.ci_low, 1.0), min(result.ci_high, 5.0)
        assert interval == f"{low:.2f} to {high:.2f}"
        assert rwg.split()[0] == f"{result.rwg_j:.2f}"
        assert n == str(result.n)
    # Hand checks of the independent computation: Task is 5,4,5,4,5,4 -> 4.50; Alignment
    # splits between 1 and 5, so it is rated 2.67 and hardly shared.
    assert shown["Task"][0] == "4.50"
    assert shown["Alignment"][0] == "2.67"
    assert float(shown["Alignment"][2].split()[0]) < 0.3 < float(shown["Task"][2].split()[0])
    assert shown["Energy"][3] == "5"
    assert expected.condition("task").ci_high > 5.0  # so the cut above was exercised
    assert shown["Task"][1].endswith("to 5.00")


def test_it_shows_each_items_distribution_with_dont_know_counted_apart(
    facilitator_client, assessment, add_responses, trace
):
    first = trace.items[0]
    rows = []
    for value in [5, 5, 4, 1, None, 5]:
        answers = {key: 3 for key in trace.item_keys}
        answers[first.key] = value
        rows.append(answers)
    add_responses(assessment, rows)

    response = results(facilitator_client, assessment)

    first_row = item_row(response, first.text)
    # counts of 1..5, then "Don't know", then the mean (the cell layout may change)
    assert first_row == ["1", "0", "0", "1", "3", "1", "4.00"]  # (5+5+4+1+5)/5: dk is no number
    assert item_row(response, trace.items[1].text) == ["0", "0", "6", "0", "0", "0", "3.00"]


def test_the_response_rate_is_used_invitations_over_invitations(
    facilitator_client, assessment, add_responses
):
    invitations = services.invitations_create(assessment=assessment, rater_kind="member", count=10)
    for invitation in invitations[:4]:
        invitation.used = True
        invitation.save()
    add_responses(assessment, [3] * 6)  # two more came by the open link

    content = plain(results(facilitator_client, assessment))

    assert "6 responses." in content
    assert "4 of 10 personal links used: a response rate of 40%" in content


def test_below_the_comment_threshold_comments_are_withheld(
    facilitator_client, assessment, add_responses
):
    add_responses(
        assessment, [4] * 9, free_text=[{"one_change": f"Hidden idea {i}"} for i in range(9)]
    )

    content = text(results(facilitator_client, assessment))

    assert 'id="profile"' in content
    assert "Comments are shown once at least 10 people have answered: 1 more needed." in content
    assert "Hidden idea" not in content


def test_at_the_comment_threshold_comments_are_shown(facilitator_client, assessment, add_responses):
    add_responses(
        assessment,
        [4] * 10,
        free_text=[{"one_change": f"Shared idea {i}", "task_statement": "Care"} for i in range(10)],
    )

    content = text(results(facilitator_client, assessment))

    assert "Comments are shown once" not in content
    assert all(f"Shared idea {i}" in content for i in range(10))
    assert content.count("<li>Care</li>") == 10


def test_a_condition_everyone_answered_dont_know_is_hidden_not_an_error(
    facilitator_client, assessment, add_responses, trace
):
    rows = [answers_for(trace, {**dict.fromkeys(CONDITIONS, 4), "energy": None})] * 5
    add_responses(assessment, rows)

    response = results(facilitator_client, assessment)

    shown = profile_rows(response)
    assert shown["Task"][0] == "4.00"
    # Nobody gave Energy a rating: fewer than the threshold, so it is hidden, not zero.
    assert shown["Energy"] == ["Hidden: too few people gave a rating"]


def test_responses_that_are_all_dont_know_hide_every_condition_and_give_no_focus(
    facilitator_client, assessment, add_responses
):
    add_responses(assessment, [None] * 5)

    response = results(facilitator_client, assessment)

    shown = profile_rows(response)
    assert list(shown.values()) == [["Hidden: too few people gave a rating"]] * 5
    assert "Where to focus" not in text(response)


@pytest.mark.parametrize("client_name", ["facilitator_client", "viewer_client"])
def test_members_of_the_system_can_read_the_results(request, assessment, client_name):
    client = request.getfixturevalue(client_name)

    response = client.get(reverse("assessment", args=[assessment.pk]))

    assert response.status_code == 200
    assert assessment.title in text(response)
