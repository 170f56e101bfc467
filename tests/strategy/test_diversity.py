"""Diversity of post-holders against the workforce: the suppression rules on hand-worked
tables, the import (every bad row by line and column, nothing written), the check over
time of post-holders' and workforce counts when a snapshot is published, and what readers
see.

Story: Fran facilitates Northbrook ICS and imports Northbrook Hospitals' figures; Vic
views the system and sees only what Fran published, never a hidden count. The threshold
k is 5 throughout (``DIVERSITY_THRESHOLD``).
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tracelead.analysis.categories import disclose_categories
from tracelead.core.models import AuditEvent
from tracelead.strategy import services
from tracelead.strategy.diversity import (
    BAME,
    DIVERSITY_THRESHOLD,
    diversity_import,
    diversity_publish,
    published_diversity,
)
from tracelead.strategy.models import DiversityFigure, DiversitySnapshot, Strategy

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def _main(response: Any) -> str:
    return _text(response).split("<main")[1].split("</main>")[0]


# --- The rules, on tables worked by hand (k = 5) ------------------------------------------

def _reasons(cells: dict[str, int], k: int = 5) -> dict[str, str]:
    return dict(disclose_categories({"d": cells}, threshold=k).reasons["d"])


def test_one_small_cell_hides_the_next_smallest_too() -> None:
    # 3 of 40 is hidden; alone it would be 40 - 25 - 12 = 3, so 12 is hidden as well.
    assert _reasons({"Female": 25, "Male": 12, "Not stated": 3}) == {
        "Female": "shown", "Male": "complementary", "Not stated": "small"}
    # A zero describes nobody: it stays shown and is never the complementary cell.
    assert _reasons({"A": 10, "B": 0, "C": 3, "D": 7}) == {
        "A": "shown", "B": "shown", "C": "small", "D": "complementary"}
    # Ties go to the first of the smallest.
    assert _reasons({"A": 3, "B": 6, "C": 6}) == {
        "A": "small", "B": "complementary", "C": "shown"}


def test_two_small_cells_are_enough_unless_together_they_are_small() -> None:
    # 3 + 4 = 7 hidden together: at least k, and neither can be solved alone.
    assert _reasons({"A": 3, "B": 4, "C": 20}) == {"A": "small", "B": "small", "C": "shown"}
    # 1 + 2 = 3: the total minus the shown cell would be a count of 3; hide 20 as well.
    assert _reasons({"A": 1, "B": 2, "C": 20}) == {
        "A": "small", "B": "small", "C": "complementary"}
    assert _reasons({"A": 0, "B": 12, "C": 8}) == dict.fromkeys("ABC", "shown")


def test_a_total_under_k_hides_the_total_and_every_cell_zeros_included() -> None:
    decision = disclose_categories({"sex": {"Female": 2, "Male": 1, "Not stated": 0},
                                    "age": {"Under 40": 3, "40 and over": 0}}, threshold=5)
    assert decision.total_shown == {"sex": False, "age": False}
    assert set(decision.reasons["sex"].values()) == {"small_total"}
    assert set(decision.reasons["age"].values()) == {"small_total"}
    shown = disclose_categories({"sex": {"Female": 4, "Male": 1}}, threshold=5)
    assert shown.total_shown == {"sex": True}  # 5 is at least k; both cells are small
    assert set(shown.reasons["sex"].values()) == {"small"}


@pytest.mark.parametrize(("table", "message"), [
    ({}, "table must map each dimension"),
    ({"sex": {}}, "table['sex'] must map each category"),
    ({"sex": {"Female": -1}}, "whole number of people"),
    ({"sex": {"Female": True}}, "whole number of people"),
    ({"sex": {"Female": 2.5}}, "whole number of people"),
])
def test_bad_tables_are_refused_by_name(table: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        disclose_categories(table, threshold=5)
    with pytest.raises(ValueError, match="threshold must be an integer of at least 1"):
        disclose_categories({"sex": {"Female": 5}}, threshold=0)


@given(cells=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6),
       k=st.integers(min_value=1, max_value=12))
def test_no_hidden_cell_or_group_of_them_is_a_small_count_by_subtraction(
        cells: list[int], k: int) -> None:
    table = {f"c{n}": count for n, count in enumerate(cells)}
    decision = disclose_categories({"d": table}, threshold=k)
    hidden = [c for c, reason in decision.reasons["d"].items() if reason != "shown"]
    total = sum(cells)
    assert decision.total_shown["d"] == (total >= k)
    for category, count in table.items():
        if 0 < count < k:
            assert category in hidden
    if decision.total_shown["d"]:
        # With the total shown, the hidden cells' sum is published by subtraction: it must
        # not single out one cell, nor be a count of 1 to k-1 people.
        assert len(hidden) != 1
        assert sum(table[c] for c in hidden) == 0 or sum(table[c] for c in hidden) >= k


def test_over_time_a_change_of_one_to_k_minus_one_in_a_shown_count_is_found() -> None:
    before = {"sex": {"Female": 25, "Male": 12, "Not stated": 0}}
    one_more = disclose_categories({"sex": {"Female": 26, "Male": 12, "Not stated": 0}},
                                   threshold=5, earlier=[before])
    assert [(c.category, c.before, c.after) for c in one_more.small_changes] == [
        ("Female", 25, 26), (None, 37, 38)]
    assert not one_more.publishable
    five_more = disclose_categories({"sex": {"Female": 30, "Male": 12, "Not stated": 0}},
                                    threshold=5, earlier=[before])
    assert five_more.publishable
    # A count hidden in either table is not compared; the total still is.
    hidden_before = {"sex": {"Female": 25, "Male": 3, "Not stated": 0}}
    moved = disclose_categories({"sex": {"Female": 25, "Male": 4, "Not stated": 0}},
                                threshold=5, earlier=[hidden_before])
    assert [(c.category, c.change) for c in moved.small_changes] == [(None, 1)]


# --- Import ------------------------------------------------------------------------------

# Northbrook Hospitals: 111 post-holders in a workforce of 5,000.
GOOD = """dimension,category,holders,workforce
sex,Female,61,3900
sex,Male,47,1098
sex,Not stated,3,2
ethnicity,White,80,3500
ethnicity,"Black, Asian and minority ethnic",31,1450
ethnicity,Not stated,0,50
disability,Disabled,9,250
disability,Not disabled,90,4300
disability,Not stated,12,450
age band,Under 40,20,2000
age band,40 to 54,60,1900
age band,55 and over,31,1100
"""


def _changed(**moves: int) -> str:
    """GOOD with some categories' holders moved (``Female=1`` adds one female holder)."""
    lines = GOOD.splitlines()
    for category, by in moves.items():
        name = category.replace("_", " ")
        for n, line in enumerate(lines):
            parts = line.rsplit(",", 2)
            if parts[0].endswith("," + name) or parts[0].endswith(f',"{name}"'):
                lines[n] = f"{parts[0]},{int(parts[1]) + by},{parts[2]}"
    return "\n".join(lines) + "\n"


