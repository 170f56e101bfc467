"""The results page of an assessment: counts only while a round is open, figures once
they are published, and nothing of a round below its threshold.

Expected figures are computed independently in each test: by hand for simple matrices,
and with :func:`tracelead.analysis.condition_profile` on a matrix the test builds itself.
Figures are read after ``close_and_publish`` (the round's close makes the publication) or a
publishing point; a test of the open state publishes nothing.
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
from tracelead.organisations import services as org_services
from tracelead.organisations.models import Space
from tracelead.publishing.models import Publication
from tracelead.reports.selectors import WITHHELD_SENTENCE

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


def section(response, element_id: str) -> str:
    """The words of the element with this id (a div or p without nested divs)."""
    content = response.content.decode()
    match = re.search(rf'<(div|p) [^>]*id="{element_id}".*?</\1>', content, re.S)
    assert match, f"no #{element_id} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


def publish_now(client, assessment):
    """A facilitator's publishing point, through the page; returns the page it leads to."""
    response = client.post(
        reverse("assessment_publish", args=[assessment.pk]), follow=True
    )
    assert response.redirect_chain == [(reverse("assessment", args=[assessment.pk]), 302)]
    return response


FIGURES_HIDDEN = ('id="profile"', 'id="response-count"', "tl-items", "Where to focus",
                  "wg(j)", 'id="comments-withheld"')


# --- While the round is open: counts only, and no count below the threshold ---------------


def test_while_open_the_page_shows_no_figures_and_no_count_below_the_threshold(
    facilitator_client, assessment, add_responses, trace
):
    add_responses(
        assessment,
        [4, 2, 5, 4],
        free_text=[{"one_change": f"Secret comment {i}"} for i in range(4)],
    )

    response = results(facilitator_client, assessment)

    content = text(response)
    assert section(response, "progress") == "Fewer than 5 responses so far."
    assert 'id="not-published"' in content
    assert 'id="publish-form"' in content  # the facilitator may publish early...
    assert not Publication.objects.exists()  # ...but reading the page published nothing
    for hidden in FIGURES_HIDDEN:
        assert hidden not in content
    assert "Secret comment" not in content
    assert trace.items[0].text not in content
    for figure in ("3.75", "4.00", "2.00", "5.00"):
        assert figure not in content
    assert not re.search(r"\b4 (responses|people)\b", plain(response))
    assert "more" not in section(response, "not-published")


def test_below_the_threshold_the_open_page_reads_the_same_whatever_the_count(
    facilitator_client, assessment, add_responses
):
    """A count that moved by one would say that someone has just answered."""
    seen = set()
    for _ in range(5):
        seen.add(section(results(facilitator_client, assessment), "not-published"))
        add_responses(assessment, [3])

    assert len(seen) == 1
    assert "Fewer than 5 responses so far." in seen.pop()


def test_while_open_at_the_threshold_the_page_shows_the_count_and_rate_but_no_figures(
    facilitator_client, assessment, add_responses
):
    services.invitations_create(assessment=assessment, rater_kind="member", count=10)
    add_responses(
        assessment, [4] * 5, free_text=[{"one_change": f"Early idea {i}"} for i in range(5)]
    )

    response = results(facilitator_client, assessment)

    content = text(response)
    assert section(response, "progress") == (
        "5 responses so far (50% of those sent a personal link)."
    )
    for hidden in FIGURES_HIDDEN:
        assert hidden not in content
    assert "Early idea" not in content
    add_responses(assessment, [4])
    assert section(results(facilitator_client, assessment), "progress").startswith(
        "6 responses so far"
    )


# --- Published below the threshold ----------------------------------------------------


def test_below_the_threshold_the_published_report_shows_the_withheld_wording_and_no_numbers(
    facilitator_client, assessment, add_responses, trace, close_and_publish
):
    add_responses(
        assessment,
        [4, 2, 5],
        free_text=[{"one_change": f"Secret comment {i}"} for i in range(3)],
    )
    publication = close_and_publish(assessment)

    response = results(facilitator_client, assessment)

    content = text(response)
    assert publication.number == 1
    assert section(response, "below-threshold") == (
        f"These results are not shown {WITHHELD_SENTENCE}"
    )
    for hidden in (*FIGURES_HIDDEN, 'id="not-published"', 'id="progress"', 'id="publish-form"'):
        assert hidden not in content
    assert "Secret comment" not in content
    assert trace.items[0].text not in content
    for figure in ("3.67", "4.00", "2.00", "5.00"):
        assert figure not in content
    assert not re.search(r"\b3 (responses|people)\b", plain(response))
    assert "more" not in section(response, "below-threshold")


