"""A member records their own ties through their personal link: Priya searches for people
she knew before joining, says whom she met at a workshop she came to, marks a tie that
became joint work, and takes back a tie she recorded. Tom and Ann are members from other
organisations; Sharon has left the academy."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tracelead.academy import services as academy_services
from tracelead.academy.models import CheckInMethod, Member
from tracelead.network.forms import SEARCH_LIMIT
from tracelead.network.models import Connection, ConnectionKind, ConnectionSource

pytestmark = pytest.mark.django_db

def shown(member: Any, pks: list[int]) -> dict[str, Any]:
    """The picker's form as a search would have drawn it for these people: their ids, and
    the signed list of whom the search showed (only they may be ticked)."""
    from tracelead.network.member_views import _shown_token

    return {"people": pks, "shown": _shown_token(member, list(Member.objects.filter(pk__in=pks)))}



def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def priya(make_member: Any) -> Any:
    return make_member("Priya Shah")


@pytest.fixture
def tom(make_member: Any, council: Any) -> Any:
    return make_member("Tom Shaw", organisation=council)


@pytest.fixture
def ann(make_member: Any, charity: Any) -> Any:
    return make_member("Ann Lee", organisation=charity)


@pytest.fixture
def sharon(make_member: Any) -> Any:
    """A member who left, her name kept here (set-up) to prove the pages leave her out
    by her leaving, not because leaving erased the name."""
    member = make_member("Sharon Shackleton")
    Member.objects.filter(pk=member.pk).update(left_at=timezone.now())
    member.refresh_from_db()
    return member


@pytest.fixture
def workshop(make_event: Any) -> Any:
    """A workshop that took place yesterday."""
    return make_event("Workshop 2: trust", days=-1)


def came(event: Any, *members: Any) -> None:
    for member in members:
        academy_services.check_in(event=event, member=member, method=CheckInMethod.LIST)


def people_url(member: Any) -> str:
    return reverse("network_member_people", args=[member.token])


def met_url(member: Any, event: Any) -> str:
    return reverse("network_member_met", args=[member.token, event.pk])


def boxes(response: Any) -> list[str]:
    """The names offered with a box to tick."""
    return re.findall(r'class="nhsuk-label nhsuk-checkboxes__label" for="[^"]+">([^<]+)<',
                      text(response))


def ties(first: Any, second: Any) -> Any:
    a, b = sorted((first, second), key=lambda m: m.pk)
    return Connection.objects.filter(first=a, second=b)


# --- The picker ------------------------------------------------------------------------


def test_the_picker_finds_people_by_name_and_shows_their_organisation_never_an_address(
        client: Client, priya: Any, tom: Any, ann: Any) -> None:
    response = client.get(people_url(priya), {"q": "sha"})
    assert response.status_code == 200
    assert boxes(response) == ["Tom Shaw"]
    page = text(response)
    assert "Vale Council" in page
    assert "example.org" not in page  # nobody's address, Priya's own included
    assert "Ann Lee" not in page


def test_the_picker_leaves_out_the_member_herself_and_people_who_left(
        client: Client, priya: Any, tom: Any, sharon: Any) -> None:
    response = client.get(people_url(priya), {"q": "sh"})
    assert boxes(response) == ["Tom Shaw"]
    assert "Sharon" not in text(response)
    assert "Priya Shah</label>" not in text(response)


def test_the_picker_needs_two_letters_and_shows_at_most_twenty(
        client: Client, priya: Any, make_member: Any) -> None:
    for n in range(SEARCH_LIMIT + 5):
        make_member(f"Alex Example {n:02d}")
    one = client.get(people_url(priya), {"q": "a"})
    assert boxes(one) == []
    assert "Type at least 2 letters of the name" in text(one)
    many = client.get(people_url(priya), {"q": "alex"})
    assert len(boxes(many)) == SEARCH_LIMIT
    assert f"More than {SEARCH_LIMIT} people match" in text(many)


def test_the_picker_does_not_search_by_address(client: Client, priya: Any, tom: Any) -> None:
    assert boxes(client.get(people_url(priya), {"q": "tom.shaw@"})) == []


def test_searching_too_often_is_slowed_down(client: Client, priya: Any, tom: Any,
                                            monkeypatch: Any) -> None:
    from tracelead.network import member_views

    monkeypatch.setattr(member_views, "SEARCH_RATE", "2/m")
    assert client.get(people_url(priya), {"q": "tom"}).status_code == 200
    assert client.get(people_url(priya), {"q": "tom"}).status_code == 200
    refused = client.get(people_url(priya), {"q": "tom"})
    assert refused.status_code == 429
    assert "Too many searches" in text(refused)
    assert boxes(refused) == []


def test_a_member_records_the_people_she_knew(client: Client, priya: Any, tom: Any,
                                              ann: Any) -> None:
    response = client.post(people_url(priya), {**shown(priya, [tom.pk, ann.pk]), "q": "e"})
    assert response.status_code == 302
    assert response["Location"] == people_url(priya) + "#ties"
    rows = Connection.objects.filter(kind=ConnectionKind.KNEW)
    assert rows.count() == 2
    assert {r.recorded_by_id for r in rows} == {priya.pk}
    assert {r.source for r in rows} == {ConnectionSource.MEMBER}
    page = text(client.get(people_url(priya)))
    assert "Saved: 2 people added to your list of people you know." in page
    assert "Tom Shaw" in page and "Ann Lee" in page
    assert "Knew each other before" in page
    # Found again, they are already on her list rather than offered again.
    again = client.get(people_url(priya), {"q": "tom"})
    assert boxes(again) == []
    assert "Already on your list" in text(again)


def test_ticking_herself_someone_who_left_or_a_stranger_is_refused(
        client: Client, priya: Any, tom: Any, sharon: Any, other_system: Any) -> None:
    elsewhere = academy_services.academy_create(system=other_system, name="Southmoor academy")
    stranger = Member.objects.create(academy=elsewhere, name="Sam Stranger",
                                     email="sam@example.org", sector="acute",
                                     joined_at=timezone.now())
    for chosen in (priya, sharon, stranger):
        response = client.post(people_url(priya), {**shown(priya, [chosen.pk]), "q": "s"})
        assert response.status_code == 400
        assert "Tick people from the list" in text(response)
    assert client.post(people_url(priya), {"q": "tom"}).status_code == 400
    assert not Connection.objects.exists()


def test_the_list_of_ties_leaves_out_people_who_left(client: Client, priya: Any, tom: Any,
                                                     make_member: Any) -> None:
    lena = make_member("Lena Leaving")
    client.post(people_url(priya), {**shown(priya, [tom.pk, lena.pk])})
    Member.objects.filter(pk=lena.pk).update(left_at=timezone.now())
    page = text(client.get(people_url(priya)))
    assert "Tom Shaw" in page
    assert "Lena" not in page


def test_only_people_a_search_showed_can_be_ticked(client: Client, priya: Any, tom: Any,
                                                  ann: Any) -> None:
    """Posting guessed ids would list the academy's members one by one (each saved tie
    shows a name): ids that the member's own search did not show are refused."""
    for data in ({"people": [tom.pk]}, {"people": [tom.pk], "shown": "forged"},
                 {"people": [tom.pk], "shown": shown(priya, [ann.pk])["shown"]},
                 {"people": [tom.pk], "shown": shown(tom, [tom.pk])["shown"]}):
        response = client.post(people_url(priya), data)
        assert response.status_code == 400, data
        assert "Tick people from the list" in text(response)
    assert not Connection.objects.exists()
    page = client.get(people_url(priya), {"q": "tom"}).content.decode()
    token = re.search(r'name="shown" value="([^"]+)"', page).group(1)
    assert client.post(people_url(priya), {"people": [tom.pk], "shown": token}
                       ).status_code == 302