@pytest.fixture
def strategy(organisation: Any) -> Strategy:
    return services.strategy_create(organisation=organisation)


def _upload(client: Client, organisation: Any, content: str, *, as_of: str = "2026-03-01"
            ) -> Any:
    return client.post(reverse("strategy_diversity_import", args=[organisation.pk]), {
        "as_of": as_of, "file": SimpleUploadedFile("diversity.csv", content.encode())})


@pytest.mark.parametrize(("content", "message"), [
    ("", "The file is empty"),
    ("dimension,category,holders\nsex,Female,3\n",
     "line 1: the first row must name the columns; missing: workforce"),
    ("dimension,category,holders,workforce\n",
     "The file has column headings but no figures."),
    (GOOD.replace("sex,Male,47,1098", "sex,Male,forty,1098"),
     "line 3, column “holders”: must be a whole number from 0 to 1,000,000"),
    (GOOD.replace("sex,Male,47,1098", "sex,Male,47,-1"),
     "line 3, column “workforce”: starts like a formula"),
    (GOOD.replace("ethnicity,Not stated", "ethnicity,Mixed"),
     "line 7, column “category”: “Mixed” is not a category of ethnicity: White, Black, "
     "Asian and minority ethnic or Not stated"),
    (GOOD.replace("disability,Disabled", "religion,Disabled"),
     "line 8, column “dimension”: “religion” is not one of the dimensions: sex, ethnicity, "
     "disability or age band"),
    (GOOD + "Sex,female,1,1\n",
     "line 14, column “category”: sex “Female” is on line 2 too"),
    ("\n".join(line for line in GOOD.splitlines() if not line.startswith("age")),
     "The file has no rows for age band"),
    (GOOD.replace("age band,Under 40,20", "age band,Under 40,22"),
     "The post-holders of age band add up to 113 but those of sex to 111"),
])
def test_a_broken_file_is_reported_by_line_and_column_and_nothing_is_written(
        facilitator: Any, organisation: Any, strategy: Strategy, content: str,
        message: str) -> None:
    response = _upload(_client(facilitator), organisation, content)
    assert response.status_code == 400
    text = _text(response)
    assert message in text
    assert "There is a problem" in text
    assert not DiversitySnapshot.objects.exists() and not DiversityFigure.objects.exists()