def test_a_round_hidden_to_protect_a_smaller_group_reads_the_same_as_one_with_too_few(
    facilitator_client, system, organisation, make_assessment, add_responses, close_and_publish
):
    """Ward 6 (six answers) beside Ward 9 (two) under one directorate: showing the
    directorate and Ward 6 would give Ward 9 by subtraction, so one of them is withheld,
    and a withheld round must not say which of the two reasons applies."""
    directorate = org_services.group_create(
        system=system, organisation=organisation, name="Medicine", space=Space.ORGANISATION
    )
    wards = [
        org_services.group_create(system=system, organisation=organisation, name=name,
                                  space=Space.TEAM, parent=directorate)
        for name in ("Ward 6", "Ward 9")
    ]
    big = make_assessment(wards[0])
    small = make_assessment(wards[1], cycle=big.cycle)
    add_responses(big, [4, 5, 3, 4, 2, 5])
    add_responses(small, [1, 2])
    close_and_publish(big, small)

    big_page = results(facilitator_client, big)
    small_page = results(facilitator_client, small)

    assert section(big_page, "below-threshold") == section(small_page, "below-threshold")
    for page in (big_page, small_page):
        for hidden in FIGURES_HIDDEN:
            assert hidden not in text(page)
        assert not re.search(r"\b[26] (responses|people)\b", plain(page))


# --- Published at and above the threshold -------------------------------------------------


def test_at_the_threshold_identical_answers_give_mean_four_and_full_sharedness(
    facilitator_client, assessment, add_responses, close_and_publish
):
    add_responses(assessment, [4] * 5)
    close_and_publish(assessment)

    response = results(facilitator_client, assessment)

    content = text(response)
    assert 'id="below-threshold"' not in content
    assert 'id="not-published"' not in content
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
    assert "(publication 1)" in section(response, "publication-note")


def test_the_profile_matches_condition_profile_on_the_same_answers(
    facilitator_client, assessment, add_responses, trace, close_and_publish
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
    close_and_publish(assessment)
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
    facilitator_client, assessment, add_responses, trace, close_and_publish
):
    first = trace.items[0]
    rows = []
    for value in [5, 5, 4, 1, None, 5]:
        answers = {key: 3 for key in trace.item_keys}
        answers[first.key] = value
        rows.append(answers)
    add_responses(assessment, rows)
    close_and_publish(assessment)

    response = results(facilitator_client, assessment)

    first_row = item_row(response, first.text)
    # counts of 1..5, then "Don't know", then the mean (the cell layout may change)
    assert first_row == ["1", "0", "0", "1", "3", "1", "4.00"]  # (5+5+4+1+5)/5: dk is no number
    assert item_row(response, trace.items[1].text) == ["0", "0", "6", "0", "0", "0", "3.00"]


def test_the_response_rate_is_the_published_count_over_the_invitations(
    facilitator_client, assessment, add_responses, close_and_publish
):
    invitations = services.invitations_create(assessment=assessment, rater_kind="member", count=10)
    for invitation in invitations[:4]:
        invitation.used = True
        invitation.save()
    add_responses(assessment, [3] * 6)  # two more came by the open link
    close_and_publish(assessment)

    response = results(facilitator_client, assessment)

    assert section(response, "response-count") == (
        "6 people answered. That is 60% of the 10 people sent a personal link."
    )
    # Nothing counts the links used: that is per-person status, for the system only.
    assert "used" not in plain(response)
    assert "40%" not in plain(response)


def test_below_the_comment_threshold_comments_are_withheld_without_a_count(
    facilitator_client, assessment, add_responses, close_and_publish
):
    add_responses(
        assessment, [4] * 9, free_text=[{"one_change": f"Hidden idea {i}"} for i in range(9)]
    )
    close_and_publish(assessment)

    response = results(facilitator_client, assessment)

    assert 'id="profile"' in text(response)
    assert section(response, "comments-withheld") == (
        "Comments are shown once at least 10 people have answered."
    )
    assert "Hidden idea" not in text(response)
    assert "more needed" not in text(response)


def test_at_the_comment_threshold_comments_are_shown(
    facilitator_client, assessment, add_responses, close_and_publish
):
    add_responses(
        assessment,
        [4] * 10,
        free_text=[{"one_change": f"Shared idea {i}", "task_statement": "Care"} for i in range(10)],
    )
    close_and_publish(assessment)

    content = text(results(facilitator_client, assessment))

    assert "Comments are shown once" not in content
    assert all(f"Shared idea {i}" in content for i in range(10))
    assert content.count("<li>Care</li>") == 10