# --- Who did you meet today? -------------------------------------------------------------


def test_met_lists_only_the_others_who_checked_in_and_records_whom_she_met(
        client: Client, priya: Any, tom: Any, ann: Any, sharon: Any, workshop: Any) -> None:
    came(workshop, priya, tom)
    page = client.get(met_url(priya, workshop))
    assert page.status_code == 200
    assert boxes(page) == ["Tom Shaw"]
    assert "Ann Lee" not in text(page)
    assert "example.org" not in text(page)

    refused = client.post(met_url(priya, workshop), {"people": [ann.pk]})
    assert refused.status_code == 400
    assert not Connection.objects.exists()

    saved = client.post(met_url(priya, workshop), {"people": [tom.pk]})
    assert saved.status_code == 302
    [row] = ties(priya, tom)
    assert (row.kind, row.event_id, row.on) == (ConnectionKind.MET, workshop.pk,
                                                timezone.localdate(workshop.starts_at))
    after = client.get(met_url(priya, workshop))
    assert boxes(after) == []
    assert "You said you met" in text(after)
    assert "Met at Workshop 2: trust" in text(client.get(people_url(priya)))


def test_the_met_filter_works_without_javascript(client: Client, priya: Any, tom: Any,
                                                 ann: Any, workshop: Any) -> None:
    came(workshop, priya, tom, ann)
    assert boxes(client.get(met_url(priya, workshop))) == ["Ann Lee", "Tom Shaw"]
    assert boxes(client.get(met_url(priya, workshop), {"q": "ann"})) == ["Ann Lee"]