def test_every_problem_of_a_file_is_listed_at_once(
        facilitator: Any, organisation: Any, strategy: Strategy) -> None:
    broken = GOOD.replace("sex,Male,47,1098", "sex,Men,lots,1098").replace(
        "ethnicity,Not stated", "ethnicity,Mixed").replace("disability,Disabled,9,250",
                                                           "disability,Disabled,9,many")
    text = _text(_upload(_client(facilitator), organisation, broken))
    assert "line 3, column “holders”: must be a whole number" in text
    assert "line 7, column “category”: “Mixed” is not a category" in text
    assert "line 8, column “workforce”: must be a whole number" in text
    assert not DiversitySnapshot.objects.exists()


def test_the_date_is_required_and_not_in_the_future(
        facilitator: Any, organisation: Any, strategy: Strategy) -> None:
    fran = _client(facilitator)
    for as_of, message in (("", "Enter the date the figures are for"),
                           ("2099-01-01", "The date cannot be in the future"),
                           ("31/02/2026", "Enter a real date")):
        response = _upload(fran, organisation, GOOD, as_of=as_of)
        assert response.status_code == 400 and message in _text(response), as_of
    assert not DiversitySnapshot.objects.exists()


def test_an_import_makes_a_draft_that_only_facilitators_see(
        facilitator: Any, viewer: Any, organisation: Any, strategy: Strategy) -> None:
    fran = _client(facilitator)
    done = _upload(fran, organisation, GOOD.replace("holders", "Post-holders") + "\n")
    assert done.status_code == 200, _text(done)
    assert "Imported the figures as of 1 March 2026 as a draft" in _text(done)
    draft = DiversitySnapshot.objects.get()
    assert draft.published_at is None and draft.figures.count() == 13
    assert draft.figures.get(dimension="age", category="Not stated").holders == 0
    assert AuditEvent.objects.filter(what__startswith="Imported the diversity figures").exists()

    url = reverse("strategy_diversity", args=[organisation.pk])
    vic = _main(_client(viewer).get(url))
    assert "No figures are published yet." in vic and "Draft" not in vic and "61" not in vic
    assert _client(viewer).get(url + f"?snapshot={draft.pk}").status_code == 404
    fran_page = _main(fran.get(url))
    assert "Draft: as of 1 March 2026" in fran_page and "It can be published" in fran_page

    again = _upload(fran, organisation, GOOD, as_of="2026-03-02")
    assert "They replace the earlier draft" in _text(again)
    assert DiversitySnapshot.objects.get().as_of.isoformat() == "2026-03-02"