def test_a_condition_everyone_answered_dont_know_is_hidden_not_an_error(
    facilitator_client, assessment, add_responses, trace, close_and_publish
):
    rows = [answers_for(trace, {**dict.fromkeys(CONDITIONS, 4), "energy": None})] * 5
    add_responses(assessment, rows)
    close_and_publish(assessment)

    response = results(facilitator_client, assessment)

    shown = profile_rows(response)
    assert shown["Task"][0] == "4.00"
    # Nobody gave Energy a rating: fewer than the threshold, so it is hidden, not zero.
    assert shown["Energy"] == ["Hidden: too few people gave a rating"]


def test_responses_that_are_all_dont_know_hide_every_condition_and_give_no_focus(
    facilitator_client, assessment, add_responses, close_and_publish
):
    add_responses(assessment, [None] * 5)
    close_and_publish(assessment)

    response = results(facilitator_client, assessment)

    shown = profile_rows(response)
    assert list(shown.values()) == [["Hidden: too few people gave a rating"]] * 5
    assert "Where to focus" not in text(response)


def test_a_rounds_threshold_is_its_cycles_whatever_other_rounds_ask(
    facilitator_client, team, make_assessment, add_responses, close_and_publish
):
    """A strict round (8) of another group, in another cycle, does not hold back a round
    whose cycle asks 3: the page and the API both say 3, and both show the figures."""
    other = org_services.group_create(system=team.system, name="Strict team", space=Space.TEAM)
    strict = make_assessment(other, threshold=8, comment_threshold=8)
    small = make_assessment(team, threshold=3, comment_threshold=3)
    add_responses(strict, [2] * 7)
    add_responses(small, [4, 4, 4, 4])
    close_and_publish(strict, small)

    response = results(facilitator_client, small)
    assert "Figures from 3 responses, comments from 3" in plain(response)
    assert [row[3] for row in profile_rows(response).values()] == ["4"] * 5
    body = facilitator_client.get(f"/api/v1/assessments/{small.pk}/results").json()
    assert (body["state"], body["threshold"], body["n_responses"]) == ("shown", 3, 4)
    strict_page = results(facilitator_client, strict)
    assert "Figures from 8 responses" in plain(strict_page)
    assert 'id="below-threshold"' in text(strict_page)


# --- Publishing points ---------------------------------------------------------------


def test_a_publishing_point_is_refused_below_the_threshold_and_changes_nothing(
    facilitator_client, assessment, add_responses
):
    add_responses(assessment, [4] * 4)

    response = publish_now(facilitator_client, assessment)

    content = plain(response)
    assert "At least 5 responses are needed before this round's results can be published." \
        in content
    assert not Publication.objects.exists()
    assert 'id="not-published"' in text(response)
    assert 'id="profile"' not in text(response)


def test_a_publishing_point_with_enough_responses_shows_figures_that_then_stay(
    facilitator_client, facilitator, assessment, add_responses
):
    from tracelead.core.models import AuditEvent

    add_responses(assessment, [4] * 5)

    response = publish_now(facilitator_client, assessment)

    assert f"Published as publication 1 of {assessment.cycle.name}." in plain(response)
    assert assessment.status == "open"
    assert [row[3] for row in profile_rows(response).values()] == ["5"] * 5
    assert section(response, "response-count") == "5 people answered."
    publication = Publication.objects.get()
    assert (publication.kind, publication.created_by) == ("point", facilitator)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PUBLISHED,
                                     assessment_id=assessment.pk).count() == 1

    # Four more arrive: fewer than a threshold's worth, so a second point is refused and
    # the published figures stay as they were.
    add_responses(assessment, [1] * 4)
    again = publish_now(facilitator_client, assessment)

    assert (
        "At least 5 new responses must arrive after the last publication before this round "
        "can be published again"
    ) in plain(again)
    assert Publication.objects.count() == 1
    assert [row[0] for row in profile_rows(again).values()] == ["4.00"] * 5
    assert section(again, "response-count") == "5 people answered."


def test_a_viewer_cannot_make_a_publishing_point(viewer_client, assessment, add_responses):
    add_responses(assessment, [4] * 5)

    page = results(viewer_client, assessment)
    response = viewer_client.post(reverse("assessment_publish", args=[assessment.pk]))

    assert 'id="publish-form"' not in text(page)
    assert response.status_code == 403
    assert not Publication.objects.exists()


@pytest.mark.parametrize("client_name", ["facilitator_client", "viewer_client"])
def test_members_of_the_system_can_read_the_results(request, assessment, client_name):
    client = request.getfixturevalue(client_name)

    response = client.get(reverse("assessment", args=[assessment.pk]))

    assert response.status_code == 200
    assert assessment.title in text(response)
