"""Reach against targets: the reach page, targets and workforce figures, through HTTP.

The figures come from the small academy of ``reach_story`` (3 people reached of a
200-person workforce, against a target of 5% = 10 people), worked out by hand there.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
import reach_story

from tracelead.academy import selectors
from tracelead.academy.models import (
    Member,
    Target,
    TargetKind,
    WorkforceDimension,
    WorkforceFigure,
)
from tracelead.analysis.reach import reach_forecast
from tracelead.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    """The page's words, without tags, entities or runs of spaces."""
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(words))


@pytest.fixture
def story(academy: Any, hospital: Any, council: Any, charity: Any) -> reach_story.Story:
    return reach_story.build(academy, hospital, council, charity)


def reach_url(story: reach_story.Story) -> str:
    return f"/academy/{story.academy.pk}/reach/"


# --- The reach page -------------------------------------------------------------------


def test_the_facilitator_sees_three_people_reached_of_the_ten_the_target_asks_for(
        facilitator_client: Any, story: reach_story.Story) -> None:
    response = facilitator_client.get(reach_url(story))
    assert response.status_code == 200
    page = text(response)
    by = f"{story.today + dt.timedelta(days=60):%-d %B %Y}"
    assert f"3 people reached of the 10 the target asks for by {by} (30%)." in page
    assert "5% of the workforce: 10 people" in page
    assert "multiplying it by the whole workforce, 200 people" in page
    # Organisations: hospital 2 of 3 reached (66.7%) against 120 of 200 (60.0%):
    # (2/3) / (120/200) = 1.11; the carers' trust has 20 staff and nobody reached.
    assert "Northbrook Hospitals 2 66.7% 120 60.0% 1.11" in page
    assert "Vale Council 1 33.3% 60 30.0% 1.11" in page
    assert "Vale Carers Trust 0 0.0% 20 10.0% 0.00 Nobody reached" in page
    assert "Nobody reached yet from: Vale Carers Trust." in page
    # Staff groups: nursing 1 of 3 against 50 of 100 with a figure: ratio 0.67.
    assert "Nursing and midwifery 1 33.3% 50 50.0% 0.67" in page
    assert "Northbrook 2 66.7% 140 70.0% 0.95" in page
    assert ("Sectors of the system with a workforce but nobody reached yet: VCFSE "
            "(voluntary, community, faith and social enterprise).") in page
    assert "Sectors of the system from which nobody has joined the academy: Housing." in page
    assert "How the forecast is made" in page
    assert "four-fifths rule" in page
    assert 'data-chart="chart-reach-spec"' in response.content.decode()


def test_people_are_counted_in_the_week_they_were_reached_and_forecast_from_that_pace(
        story: reach_story.Story) -> None:
    report = selectors.reach_report(story.academy, target=story.target, today=story.today)
    # Workshop 1 on day 10 (week 1: Asha and Ben), workshop 2 on day 24 (week 3: Chloe);
    # today is day 30 in week 4, 3 of whose 7 days have passed.
    assert [w.new for w in report.weeks] == [0, 2, 0, 1, 0]
    assert [w.cumulative for w in report.weeks] == [0, 2, 2, 3, 3]
    assert report.weeks[1].starts_on == story.today - dt.timedelta(days=23)
    assert report.weeks[-1].ends_on == story.today
    assert report.forecast == reach_forecast([0, 2, 0, 1, 0], reached=3, target=10,
                                             weeks_ahead=60 / 7, current_week_fraction=3 / 7)
    assert report.fan[0].on == story.today and report.fan[-1].on == story.target.by_date
    assert report.fan[-1].expected == pytest.approx(report.forecast.expected)


def test_a_definition_of_two_events_counts_only_asha(story: reach_story.Story) -> None:
    Target.objects.filter(pk=story.target.pk).update(min_events=2)
    story.target.refresh_from_db()
    report = selectors.reach_report(story.academy, target=story.target, today=story.today)
    assert report.reached == 1
    # Asha's second counting event was workshop 2, on day 24: week 3.
    assert [w.new for w in report.weeks] == [0, 0, 0, 1, 0]