# --- Publishing and reading ---------------------------------------------------------------

def test_publishing_is_refused_when_one_holder_was_added_and_allowed_at_k(
        facilitator: Any, viewer: Any, organisation: Any, strategy: Strategy) -> None:
    fran = _client(facilitator)
    first = diversity_import(strategy=strategy, data=GOOD.encode(), filename="a.csv",
                             as_of=_date("2026-03-01")).snapshot
    assert first is not None
    publish = reverse("strategy_diversity_publish", args=[organisation.pk, first.pk])
    assert _client(viewer).post(publish).status_code == 404
    assert fran.get(publish).status_code == 403
    assert fran.post(publish).status_code == 302
    first.refresh_from_db()
    assert first.published_at is not None
    assert AuditEvent.objects.filter(
        what__startswith="Published the diversity figures as of 2026-03-01").exists()

    # One more female, white, not disabled post-holder aged 40 to 54: 112 in all.
    one_more = _changed(Female=1, White=1, Not_disabled=1, **{"40 to 54": 1})
    second = diversity_import(strategy=strategy, data=one_more.encode(), filename="b.csv",
                              as_of=_date("2026-06-01")).snapshot
    assert second is not None
    page = fran.get(reverse("strategy_diversity", args=[organisation.pk]))
    assert "It cannot be published yet" in _text(page)
    refused = fran.post(reverse("strategy_diversity_publish",
                                args=[organisation.pk, second.pk]))
    assert refused.status_code == 400
    text = _text(refused)
    assert "There is a problem" in text and "Not published" in text
    assert ("Sex “Female”: 61 post-holders in the snapshot of 1 March 2026, 62 in this one "
            "(1 person).") in text
    assert "Ethnicity “White”: 80 post-holders" in text
    assert "Age band “40 to 54”: 60 post-holders" in text
    assert ("The number of post-holders went from 111 in the snapshot of 1 March 2026 to "
            "112 (1 person).") in text
    assert text.count("The number of post-holders went from") == 1
    # Male (47) is hidden in both snapshots, so it is never named.
    assert "Male”" not in text
    second.refresh_from_db()
    assert second.published_at is None

    # Five more in each: the differences are at least k, so it may be published.
    five_more = _changed(Female=5, White=5, Not_disabled=5, **{"40 to 54": 5})
    third = diversity_import(strategy=strategy, data=five_more.encode(), filename="c.csv",
                             as_of=_date("2026-09-01")).snapshot
    assert third is not None and not DiversitySnapshot.objects.filter(pk=second.pk).exists()
    assert fran.post(reverse("strategy_diversity_publish",
                             args=[organisation.pk, third.pk])).status_code == 302
    # Published figures never change: publishing again is refused, importing makes a draft.
    again = fran.post(reverse("strategy_diversity_publish", args=[organisation.pk, third.pk]),
                      follow=True)
    assert "already published" in _text(again)
    diversity_import(strategy=strategy, data=GOOD.encode(), filename="d.csv",
                     as_of=_date("2026-10-01"))
    assert list(DiversityFigure.objects.filter(snapshot=first).order_by("id").values_list(
        "holders", flat=True)) == [61, 47, 3, 80, 31, 0, 9, 90, 12, 20, 60, 31, 0]

    # Vic reads the latest, with the earlier one listed.
    vic = _main(_client(viewer).get(reverse("strategy_diversity", args=[organisation.pk])))
    assert "As of 1 September 2026" in vic and "Draft" not in vic
    assert f'href="?snapshot={first.pk}">1 March 2026' in vic