def test_met_for_an_event_she_did_not_check_in_at_says_so(
        client: Client, priya: Any, tom: Any, workshop: Any) -> None:
    came(workshop, tom)
    page = client.get(met_url(priya, workshop))
    assert page.status_code == 403
    assert "You did not check in at Workshop 2: trust" in text(page)
    assert "Tom Shaw" not in text(page)
    assert client.post(met_url(priya, workshop), {"people": [tom.pk]}).status_code == 403
    assert not Connection.objects.exists()


def test_met_for_an_event_of_another_academy_is_not_found(
        client: Client, priya: Any, other_system: Any) -> None:
    elsewhere = academy_services.academy_create(system=other_system, name="Southmoor academy")
    starts = timezone.now() - dt.timedelta(days=1)
    event = academy_services.event_create(academy=elsewhere, programme=None, kind="workshop",
                                          title="Elsewhere", starts_at=starts,
                                          ends_at=starts + dt.timedelta(hours=2),
                                          venue="", capacity=None)
    assert client.get(met_url(priya, event)).status_code == 404


def test_the_members_pages_link_to_the_people_and_met_pages(
        client: Client, priya: Any, workshop: Any) -> None:
    came(workshop, priya)
    home = text(client.get(reverse("academy_member_home", args=[priya.token])))
    assert people_url(priya) in home
    events = text(client.get(reverse("academy_member_events", args=[priya.token])))
    assert met_url(priya, workshop) in events


def test_the_check_in_page_leads_a_remembered_phone_to_who_did_you_meet(
        client: Client, priya: Any, tom: Any, make_event: Any) -> None:
    today = make_event("Leading together", days=1 / 24)
    came(today, tom)
    # Priya's phone opened her personal link, then she checks in with one tap.
    client.get(reverse("academy_member_checkin", args=[priya.token, today.code]))
    client.post(reverse("academy_checkin", args=[today.code]), {"action": "me"})
    confirmed = text(client.get(reverse("academy_checkin", args=[today.code])))
    met = reverse("network_checkin_met", args=[today.code])
    assert f'href="{met}">Who did you meet today?' in confirmed
    page = client.get(met)
    assert page.status_code == 200
    assert boxes(page) == ["Tom Shaw"]
    assert client.post(met, {"people": [tom.pk]}).status_code == 302
    assert ties(priya, tom).filter(kind=ConnectionKind.MET, event=today).exists()
    # A phone that does not know her sees no names.
    stranger = Client().get(met)
    assert stranger.status_code == 403
    assert "This phone does not know who you are" in text(stranger)
    assert "Tom Shaw" not in text(stranger)


def test_the_page_after_an_emailed_check_in_link_leads_to_who_did_you_meet(
        client: Client, priya: Any, make_event: Any) -> None:
    from tracelead.academy.event_views import _checked_in_page

    today = make_event("Leading together", days=1 / 24)
    request = Client().get("/").wsgi_request
    shown = _checked_in_page(request, today, priya).content.decode()
    assert reverse("network_checkin_met", args=[today.code]) in shown
    assert "Who did you meet today?" not in _checked_in_page(request, today,
                                                              None).content.decode()


# --- Worked together, and taking a tie back ---------------------------------------------


def worked_url(member: Any) -> str:
    return reverse("network_member_worked", args=[member.token])


def test_worked_together_only_with_someone_already_known(
        client: Client, priya: Any, tom: Any) -> None:
    refused = client.post(worked_url(priya), {"person": tom.pk, "on": "2026-01-05"})
    assert refused.status_code == 400
    assert "Record first that you know this person" in text(refused)
    assert not Connection.objects.exists()

    client.post(people_url(priya), {**shown(priya, [tom.pk])})
    type(priya).objects.filter(pk__in=[priya.pk, tom.pk]).update(
        joined_at=timezone.now() - dt.timedelta(days=60))
    # Not before both were members: such a date would move every rate's baseline.
    early = (timezone.localdate() - dt.timedelta(days=400)).isoformat()
    refused = client.post(worked_url(priya), {"person": tom.pk, "on": early})
    assert refused.status_code == 400
    assert "before you were both members" in text(refused)
    since = timezone.localdate() - dt.timedelta(days=30)
    saved = client.post(worked_url(priya), {"person": tom.pk, "on": since.isoformat()})
    assert saved.status_code == 302
    assert ties(priya, tom).get(kind=ConnectionKind.WORKED).on == since
    assert "Worked together since" in text(client.get(people_url(priya)))


def test_worked_together_refuses_a_date_to_come_and_a_stranger(
        client: Client, priya: Any, tom: Any, sharon: Any) -> None:
    client.post(people_url(priya), {**shown(priya, [tom.pk])})
    later = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    future = client.post(worked_url(priya), {"person": tom.pk, "on": later})
    assert future.status_code == 400
    assert "The date cannot be in the future" in text(future)
    assert client.post(worked_url(priya), {"person": sharon.pk}).status_code == 404
    assert client.get(worked_url(priya)).status_code == 405
    assert not Connection.objects.filter(kind=ConnectionKind.WORKED).exists()