def test_events_that_do_not_count_or_were_cancelled_reach_nobody(
        story: reach_story.Story) -> None:
    people = selectors.reached_people(story.academy, starts_on=story.target.starts_on,
                                      until=story.today)
    names = set(Member.objects.filter(pk__in=people.member_ids).values_list("name", flat=True))
    assert names == {"Asha Example", "Ben Example", "Chloe Example"}  # not Ewa: her evening
    # does not count towards reach
    story.events["w2"].cancelled_at = story.events["w2"].starts_at
    story.events["w2"].save()
    people = selectors.reached_people(story.academy, starts_on=story.target.starts_on,
                                      until=story.today)
    assert len(people) == 2  # Chloe came only to workshop 2


def test_a_member_who_left_stays_counted_in_the_reach_already_made(
        story: reach_story.Story) -> None:
    from tracelead.academy import services

    services.member_leave(member=story.members["Chloe"])
    report = selectors.reach_report(story.academy, target=story.target, today=story.today)
    assert report.reached == 3
    by_org = {r.label: r.reached for r in report.breakdowns[0].rows}
    assert by_org["Vale Council"] == 1


def test_an_organisation_far_below_its_share_is_named_under_represented(
        facilitator_client: Any, story: reach_story.Story, hospital: Any) -> None:
    from tracelead.academy.models import CheckIn

    joined = story.members["Asha"].joined_at
    for n in range(30):
        member = Member.objects.create(
            academy=story.academy, name=f"Nurse {n}", email=f"nurse{n}@example.org",
            organisation=hospital, sector=hospital.sector, staff_group="nursing",
            place="Northbrook", joined_at=joined, consented_at=joined)
        CheckIn.objects.create(event=story.events["w1"], member=member, method="list",
                               at=story.events["w1"].starts_at)
    # 33 reached: the council's 60 of 200 would give 33 * 0.3 = 9.9, it has 1. Ratio
    # (1/33) / 0.3 = 0.10, and P(Binomial(33, 0.3) <= 1) is about 0.0002. The carers'
    # trust would have 3.3: too few to judge, so it is missing but not named.
    page = text(facilitator_client.get(reach_url(story)))
    assert ("Under-represented: Vale Council (1 reached where about 10 would be in "
            "proportion to its workforce).") in page
    assert "Vale Council 1 3.0% 60 30.0% 0.10 Under-represented" in page
    assert "Vale Carers Trust 0 0.0% 20 10.0% 0.00 Nobody reached" in page


def test_the_viewer_sees_the_figures_but_no_names_and_no_way_to_change_targets(
        viewer_client: Any, story: reach_story.Story) -> None:
    response = viewer_client.get(reach_url(story))
    assert response.status_code == 200
    page = text(response)
    assert "3 people reached of the 10" in page
    for name in reach_story.NAMES:
        assert name not in page
    assert "Set and change the targets" not in page


def test_someone_from_another_system_finds_no_academy(
        other_facilitator_client: Any, story: reach_story.Story) -> None:
    pk = story.academy.pk
    for url in (f"/academy/{pk}/reach/", f"/academy/{pk}/targets/", f"/academy/{pk}/workforce/",
                f"/academy/{pk}/attendance/", f"/academy/{pk}/report.pdf",
                f"/academy/{pk}/targets/{story.target.pk}/"):
        assert other_facilitator_client.get(url).status_code == 404, url


def test_a_target_of_another_academy_or_a_bad_id_answers_404(
        facilitator_client: Any, story: reach_story.Story, other_system: Any) -> None:
    from tracelead.academy import services

    elsewhere = services.academy_create(system=other_system, name="Southmoor Academy")
    theirs = Target.objects.create(academy=elsewhere, name="Theirs", kind=TargetKind.COUNT,
                                   people=5, starts_on=story.today, by_date=story.today
                                   + dt.timedelta(days=9))
    assert facilitator_client.get(reach_url(story), {"target": theirs.pk}).status_code == 404
    assert facilitator_client.get(reach_url(story), {"target": "x'1"}).status_code == 404
    assert facilitator_client.get(reach_url(story),
                                  {"target": story.target.pk}).status_code == 200