def _staff_moved(moves: dict[tuple[str, str], int]) -> str:
    """GOOD with some cells' workforce moved: ``{("disability", "Disabled"): 1}`` adds one
    disabled member of staff (post-holders unchanged)."""
    lines = GOOD.splitlines()
    for (dimension, category), by in moves.items():
        for n, line in enumerate(lines):
            head, holders, workforce = line.rsplit(",", 2)
            if head in (f"{dimension},{category}", f'{dimension},"{category}"'):
                lines[n] = f"{head},{holders},{int(workforce) + by}"
    return "\n".join(lines) + "\n"


def _publish_good(strategy: Strategy) -> DiversitySnapshot:
    first = diversity_import(strategy=strategy, data=GOOD.encode(), filename="a.csv",
                             as_of=_date("2026-03-01")).snapshot
    assert first is not None
    return diversity_publish(snapshot=first)


def test_publishing_is_refused_when_one_member_of_staff_moved_category(
        facilitator: Any, organisation: Any, strategy: Strategy) -> None:
    _publish_good(strategy)
    # The same post-holders; one member of staff went from "Not stated" to "Disabled"
    # (250 -> 251, 450 -> 449). The workforce total is unchanged, 5,000.
    moved = _staff_moved({("disability", "Disabled"): 1, ("disability", "Not stated"): -1})
    second = diversity_import(strategy=strategy, data=moved.encode(), filename="b.csv",
                              as_of=_date("2026-06-01")).snapshot
    assert second is not None
    fran = _client(facilitator)
    page = _main(fran.get(reverse("strategy_diversity", args=[organisation.pk])))
    assert "It cannot be published yet" in page
    refused = fran.post(reverse("strategy_diversity_publish",
                                args=[organisation.pk, second.pk]))
    assert refused.status_code == 400
    text = _text(refused)
    assert "There is a problem" in text and "Not published" in text
    assert ("Disability “Disabled”: 250 staff in the workforce in the snapshot of 1 March "
            "2026, 251 in this one (1 person).") in text
    assert ("Disability “Not stated”: 450 staff in the workforce in the snapshot of 1 March "
            "2026, 449 in this one (1 person).") in text
    assert "The number of staff in the workforce went from" not in text
    assert "post-holders in the snapshot of" not in text  # no post-holders' count moved
    with pytest.raises(ValidationError) as error:
        diversity_publish(snapshot=second)
    assert len(error.value.messages) == 2
    second.refresh_from_db()
    assert second.published_at is None


def test_publishing_is_refused_when_the_workforce_total_moved_by_fewer_than_k(
        strategy: Strategy) -> None:
    _publish_good(strategy)
    # Three more staff, each dimension's count moved by at least k except the total:
    # Female +8 and Male -5; White +8 and BAME -5; and so on (5,000 -> 5,003).
    moves = {("sex", "Female"): 8, ("sex", "Male"): -5,
             ("ethnicity", "White"): 8, ("ethnicity", BAME): -5,
             ("disability", "Not disabled"): 8, ("disability", "Disabled"): -5,
             ("age band", "Under 40"): 8, ("age band", "40 to 54"): -5}
    second = diversity_import(strategy=strategy, data=_staff_moved(moves).encode(),
                              filename="b.csv", as_of=_date("2026-06-01")).snapshot
    assert second is not None
    with pytest.raises(ValidationError) as error:
        diversity_publish(snapshot=second)
    # The total is named once, though every dimension shows it.
    assert error.value.messages == [
        "The number of staff in the workforce went from 5,000 in the snapshot of 1 March "
        "2026 to 5,003 (3 people)."]


