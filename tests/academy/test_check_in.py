"""Check-in at the door: on the member's own phone (the QR code's link, or the code typed),
by email address, or ticked by Fran on the door list; walk-ins; the QR code and poster."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
import segno
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tracelead.academy import services
from tracelead.academy.event_views import MEMBER_COOKIE
from tracelead.academy.models import CheckIn, Event, Member
from tracelead.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def today(make_event: Any) -> Any:
    """A workshop that starts in an hour: check-in is open, booking too."""
    return make_event("Leading together", days=1 / 24, hours=3)


def checkin_url(event: Any) -> str:
    return reverse("academy_checkin", args=[event.code])


# --- On the member's own phone ---------------------------------------------------------------


def test_ann_opened_her_link_on_this_phone_so_she_checks_in_with_one_tap(
        client: Any, today: Any, make_member: Any) -> None:
    ann = make_member("Ann Ames")
    opened = client.get(reverse("academy_member_events", args=[ann.token]))
    assert opened.cookies[MEMBER_COOKIE]["httponly"]
    page = text(client.get(checkin_url(today)))
    assert "Check in as Ann Ames" in page

    response = client.post(checkin_url(today), {"action": "me"})
    assert response.status_code == 302
    row = CheckIn.objects.get()
    assert (row.member, row.event, row.method) == (ann, today, "self")
    assert "You are checked in" in text(client.get(checkin_url(today)))


def test_the_check_in_link_on_the_members_page_remembers_her_and_opens_the_event(
        client: Any, today: Any, make_member: Any) -> None:
    ann = make_member("Ann Ames")
    page = text(client.get(reverse("academy_member_events", args=[ann.token])))
    link = reverse("academy_member_checkin", args=[ann.token, today.code])
    assert link in page  # offered because check-in is open

    fresh = Client()
    response = fresh.get(link)
    assert response.status_code == 302 and response["Location"] == checkin_url(today)
    assert "Check in as Ann Ames" in text(fresh.get(checkin_url(today)))


def test_a_remembered_phone_stops_working_when_the_member_gets_a_new_link(
        client: Any, today: Any, make_member: Any) -> None:
    ann = make_member("Ann Ames")
    client.get(reverse("academy_member_events", args=[ann.token]))
    services.member_link(ann)
    page = text(client.get(checkin_url(today)))
    assert "Ann Ames" not in page and "Your email address" in page
    response = client.post(checkin_url(today), {"action": "me"})
    assert response.status_code == 400
    assert "This phone does not know who you are" in text(response)
    assert not CheckIn.objects.exists()


def test_a_forged_cookie_is_not_believed(client: Any, today: Any, make_member: Any) -> None:
    ann = make_member("Ann Ames")
    client.cookies[MEMBER_COOKIE] = ann.token_hash  # unsigned
    assert "Ann Ames" not in text(client.get(checkin_url(today)))


def without_nonce(response: Any) -> str:
    """The page as a person sees it: the CSP nonce and the masked CSRF token (of the
    language switch's form) differ on every response by design."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text(response))
    return re.sub(r'nonce="[^"]*"', 'nonce=""', page)


def emailed_check_in_link(address: str) -> str:
    message = OutboxMessage.objects.filter(to=address).order_by("-pk").first()
    assert message is not None, f"no email to {address}"
    found = re.search(r"/c/[A-Z0-9]+/link/[^/\s]+/", message.body)
    assert found, message.body
    return found.group(0)


def test_typing_a_members_address_answers_exactly_as_a_strangers_and_checks_nobody_in(
        client: Any, today: Any, make_member: Any) -> None:
    make_member("Bob Bell", email="bob.bell@vale.gov.uk")
    member = client.post(checkin_url(today), {"action": "email",
                                              "email": "  Bob.Bell@VALE.gov.uk "})
    stranger = client.post(checkin_url(today), {"action": "email",
                                                "email": "someone@example.org"})
    assert member.status_code == stranger.status_code == 200
    assert without_nonce(member) == without_nonce(stranger)
    assert "If this address belongs to a member, we have emailed a link to check in" in (
        text(member))
    assert "Bob" not in text(member)
    assert not CheckIn.objects.exists()
    # Typing an address does not make the phone remember anyone.
    assert MEMBER_COOKIE not in member.cookies
    # Only the member's own mailbox hears of it; the stranger's address gets nothing.
    assert OutboxMessage.objects.filter(to="bob.bell@vale.gov.uk").count() == 1
    assert not OutboxMessage.objects.filter(to="someone@example.org").exists()


def test_bob_opens_the_emailed_link_on_his_phone_and_is_checked_in_once(
        client: Any, today: Any, make_member: Any) -> None:
    bob = make_member("Bob Bell", email="bob.bell@vale.gov.uk")
    client.post(checkin_url(today), {"action": "email", "email": "bob.bell@vale.gov.uk"})
    link = emailed_check_in_link("bob.bell@vale.gov.uk")
    phone = Client()
    assert "Check in as Bob Bell" in text(phone.get(link))
    tapped = phone.post(link)
    assert tapped.status_code == 302 and tapped["Location"] == link
    opened = phone.get(link)
    assert opened.status_code == 200
    assert "You are checked in" in text(opened) and "Bob Bell" in text(opened)
    assert phone.post(link).status_code == 302  # tapped twice: still one attendance
    row = CheckIn.objects.get()
    assert (row.member, row.event, row.method) == (bob, today, "self")
    # Like his personal link, it makes this phone remember him for next time.
    assert opened.cookies[MEMBER_COOKIE]["httponly"]
    later = make_event_for(today, "Leading together, part 2")
    assert "Check in as Bob Bell" in text(phone.get(checkin_url(later)))


def test_opening_the_emailed_link_only_asks_so_a_mail_scanner_checks_nobody_in(
        client: Any, today: Any, make_member: Any) -> None:
    """Someone at the door types an absent colleague's address; the colleague's mail system
    fetches the link in advance (virus scanners, previews): nobody is checked in."""
    bob = make_member("Bob Bell", email="bob.bell@vale.gov.uk")
    client.post(checkin_url(today), {"action": "email", "email": "bob.bell@vale.gov.uk"})
    link = emailed_check_in_link("bob.bell@vale.gov.uk")
    scanner = Client(enforce_csrf_checks=True)
    fetched = scanner.get(link)
    assert fetched.status_code == 200
    page = text(fetched)
    assert "Check in to Leading together" in page
    assert re.search(r'<form method="post"[^>]*>\s*<input type="hidden" '
                     r'name="csrfmiddlewaretoken"', page)
    assert re.search(r'<button class="nhsuk-button" type="submit">Check in as Bob Bell'
                     r'</button>', page)
    assert scanner.get(link).status_code == 200
    assert scanner.head(link).status_code == 200
    assert not CheckIn.objects.exists()
    assert MEMBER_COOKIE not in fetched.cookies
    # A POST without the page's CSRF token is refused too.
    assert scanner.post(link).status_code == 403
    assert not CheckIn.objects.exists()
    # Bob, at the door, taps the button on the page.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    assert scanner.post(link, {"csrfmiddlewaretoken": token.group(1)}).status_code == 302
    assert CheckIn.objects.get().member == bob
    assert "You are checked in" in text(scanner.get(link))


def make_event_for(event: Any, title: str) -> Any:
    return services.event_create(academy=event.academy, kind=event.kind, title=title,
                                 starts_at=event.starts_at, ends_at=event.ends_at)


def test_a_check_in_link_works_only_for_its_event_its_member_and_an_open_check_in(
        client: Any, today: Any, make_member: Any) -> None:
    make_member("Bob Bell", email="bob.bell@vale.gov.uk")
    client.post(checkin_url(today), {"action": "email", "email": "bob.bell@vale.gov.uk"})
    link = emailed_check_in_link("bob.bell@vale.gov.uk")
    other = make_event_for(today, "Another event")
    elsewhere = link.replace(f"/c/{today.code}/", f"/c/{other.code}/")
    assert client.get(elsewhere).status_code == 404
    assert client.post(elsewhere).status_code == 404
    assert client.get(link[:-6] + "xxxxx/").status_code == 404  # tampered signature
    assert client.post(link[:-6] + "xxxxx/").status_code == 404
    today.cancelled_at = timezone.now()
    today.save()
    assert client.get(link).status_code == 409
    assert client.post(link).status_code == 409
    assert not CheckIn.objects.exists()


def test_a_check_in_link_stops_when_the_member_changes_address_or_leaves(
        client: Any, today: Any, make_member: Any) -> None:
    bob = make_member("Bob Bell", email="bob.bell@vale.gov.uk")
    client.post(checkin_url(today), {"action": "email", "email": "bob.bell@vale.gov.uk"})
    link = emailed_check_in_link("bob.bell@vale.gov.uk")
    Member.objects.filter(pk=bob.pk).update(email="bob@new.example.org")
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404
    assert not CheckIn.objects.exists()


def test_the_check_in_page_offers_sign_up_or_a_facilitator_at_the_door(
        client: Any, today: Any, academy: Any) -> None:
    page = text(client.post(checkin_url(today), {"action": "email",
                                                  "email": "new@example.org"}))
    assert "Not a member yet?" in page and "ask a facilitator at the door" in page
    assert reverse("academy_join", args=[academy.join_code]) in page
    assert not CheckIn.objects.exists() and not Member.objects.exists()


def test_without_open_sign_up_a_newcomer_is_sent_to_the_facilitator(
        client: Any, today: Any, academy: Any) -> None:
    academy.sign_up_open = False
    academy.save()
    page = text(client.post(checkin_url(today), {"action": "email", "email": "x@example.org"}))
    assert "Ask a facilitator at the door" in page
    assert reverse("academy_join", args=[academy.join_code]) not in page


def test_a_malformed_address_is_refused_with_an_error_summary(client: Any, today: Any) -> None:
    response = client.post(checkin_url(today), {"action": "email", "email": "bob at vale"})
    assert response.status_code == 400
    assert "Enter an email address, like name@example.org" in text(response)
    assert not CheckIn.objects.exists() and not OutboxMessage.objects.exists()


@override_settings(TRACELEAD_SIGN_UP_RATE="3/m")
def test_every_address_typed_counts_towards_the_limit_per_client_address(
        today: Any, make_member: Any) -> None:
    make_member("Bob Bell")
    typist = Client(REMOTE_ADDR="203.0.113.9")
    # Members' addresses count as much as anyone's: the answer does not tell them apart.
    for address in ("bob.bell@example.org", "guess1@example.org", "bob.bell@example.org"):
        response = typist.post(checkin_url(today), {"action": "email", "email": address})
        assert response.status_code == 200
    refused = typist.post(checkin_url(today), {"action": "email",
                                               "email": "bob.bell@example.org"})
    assert refused.status_code == 429 and "Too many attempts" in text(refused)
    assert OutboxMessage.objects.filter(to="bob.bell@example.org").count() == 2
    # People at another address are not held up.
    other = Client(REMOTE_ADDR="198.51.100.7")
    response = other.post(checkin_url(today), {"action": "email",
                                               "email": "bob.bell@example.org"})
    assert response.status_code == 200
    assert OutboxMessage.objects.filter(to="bob.bell@example.org").count() == 3
    assert not CheckIn.objects.exists()


def test_a_lost_link_request_leaves_the_remembered_phone_working(
        client: Any, today: Any, make_member: Any) -> None:
    ann = make_member("Ann Ames")
    client.get(reverse("academy_member_events", args=[ann.token]))
    # Someone who knows Ann's address asks for her link: her phone still knows her.
    services.member_link_resend(academy=ann.academy, email="ann.ames@example.org")
    assert "Check in as Ann Ames" in text(client.get(checkin_url(today)))
    assert client.post(checkin_url(today), {"action": "me"}).status_code == 302
    assert CheckIn.objects.get().member == ann


def test_check_in_opens_two_hours_before_the_start_and_closes_at_the_end_of_the_day(
        academy: Any) -> None:
    starts = dt.datetime(2030, 3, 12, 10, 0, tzinfo=LONDON)
    event = services.event_create(academy=academy, kind="workshop", title="W",
                                  starts_at=starts, ends_at=starts + dt.timedelta(hours=3),
                                  venue="Hall")
    opens, closes = services.check_in_window(event)
    assert opens == dt.datetime(2030, 3, 12, 8, 0, tzinfo=LONDON)
    assert closes == dt.datetime(2030, 3, 13, 0, 0, tzinfo=LONDON)
    # On the night the clocks go forward the day is 23 hours long; midnight is still local.
    spring = dt.datetime(2030, 3, 30, 22, 0, tzinfo=LONDON)
    late = services.event_create(academy=academy, kind="workshop", title="Late",
                                 starts_at=spring, ends_at=spring + dt.timedelta(hours=1),
                                 venue="Hall")
    assert services.check_in_window(late)[1] == dt.datetime(2030, 3, 31, 0, 0, tzinfo=LONDON)


def test_before_check_in_opens_the_page_says_when_and_records_nothing(
        client: Any, make_event: Any, make_member: Any) -> None:
    later = make_event("Afternoon session", days=3 / 24)  # starts in three hours
    make_member("Bob Bell")
    opens = timezone.localtime(later.starts_at - dt.timedelta(hours=2))
    page = text(client.get(checkin_url(later)))
    assert "Check-in is not open yet" in page and f"It opens at {opens:%H:%M}" in page
    response = client.post(checkin_url(later), {"action": "email",
                                                "email": "bob.bell@example.org"})
    assert response.status_code == 409
    assert not CheckIn.objects.exists()


def test_after_the_day_of_the_event_check_in_has_closed(
        client: Any, make_event: Any, make_member: Any) -> None:
    old = make_event("Last week", days=-7)
    make_member("Bob Bell")
    assert "Check-in has closed" in text(client.get(checkin_url(old)))
    response = client.post(checkin_url(old), {"action": "email", "email": "bob.bell@example.org"})
    assert response.status_code == 409 and not CheckIn.objects.exists()


def test_a_cancelled_event_refuses_check_in(client: Any, today: Any, make_member: Any) -> None:
    make_member("Bob Bell")
    services.event_cancel(event=today)
    assert "This event is cancelled" in text(client.get(checkin_url(today)))
    response = client.post(checkin_url(today), {"action": "email",
                                                "email": "bob.bell@example.org"})
    assert response.status_code == 409 and not CheckIn.objects.exists()
    with pytest.raises(services.CheckInClosed):
        services.check_in(event=Event.objects.get(), member=Member.objects.get(), method="list")


def test_typing_the_code_in_any_case_with_spaces_opens_the_event(client: Any, today: Any) -> None:
    typed = " ".join(today.code.lower()[i:i + 3] for i in (0, 3))
    response = client.post(reverse("academy_checkin_start"), {"code": typed})
    assert response.status_code == 302 and response["Location"] == checkin_url(today)


def test_a_wrong_code_is_refused_with_an_error_summary(client: Any, today: Any) -> None:
    response = client.post(reverse("academy_checkin_start"), {"code": "ZZZZZZ"})
    assert response.status_code == 400
    assert "We could not find an event with this code" in text(response)
    empty = client.post(reverse("academy_checkin_start"), {"code": ""})
    assert empty.status_code == 400 and "Enter the event code" in text(empty)


def test_a_link_with_an_unknown_code_answers_404_with_the_code_form(client: Any) -> None:
    response = client.get(reverse("academy_checkin", args=["NOPE42"]))
    assert response.status_code == 404
    assert "Type the code" in text(response) or "Event code" in text(response)


# --- The door list --------------------------------------------------------------------------


def test_the_door_list_has_everyone_booked_or_waiting_and_a_tick_checks_them_in(
        facilitator_client: Any, academy: Any, today: Any, make_member: Any) -> None:
    today.capacity = 2
    today.save()
    ann, bob, cat, dee = (make_member(n) for n in ("Ann Ames", "Bob Bell", "Cat Cole",
                                                    "Dee Dunn"))
    for member in (ann, bob, cat):
        services.registration_create(event=today, member=member)
    services.registration_cancel(registration=services.registration_create(event=today,
                                                                           member=dee))
    door = reverse("academy_event_door", args=[academy.pk, today.pk])
    page = text(facilitator_client.get(door))
    assert "Ann Ames" in page and "Bob Bell" in page and "Cat Cole" in page
    assert "Dee Dunn" not in page  # cancelled
    assert "Waiting list" in page.split("Cat Cole")[1].split("</li>")[0]

    tick = reverse("academy_event_door_tick", args=[academy.pk, today.pk])
    response = facilitator_client.post(tick, {"member": bob.pk, "action": "tick"})
    assert response.status_code == 302
    assert response["Location"] == f"{door}#member-{bob.pk}"
    row = CheckIn.objects.get()
    assert (row.member, row.method) == (bob, "list")
    page = text(facilitator_client.get(door))
    assert "Bob Bell is checked in." in page and "1 checked in, 2 with a place" in page
    assert "Undo" in page.split('id="door-list"')[1].split("Bob Bell")[1].split("</li>")[0]

    facilitator_client.post(tick, {"member": bob.pk, "action": "undo"})
    assert not CheckIn.objects.exists()


def test_the_door_search_keeps_only_matching_names(
        facilitator_client: Any, academy: Any, today: Any, make_member: Any) -> None:
    for name in ("Ann Ames", "Bob Bell", "Annette Wood"):
        services.registration_create(event=today, member=make_member(name))
    page = text(facilitator_client.get(reverse("academy_event_door",
                                               args=[academy.pk, today.pk]), {"q": "ann"}))
    listed = page.split('id="door-list"')[1]
    assert "Ann Ames" in listed and "Annette Wood" in listed and "Bob Bell" not in listed
    assert "Show everyone (3)" in page


def test_ticks_wait_until_check_in_opens(
        facilitator_client: Any, academy: Any, make_event: Any, make_member: Any) -> None:
    tomorrow = make_event(days=1)
    ann = make_member("Ann Ames")
    services.registration_create(event=tomorrow, member=ann)
    response = facilitator_client.post(
        reverse("academy_event_door_tick", args=[academy.pk, tomorrow.pk]),
        {"member": ann.pk, "action": "tick"})
    assert response.status_code == 302 and not CheckIn.objects.exists()
    page = text(facilitator_client.get(response["Location"]))
    assert "Check-in opens at" in page


def test_fran_can_tick_people_from_a_paper_list_after_the_event(
        facilitator_client: Any, academy: Any, make_event: Any, make_member: Any) -> None:
    last_week = make_event(days=-7)
    ann = make_member("Ann Ames")
    facilitator_client.post(reverse("academy_event_door_tick", args=[academy.pk, last_week.pk]),
                            {"member": ann.pk, "action": "tick"})
    assert CheckIn.objects.get().member == ann


def test_a_walk_in_who_is_a_member_is_found_by_address(
        facilitator_client: Any, academy: Any, today: Any, make_member: Any) -> None:
    cat = make_member("Cat Cole")
    response = facilitator_client.post(
        reverse("academy_event_walk_in", args=[academy.pk, today.pk]),
        {"email": "CAT.COLE@example.org"})
    assert response.status_code == 302
    row = CheckIn.objects.get()
    assert (row.member, row.method) == (cat, "walk_in")
    assert Member.objects.count() == 1


def test_a_new_walk_in_becomes_a_member_once_they_agree(
        facilitator_client: Any, academy: Any, today: Any, council: Any) -> None:
    url = reverse("academy_event_walk_in", args=[academy.pk, today.pk])
    details = {"email": "eve@vale.gov.uk", "name": "Eve Evans", "organisation": council.pk,
               "staff_group": "social_work", "place": "Vale"}
    refused = facilitator_client.post(url, details)
    assert refused.status_code == 400
    assert "Confirm that the person agrees" in text(refused)
    assert not Member.objects.exists() and not CheckIn.objects.exists()

    facilitator_client.post(url, {**details, "consent": "on"})
    eve = Member.objects.get()
    assert (eve.name, eve.email, eve.organisation, eve.sector) == (
        "Eve Evans", "eve@vale.gov.uk", council, "local_authority")
    assert eve.consented_at is not None
    assert CheckIn.objects.get().member == eve
    door = text(facilitator_client.get(reverse("academy_event_door",
                                               args=[academy.pk, today.pk])))
    assert "Eve Evans" in door and "Not booked" in door


def test_a_new_walk_in_without_a_name_or_organisation_is_refused(
        facilitator_client: Any, academy: Any, today: Any) -> None:
    response = facilitator_client.post(
        reverse("academy_event_walk_in", args=[academy.pk, today.pk]),
        {"email": "new@example.org", "consent": "on"})
    assert response.status_code == 400
    assert "There is a problem" in text(response) and "Enter your name" in text(response)
    assert not Member.objects.exists()


def test_a_member_of_another_academy_cannot_be_ticked(
        facilitator_client: Any, academy: Any, today: Any, other_system: Any) -> None:
    elsewhere = services.academy_create(system=other_system, name="Southmoor Academy")
    stranger = Member.objects.create(academy=elsewhere, name="Stranger", email="s@example.org",
                                     sector="acute", joined_at=timezone.now())
    response = facilitator_client.post(
        reverse("academy_event_door_tick", args=[academy.pk, today.pk]),
        {"member": stranger.pk, "action": "tick"})
    assert response.status_code == 404 and not CheckIn.objects.exists()


# --- QR code and poster ----------------------------------------------------------------------


def test_the_qr_code_holds_the_events_check_in_link(
        facilitator_client: Any, academy: Any, today: Any) -> None:
    response = facilitator_client.get(reverse("academy_event_qr", args=[academy.pk, today.pk]))
    assert response["Content-Type"] == "image/svg+xml"
    assert b'xmlns="http://www.w3.org/2000/svg"' in response.content  # opens on its own
    link = f"http://testserver/c/{today.code}/"
    # The same symbol as segno draws for that link (its path data), and not another's.
    path_of = lambda svg: svg.split(' d="')[1].split('"')[0]  # noqa: E731
    own = path_of(segno.make(link, error="m").svg_inline(scale=8))
    other = path_of(segno.make(link.replace(today.code, "AAAAAA"), error="m").svg_inline(scale=8))
    assert path_of(response.content.decode()) == own != other


def test_the_poster_shows_the_qr_code_and_the_code_in_large_type(
        facilitator_client: Any, academy: Any, today: Any) -> None:
    page = text(facilitator_client.get(reverse("academy_event_poster",
                                               args=[academy.pk, today.pk])))
    assert f'<p class="tl-poster__code">{today.code}</p>' in page
    assert "<svg" in page and "http://testserver/c/" in page
    assert "academy-poster.css" in page