def test_with_no_target_the_page_counts_reach_from_the_first_event(
        facilitator_client: Any, story: reach_story.Story) -> None:
    Target.objects.all().delete()
    page = text(facilitator_client.get(reach_url(story)))
    first = f"{story.today - dt.timedelta(days=20):%-d %B %Y}"
    assert f"3 people have been reached since {first}. Set a target" in page


def test_a_share_target_rounds_up_from_the_sum_of_the_organisations_headcounts(
        story: reach_story.Story, council: Any) -> None:
    WorkforceFigure.objects.filter(organisation=council).update(headcount=61)
    # 5% of 201 = 10.05 people: 11 to reach the share.
    view = selectors.target_view(story.academy, story.target)
    assert (view.workforce_total, view.people) == (201, 11)


def test_a_share_target_with_no_workforce_says_it_cannot_be_turned_into_people(
        facilitator_client: Any, story: reach_story.Story) -> None:
    WorkforceFigure.objects.filter(dimension=WorkforceDimension.ORGANISATION).delete()
    response = facilitator_client.get(reach_url(story))
    assert response.status_code == 200
    assert "no organisation has a workforce figure yet" in text(response)


# --- Targets --------------------------------------------------------------------------


def test_the_facilitator_adds_a_count_target(facilitator_client: Any,
                                             story: reach_story.Story) -> None:
    response = facilitator_client.post(f"/academy/{story.academy.pk}/targets/new/", {
        "name": "First hundred", "kind": "count", "people": "100",
        "starts_on": "2026-01-01", "by_date": "2027-06-30", "min_events": "2"})
    assert response.status_code == 302
    target = Target.objects.get(name="First hundred")
    assert (target.kind, target.people, target.share_percent, target.min_events) == (
        "count", 100, None, 2)
    assert target.by_date == dt.date(2027, 6, 30)


def test_the_facilitator_changes_a_share_target(facilitator_client: Any,
                                                story: reach_story.Story) -> None:
    response = facilitator_client.post(
        f"/academy/{story.academy.pk}/targets/{story.target.pk}/", {
            "name": "Two and a half percent", "kind": "share", "share_percent": "2.5",
            "people": "", "starts_on": "2026-01-01", "by_date": "2027-06-30",
            "min_events": "1"})
    assert response.status_code == 302
    story.target.refresh_from_db()
    assert story.target.share_percent == Decimal("2.50") and story.target.people is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"by_date": "2025-12-31"}, "The target date must be after the day reach is counted from"),
    ({"kind": "share", "share_percent": ""}, "Enter the share of the workforce to reach"),
    ({"kind": "share", "share_percent": "120"}, "Enter a share of at most 100%"),
    ({"people": ""}, "Enter the number of people to reach"),
    ({"people": "-3"}, "Enter the number of people, 1 or more"),
    ({"min_events": "0"}, "Enter 1 or more events"),
    ({"starts_on": "2026-02-30"}, "Enter the day reach is counted from as a real date"),
    ({"kind": "everyone"}, "Choose one of the kinds of target listed"),
])
def test_a_bad_target_is_refused_with_an_error_summary_and_nothing_saved(
        facilitator_client: Any, story: reach_story.Story, changes: dict[str, str],
        message: str) -> None:
    data = {"name": "Bad", "kind": "count", "people": "10", "starts_on": "2026-01-01",
            "by_date": "2027-01-01", "min_events": "1", **changes}
    response = facilitator_client.post(f"/academy/{story.academy.pk}/targets/new/", data)
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page and message in page
    assert not Target.objects.filter(name="Bad").exists()


def test_a_viewer_can_neither_add_nor_remove_a_target(viewer_client: Any,
                                                      story: reach_story.Story) -> None:
    pk = story.academy.pk
    assert viewer_client.post(f"/academy/{pk}/targets/new/", {
        "name": "Mine", "kind": "count", "people": "1", "starts_on": "2026-01-01",
        "by_date": "2027-01-01", "min_events": "1"}).status_code == 403
    assert viewer_client.post(
        f"/academy/{pk}/targets/{story.target.pk}/remove/").status_code == 403
    assert Target.objects.filter(academy=story.academy).count() == 1
    page = text(viewer_client.get(f"/academy/{pk}/targets/"))
    assert "Five percent" in page and "5% of the workforce (10 people)" in page
    assert "Add a target" not in page