def test_publishing_is_allowed_when_every_changed_workforce_count_moved_by_k_or_more(
        facilitator: Any, organisation: Any, strategy: Strategy) -> None:
    _publish_good(strategy)
    # Five from "Not stated" to "Disabled", and ten more staff under 40 in post
    # (5,000 -> 5,010), counted in every dimension.
    moves = {("disability", "Disabled"): 5, ("disability", "Not stated"): -5,
             ("sex", "Female"): 10, ("ethnicity", "White"): 10,
             ("disability", "Not disabled"): 10, ("age band", "Under 40"): 10}
    second = diversity_import(strategy=strategy, data=_staff_moved(moves).encode(),
                              filename="b.csv", as_of=_date("2026-06-01")).snapshot
    assert second is not None
    page = _main(_client(facilitator).get(reverse("strategy_diversity",
                                                  args=[organisation.pk])))
    assert "It can be published" in page
    diversity_publish(snapshot=second)
    second.refresh_from_db()
    assert second.published_at is not None
    assert second.figures.get(dimension="disability", category="Disabled").workforce == 255


def _date(text: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(text)


def test_a_reader_never_sees_a_hidden_count(
        viewer: Any, organisation: Any, strategy: Strategy) -> None:
    snapshot = diversity_import(strategy=strategy, data=GOOD.encode(), filename="a.csv",
                                as_of=_date("2026-03-01")).snapshot
    assert snapshot is not None
    diversity_publish(snapshot=snapshot)
    page = _main(_client(viewer).get(reverse("strategy_diversity", args=[organisation.pk])))
    sex = page.split('id="published-sex"')[1].split("</table>")[0]
    # Not stated (3 holders, 2 staff) is small; Male (47 holders, 1,098 staff) is hidden
    # with it. Neither number, nor a share that would give it away, is on the page.
    male = sex.split("Male</th>")[1].split("</tr>")[0]
    not_stated = sex.split("Not stated</th>")[1].split("</tr>")[0]
    for row in (male, not_stated):
        assert row.count("hidden") == 2 and "%" not in row
    for secret in ("47", "1,098", "1098", "42.3%"):
        assert secret not in page, secret
    assert "22.0%" not in sex  # 1,098 of 5,000 (the age band's 1,100 of 5,000 is shown)
    female = sex.split("Female</th>")[1].split("</tr>")[0]
    # 61 of 111 = 55.0%; 3,900 of 5,000 = 78.0%; 55.0 - 78.0 = -23.0 points.
    assert "61" in female and "55.0%" in female and "3,900" in female
    assert "78.0%" in female and "-23.0" in female
    totals = page.split('id="published-sex-totals"')[1].split("</p>")[0]
    assert "111 post-holders, 5,000 staff" in totals
    assert "Hidden: a count of fewer than 5 people" in page


def test_published_diversity_gives_the_board_report_the_shown_table(
        organisation: Any, strategy: Strategy) -> None:
    assert published_diversity(strategy) is None
    snapshot = diversity_import(strategy=strategy, data=GOOD.encode(), filename="a.csv",
                                as_of=_date("2026-03-01")).snapshot
    assert snapshot is not None
    assert published_diversity(strategy) is None  # a draft is not for the board
    diversity_publish(snapshot=snapshot)
    table = published_diversity(strategy)
    assert table is not None and table.threshold == DIVERSITY_THRESHOLD == 5
    by_key = {d.key: d for d in table.dimensions}
    assert list(by_key) == ["sex", "ethnicity", "disability", "age"]
    sex = {r.category: r for r in by_key["sex"].rows}
    assert (sex["Male"].holders, sex["Male"].workforce) == (None, None)
    assert (sex["Not stated"].holders, sex["Not stated"].holders_share) == (None, None)
    ethnicity = {r.category: r for r in by_key["ethnicity"].rows}
    bame = ethnicity["Black, Asian and minority ethnic"]
    # 31 / 111 = 0.279279...; 1,450 / 5,000 = 0.29; difference -1.072 points.
    assert bame.holders_share == pytest.approx(31 / 111, abs=1e-12)
    assert bame.workforce_share == pytest.approx(0.29, abs=1e-12)
    assert bame.difference == pytest.approx(-1.0720720720, abs=1e-9)
    assert ethnicity["Not stated"].holders == 0  # a zero is shown
    assert by_key["age"].holders_total == 111 and by_key["age"].workforce_total == 5000