def test_a_member_removes_only_ties_she_recorded(client: Client, priya: Any, tom: Any,
                                                 ann: Any) -> None:
    client.post(people_url(priya), {**shown(priya, [tom.pk])})
    [mine] = ties(priya, tom)
    # Tom may see the tie Priya recorded, but not take it back.
    tom_phone = Client()
    refused = tom_phone.post(reverse("network_member_remove", args=[tom.token, mine.pk]),
                             follow=True)
    assert "You can only remove connections you recorded: Priya Shah recorded this one." in (
        text(refused))
    assert Connection.objects.filter(pk=mine.pk).exists()
    # A tie between two other people is not Priya's to see.
    tom_phone.post(people_url(tom), {**shown(tom, [ann.pk])})
    [theirs] = ties(tom, ann)
    assert client.post(reverse("network_member_remove",
                               args=[priya.token, theirs.pk])).status_code == 404
    assert Connection.objects.filter(pk=theirs.pk).exists()
    # Her own, she can.
    removed = client.post(reverse("network_member_remove", args=[priya.token, mine.pk]))
    assert removed.status_code == 302
    assert not Connection.objects.filter(pk=mine.pk).exists()
    assert "Removed: that you knew Tom Shaw before." in text(client.get(people_url(priya)))


# --- Links that do not work ------------------------------------------------------------


def test_a_wrong_token_is_answered_as_on_the_members_own_page(
        client: Client, priya: Any, tom: Any, workshop: Any) -> None:
    wrong = "x" * 32
    expected = client.get(reverse("academy_member_home", args=[wrong]))
    assert expected.status_code == 404
    for response in (
        client.get(reverse("network_member_people", args=[wrong])),
        client.post(reverse("network_member_people", args=[wrong]), {"people": [tom.pk]}),
        client.post(reverse("network_member_worked", args=[wrong]), {"person": tom.pk}),
        client.post(reverse("network_member_remove", args=[wrong, 1])),
        client.get(reverse("network_member_met", args=[wrong, workshop.pk])),
    ):
        assert response.status_code == 404
        assert "We could not find your membership" in text(response)
    assert not Connection.objects.exists()


def test_a_member_who_left_cannot_use_her_link(client: Client, priya: Any, tom: Any) -> None:
    token = priya.token
    academy_services.member_leave(member=priya, now=timezone.now())
    response = client.get(reverse("network_member_people", args=[token]), {"q": "tom"})
    assert response.status_code == 404
    assert "Tom Shaw" not in text(response)


# --- On a phone, in a real browser ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_priya_records_her_ties_on_a_phone(live_server: Any, browser: Any, make_member: Any,
                                          council: Any, charity: Any,
                                          make_event: Any) -> None:
    """At 360 px: search, tick and save on the picker; filter as she types, tick and save
    on "who did you meet today?"; axe finds nothing serious, nothing scrolls sideways and
    the console stays clean (the filter script runs under our CSP)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
    from browser_helpers import (
        PHONE,
        Console,
        assert_accessible,
        assert_no_sideways_scroll,
        screenshot,
    )
    from playwright.sync_api import expect

    priya = make_member("Priya Shah")
    tom = make_member("Tom Shaw", organisation=council)
    ann = make_member("Ann Lee", organisation=charity)
    workshop = make_event("Workshop 2: trust", days=-1)
    came(workshop, priya, tom, ann)
    console = Console()
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())

    def check(what: str) -> None:
        assert_no_sideways_scroll(page, what)
        assert_accessible(page, what)
        screenshot(page, "network-" + re.sub(r"\W+", "-", what).strip("-") + ".png")

    page.goto(live_server.url + people_url(priya))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "People you know in the academy")
    check("the people page")
    page.get_by_label("Search by name").fill("sha")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Tom Shaw").check()
    check("the picker's results")
    page.get_by_role("button", name="Save the people I know").click()
    expect(page.locator("#ties")).to_be_visible()
    expect(page.get_by_text("Knew each other before")).to_be_visible()
    page.get_by_text("We have worked together since").click()
    check("the people page with a tie")

    page.goto(live_server.url + met_url(priya, workshop))
    check("who did you meet")
    page.locator("#met-q").press_sequentially("ann")
    expect(page.get_by_label("Tom Shaw")).to_be_hidden()
    expect(page.get_by_label("Ann Lee")).to_be_visible()
    page.get_by_label("Ann Lee").check()
    page.get_by_role("button", name="Save the people I met").click()
    expect(page.get_by_text("You said you met")).to_be_visible()
    check("who did you meet after saving")
    console.assert_clean()
    context.close()
    assert ties(priya, tom).filter(kind=ConnectionKind.KNEW).exists()
    assert ties(priya, ann).filter(kind=ConnectionKind.MET, event=workshop).exists()