def test_the_facilitator_removes_a_target_with_the_button_only(
        facilitator_client: Any, story: reach_story.Story) -> None:
    url = f"/academy/{story.academy.pk}/targets/{story.target.pk}/remove/"
    assert facilitator_client.get(url).status_code == 403
    assert facilitator_client.post(url).status_code == 302
    assert not Target.objects.filter(pk=story.target.pk).exists()


# --- Workforce figures ------------------------------------------------------------------


def test_the_facilitator_enters_and_clears_workforce_figures_on_the_page(
        facilitator_client: Any, story: reach_story.Story, hospital: Any, council: Any,
        charity: Any) -> None:
    url = f"/academy/{story.academy.pk}/workforce/"
    page = facilitator_client.get(url)
    assert page.status_code == 200 and 'value="120"' in page.content.decode()
    response = facilitator_client.post(url, {
        f"org_{hospital.pk}": "6,200".replace(",", ""), f"org_{council.pk}": "900",
        f"org_{charity.pk}": "", "staff_nursing": "2400", "place_0": "5000"})
    assert response.status_code == 302
    figures = {(f.dimension, f.organisation_id, f.key): f.headcount
               for f in WorkforceFigure.objects.filter(academy=story.academy)}
    assert figures == {("organisation", hospital.pk, ""): 6200,
                       ("organisation", council.pk, ""): 900,
                       ("staff_group", None, "nursing"): 2400,
                       ("place", None, "Northbrook"): 5000}
    assert selectors.workforce_total(story.academy) == 7100


def test_a_bad_headcount_is_refused_by_name_and_changes_nothing(
        facilitator_client: Any, story: reach_story.Story, council: Any) -> None:
    url = f"/academy/{story.academy.pk}/workforce/"
    before = list(WorkforceFigure.objects.values_list("pk", "headcount").order_by("pk"))
    response = facilitator_client.post(url, {f"org_{council.pk}": "sixty",
                                             "staff_nursing": "-4"})
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert "Enter the headcount of Vale Council as a whole number, like 1200" in page
    assert "Enter a headcount of 0 or more for Nursing and midwifery" in page
    assert list(WorkforceFigure.objects.values_list("pk", "headcount").order_by("pk")) == before


def test_a_viewer_sees_the_workforce_figures_and_cannot_change_them(
        viewer_client: Any, story: reach_story.Story, council: Any) -> None:
    url = f"/academy/{story.academy.pk}/workforce/"
    page = text(viewer_client.get(url))
    assert "Vale Council 60" in page and "200 people" in page
    assert viewer_client.post(url, {f"org_{council.pk}": "1"}).status_code == 403
    assert viewer_client.get(url + "import/").status_code == 403


def test_a_workforce_file_sets_the_figures_it_names(facilitator_client: Any,
                                                    story: reach_story.Story,
                                                    council: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = (b"Dimension,Name,Headcount\n"
            b"organisation,vale council,75\n"
            b"staff group,Allied health professions,40\n"
            b"profession,pharmacy,12\n"
            b"place,Vale,\"1,500\"\n")
    response = facilitator_client.post(
        f"/academy/{story.academy.pk}/workforce/import/",
        {"file": SimpleUploadedFile("workforce.csv", data, content_type="text/csv")})
    assert response.status_code == 302
    figures = {(f.dimension, f.organisation_id, f.key): f.headcount
               for f in WorkforceFigure.objects.filter(academy=story.academy)}
    assert figures[("organisation", council.pk, "")] == 75
    assert figures[("staff_group", None, "ahp")] == 40
    assert figures[("staff_group", None, "pharmacy")] == 12
    assert figures[("place", None, "Vale")] == 1500
    assert figures[("staff_group", None, "nursing")] == 50  # not in the file: unchanged
    assert AuditEvent.objects.filter(action="changed", system_id=story.academy.system_id,
                                     what__contains="2 added, 2 changed").exists()


def test_a_broken_workforce_file_lists_each_problem_by_line_and_writes_nothing(
        facilitator_client: Any, story: reach_story.Story) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = list(WorkforceFigure.objects.values_list("pk", "headcount").order_by("pk"))
    data = (b"dimension,name,headcount\n"
            b"organisation,Vale Council,80\n"          # fine, but not written either
            b"organisation,Southmoor Trust,10\n"       # not in the system
            b"staff group,astronauts,3\n"              # no such staff group
            b"place,Vale,lots\n"                       # not a number
            b"region,North,5\n"                        # no such dimension
            b"organisation,vale council,81\n"          # given twice
            b"place,Atlantis,4\n")            # not one of the academy's places
    response = facilitator_client.post(
        f"/academy/{story.academy.pk}/workforce/import/",
        {"file": SimpleUploadedFile("workforce.csv", data, content_type="text/csv")})
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page and "Nothing was imported" in page
    for problem in ("line 3, column “name”: is not an organisation of the system",
                    "line 4, column “name”: is not one of the staff groups",
                    "line 5, column “headcount”: must be a whole number",
                    "line 6, column “dimension”: must be organisation, staff group or place",
                    "line 7, column “name”: is already given on line 2",
                    "line 8, column “name”: is not one of the academy's places"):
        assert problem in page
    assert list(WorkforceFigure.objects.values_list("pk", "headcount").order_by("pk")) == before


@pytest.mark.parametrize(("data", "message"), [
    (b"", "Choose a CSV file to upload"),
    (b"name,headcount\nVale Council,3\n", "missing column(s): dimension"),
    (b"\xff\xfe\x00bad", "the file is not UTF-8 text"),
    (b"dimension,name,headcount\n", "the file has no rows under its header"),
])
def test_a_workforce_file_that_cannot_be_read_is_refused(
        facilitator_client: Any, story: reach_story.Story, data: bytes,
        message: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = facilitator_client.post(
        f"/academy/{story.academy.pk}/workforce/import/",
        {"file": SimpleUploadedFile("w.csv", data, content_type="text/csv")} if data else {})
    assert response.status_code == 400
    assert message in text(response)


def test_a_passed_target_date_says_whether_the_target_was_met_by_then(
        facilitator_client: Any, story: reach_story.Story) -> None:
    # By 5 days ago Asha, Ben and Chloe (workshop 2 was 6 days ago) had been reached.
    Target.objects.filter(pk=story.target.pk).update(
        by_date=story.today - dt.timedelta(days=5))
    page = text(facilitator_client.get(reach_url(story)))
    by = f"{story.today - dt.timedelta(days=5):%-d %B %Y}"
    assert (f"The target date has passed: by {by}, 3 people had been reached, so the target "
            "was not met.") in page
    assert "How the forecast is made" not in page


def test_a_target_counted_from_a_day_still_to_come_shows_nothing_yet(
        facilitator_client: Any, story: reach_story.Story) -> None:
    Target.objects.filter(pk=story.target.pk).update(
        starts_on=story.today + dt.timedelta(days=3))
    response = facilitator_client.get(reach_url(story))
    assert response.status_code == 200
    page = text(response)
    assert "0 people reached of the 10" in page and "which has not come yet" in page
    assert "chart-reach-spec" not in response.content.decode()


def test_with_nobody_reached_lately_the_page_says_there_is_no_pace(
        facilitator_client: Any, story: reach_story.Story) -> None:
    # Counting from 200 days ago with a window of 12 weeks: the events of 20 and 6 days
    # ago are in it. Move them back beyond the window: the pace is nil.
    from tracelead.academy.models import Event

    for key in ("w1", "w2"):
        event = story.events[key]
        Event.objects.filter(pk=event.pk).update(
            starts_at=event.starts_at - dt.timedelta(days=120),
            ends_at=event.ends_at - dt.timedelta(days=120))
    Target.objects.filter(pk=story.target.pk).update(
        starts_on=story.today - dt.timedelta(days=200))
    page = text(facilitator_client.get(reach_url(story)))
    assert "3 people reached of the 10" in page
    assert ("Nobody was newly reached in the last 12 weeks (this one so far), so there is no "
            "pace to forecast from.") in page
