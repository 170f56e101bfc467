"""Members through HTTP: Priya signs up on the public page, opens her own page from the
emailed link, changes her details and leaves; Fran (a facilitator) lists, filters, adds and
looks after members; Vic (a viewer) sees counts only; Olu (another system) sees nothing."""

from __future__ import annotations

import re
import time
from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tracelead.academy import services
from tracelead.academy.models import (
    CheckIn,
    CheckInMethod,
    Member,
    Registration,
    RegistrationStatus,
    hash_token,
)
from tracelead.core.models import AuditEvent
from tracelead.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/m/([A-Za-z0-9_-]{20,64})/")


@pytest.fixture(autouse=True)
def fresh_throttles() -> None:
    cache.clear()


def sign_up(client: Any, academy: Any, *, follow: bool = False, **fields: Any) -> Any:
    data = {"name": "Priya Shah", "email": "priya.shah@example.org",
            "organisation": "", "organisation_name": "", "sector": "",
            "staff_group": "nursing", "place": "Vale", "level": "manager", "consent": "on"}
    data.update(fields)
    return client.post(reverse("academy_join", args=[academy.join_code]), data,
                       follow=follow)


def without_nonce(response: Any) -> str:
    """The page as a person sees it: the CSP nonce and the masked CSRF token (of the
    language switch's form) differ on every response by design."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return re.sub(r'nonce="[^"]*"', 'nonce=""', page)


def link_in_outbox(email: str) -> str:
    message = OutboxMessage.objects.filter(to=email).order_by("-pk").first()
    assert message is not None, f"no email to {email}"
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(0)


# --- Signing up ------------------------------------------------------------------------


def test_the_sign_up_page_shows_the_purpose_characteristics_and_privacy_notice(
        client: Any, academy: Any, hospital: Any, council: Any) -> None:
    page = client.get(f"/join/{academy.join_code}/")
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("Join Northbrook Leadership Academy",
                 "Grow leaders who work across the whole system.",
                 "Builds trust across boundaries", "Works with communities",
                 "We keep your details to run the academy.",
                 "Northbrook Hospitals", "Vale Council", "My organisation is not listed",
                 "Nursing and midwifery", "Director, executive or board member"):
        assert text in html, text
    assert re.search(r'<option value="Vale"[^>]*>\s*Vale\s*</option>', html)


def test_priya_signs_up_and_her_emailed_link_opens_her_own_page(
        client: Any, academy: Any, council: Any) -> None:
    response = sign_up(client, academy, organisation=str(council.pk),
                       sector="acute")  # a listed organisation's sector wins
    assert response.status_code == 302
    assert response["Location"] == f"/join/{academy.join_code}/check-your-email/"
    priya = Member.objects.get(academy=academy)
    assert (priya.name, priya.email, priya.organisation, priya.sector) == (
        "Priya Shah", "priya.shah@example.org", council, "local_authority")
    assert priya.consented_at is not None
    page = client.get(link_in_outbox("priya.shah@example.org"))
    assert page.status_code == 200
    assert "Priya Shah" in page.content.decode()
    assert "Vale Council" in page.content.decode()


def test_the_answer_is_identical_for_a_new_address_and_one_already_a_member(
        client: Any, academy: Any, council: Any) -> None:
    first = sign_up(client, academy, organisation=str(council.pk), follow=True)
    again = sign_up(client, academy, organisation=str(council.pk), name="P. Shah",
                    follow=True)
    assert first.status_code == again.status_code == 200
    assert first.redirect_chain == again.redirect_chain
    assert without_nonce(first) == without_nonce(again)
    assert "Check your email" in first.content.decode()
    # One member, not renamed by the second form; each form sent a link.
    assert list(Member.objects.values_list("name", flat=True)) == ["Priya Shah"]
    assert OutboxMessage.objects.filter(to="priya.shah@example.org").count() == 2


def test_an_organisation_not_listed_needs_its_name_and_its_sector(
        client: Any, academy: Any) -> None:
    response = sign_up(client, academy, organisation="not-listed")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter the name of the organisation" in html
    assert "Choose the sector of the organisation" in html
    assert not Member.objects.exists()

    response = sign_up(client, academy, organisation="not-listed",
                       organisation_name="Vale Food Bank", sector="vcfse")
    assert response.status_code == 302
    member = Member.objects.get()
    assert (member.organisation, member.organisation_name, member.sector) == (
        None, "Vale Food Bank", "vcfse")


def test_signing_up_without_consent_is_refused_and_keeps_nothing(
        client: Any, academy: Any, council: Any) -> None:
    response = sign_up(client, academy, organisation=str(council.pk), consent="")
    assert response.status_code == 400
    assert "Confirm that you agree to the academy keeping these details" in (
        response.content.decode())
    assert not Member.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_place_not_on_the_academys_list_is_refused(
        client: Any, academy: Any, council: Any) -> None:
    response = sign_up(client, academy, organisation=str(council.pk), place="Atlantis")
    assert response.status_code == 400
    assert not Member.objects.exists()


def test_a_closed_sign_up_page_and_an_unknown_code_answer_404_in_plain_words(
        client: Any, academy: Any) -> None:
    unknown = client.get("/join/no-such-code/")
    assert unknown.status_code == 404
    assert "We could not find this sign-up page" in unknown.content.decode()
    academy.sign_up_open = False
    academy.save()
    closed = client.get(f"/join/{academy.join_code}/")
    assert closed.status_code == 404
    assert "Sign-up to Northbrook Leadership Academy is closed" in closed.content.decode()
    posted = sign_up(client, academy)
    assert posted.status_code == 404
    assert not Member.objects.exists()


def test_too_many_sign_ups_from_one_address_are_refused_with_a_message(
        client: Any, academy: Any, council: Any, settings: Any) -> None:
    settings.TRACELEAD_SIGN_UP_RATE = "2/10m"
    for n in range(2):
        assert sign_up(client, academy, organisation=str(council.pk),
                       email=f"p{n}@example.org").status_code == 302
    refused = sign_up(client, academy, organisation=str(council.pk), email="p3@example.org")
    assert refused.status_code == 429
    assert "Too many requests have been sent from this network. Wait 10 minutes" in (
        refused.content.decode())
    assert 'value="p3@example.org"' in refused.content.decode()  # what they typed stays
    assert Member.objects.count() == 2


def test_asking_for_a_lost_link_answers_the_same_for_any_address(
        client: Any, academy: Any, make_member: Any) -> None:
    priya = make_member("Priya")
    old_link = reverse("academy_member_home", args=[priya.token])
    url = reverse("academy_lost_link", args=[academy.join_code])
    member = client.post(url, {"email": "PRIYA@example.org"}, follow=True)
    stranger = client.post(url, {"email": "nobody@example.org"}, follow=True)
    assert member.status_code == stranger.status_code == 200
    assert without_nonce(member) == without_nonce(stranger)
    assert OutboxMessage.objects.filter(to="nobody@example.org").count() == 0
    new_link = link_in_outbox("priya@example.org")
    assert new_link != old_link
    assert client.get(new_link).status_code == 200
    assert client.post(new_link).status_code == 302  # "Open my page"
    assert client.get(old_link).status_code == 404


def test_the_lost_link_page_stays_open_when_sign_up_is_closed(
        client: Any, academy: Any) -> None:
    academy.sign_up_open = False
    academy.save()
    page = client.get(reverse("academy_lost_link", args=[academy.join_code]))
    assert page.status_code == 200


def test_asking_for_priyas_link_keeps_her_current_link_until_she_opens_the_new_one(
        client: Any, academy: Any, make_member: Any) -> None:
    priya = make_member("Priya")
    current = f"/m/{priya.token}/"
    url = reverse("academy_lost_link", args=[academy.join_code])
    # Someone who knows her address asks twice, just before an event.
    client.post(url, {"email": "priya@example.org"})
    replaced = link_in_outbox("priya@example.org")
    client.post(url, {"email": "priya@example.org"})
    new = link_in_outbox("priya@example.org")
    assert len({current, replaced, new}) == 3
    assert client.get(current).status_code == 200  # her link still works
    assert client.get(replaced).status_code == 404  # a newer request replaced it
    # The newest link works once she opens her page with it; from then on it is her link
    # and the old one stops.
    assert client.post(new).status_code == 302
    assert client.get(new).status_code == 200
    assert client.get(current).status_code == 404


def test_signing_up_again_with_priyas_address_keeps_her_current_link(
        client: Any, academy: Any, make_member: Any, council: Any) -> None:
    priya = make_member("Priya")
    sign_up(client, academy, email="priya@example.org", organisation=str(council.pk))
    assert client.get(f"/m/{priya.token}/").status_code == 200
    new = link_in_outbox("priya@example.org")
    assert client.get(new).status_code == 200
    assert client.get(f"/m/{priya.token}/").status_code == 200  # until she opens her page
    assert client.post(new).status_code == 302
    assert client.get(f"/m/{priya.token}/").status_code == 404


def test_a_mail_scanner_fetching_a_new_link_leaves_priyas_current_link_working(
        client: Any, academy: Any, make_member: Any) -> None:
    """Someone who knows Priya's address asks for her link; her mail system fetches the
    emailed link in advance (virus scanners, previews). Her link must keep working."""
    priya = make_member("Priya Shah")
    current = f"/m/{priya.token}/"
    client.post(reverse("academy_lost_link", args=[academy.join_code]),
                {"email": "priya.shah@example.org"})
    new = link_in_outbox("priya.shah@example.org")
    scanner = Client(enforce_csrf_checks=True)
    fetched = scanner.get(new)
    assert fetched.status_code == 200
    page = fetched.content.decode()
    assert "Open your page as Priya Shah" in page
    assert re.search(r'<form method="post"[^>]*>\s*<input type="hidden" '
                     r'name="csrfmiddlewaretoken"', page)
    assert "Your details" not in page  # nothing of her page until she opens it
    token = new.strip("/").split("/")[-1]
    # Her other pages by the new link lead to the page that asks, and change nothing.
    for path in ("events/", "change/", "leave/", "exchange/", "people/"):
        response = scanner.get(f"{new}{path}")
        assert (response.status_code, response["Location"]) == (302, new), path
    assert scanner.post(new).status_code == 403  # no CSRF token: refused
    assert client.get(current).status_code == 200  # her link still works
    priya.refresh_from_db()
    assert priya.token_hash == hash_token(priya.token)
    # Priya opens her page with the new link: from then on it is hers.
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf
    answer = scanner.post(new, {"csrfmiddlewaretoken": csrf.group(1)})
    assert answer.status_code == 302 and answer["Location"] == new
    home = scanner.get(new)
    assert "Your details" in home.content.decode()
    assert client.get(current).status_code == 404
    priya.refresh_from_db()
    assert (priya.token_hash, priya.pending_token_hash) == (hash_token(token), None)


# --- A member's own page ------------------------------------------------------------------


def test_priya_sees_her_details_and_her_bookings_with_their_status(
        client: Any, make_member: Any, make_event: Any) -> None:
    priya, bob = make_member("Priya", staff_group="ahp"), make_member("Bob")
    full = make_event("Systems thinking", capacity=1)
    services.registration_create(event=full, member=bob)
    services.registration_create(event=full, member=priya)
    open_event = make_event("Leading across boundaries", days=14)
    services.registration_create(event=open_event, member=priya)
    page = client.get(f"/m/{priya.token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Allied health professions" in html
    assert "Systems thinking" in html and "On the waiting list" in html
    assert "Leading across boundaries" in html and "Place confirmed" in html
    assert reverse("academy_member_events", args=[priya.token]) in html
    assert "Bob" not in html
    assert page["Cache-Control"].startswith("max-age=0")


def test_an_unknown_link_answers_404_in_plain_words(client: Any, academy: Any) -> None:
    page = client.get("/m/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/")
    assert page.status_code == 404
    assert "We could not find your membership" in page.content.decode()
    assert client.get("/m/short/change/").status_code == 404


def test_guessing_member_links_is_throttled_but_a_real_link_still_opens(
        client: Any, make_member: Any, settings: Any) -> None:
    settings.TRACELEAD_TOKEN_GUESS_RATE = "2/h"
    priya = make_member("Priya")
    statuses = [client.get(f"/m/{'x' * 31}{n}/").status_code for n in range(3)]
    assert statuses == [404, 404, 429]
    assert client.get(f"/m/{priya.token}/").status_code == 200


def confirm_link_in_outbox(email: str) -> str:
    message = OutboxMessage.objects.filter(to=email).order_by("-pk").first()
    assert message is not None, f"no email to {email}"
    found = re.search(r"/m/new-address/[^/\s]+/", message.body)
    assert found, message.body
    return found.group(0)


def change_form(hospital: Any, **fields: Any) -> dict[str, Any]:
    data = {"name": "Priya", "email": "priya@example.org", "organisation": str(hospital.pk),
            "staff_group": "nursing", "place": "Vale", "level": "manager"}
    data.update(fields)
    return data


def test_priya_changes_her_details_and_her_wishes_for_the_exchange(
        client: Any, make_member: Any, council: Any) -> None:
    priya = make_member("Priya")
    url = f"/m/{priya.token}/change/"
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="Priya"' in form.content.decode()
    response = client.post(url, {
        "name": "Priya Shah", "email": "Priya.Shah@Example.org",
        "organisation": str(council.pk), "staff_group": "social_work", "place": "Vale",
        "level": "senior", "exchange_opt_in": "on",
        "exchange_sectors": ["acute", "housing"],
    })
    assert response.status_code == 302 and response["Location"] == f"/m/{priya.token}/"
    priya.refresh_from_db()
    # Everything but the address changes at once; the address waits for its link.
    assert (priya.name, priya.email, priya.organisation, priya.sector, priya.staff_group,
            priya.place, priya.level) == ("Priya Shah", "priya@example.org", council,
                                          "local_authority", "social_work", "Vale", "senior")
    assert (priya.exchange_opt_in, priya.exchange_sectors) == (True, ["acute", "housing"])
    page = client.get(f"/m/{priya.token}/").content.decode()
    assert ("Your details are saved. We have sent a link to priya.shah@example.org; your "
            "address changes when you open it.") in page
    assert "most of all to see Acute, Housing" in page
    # The old address hears that a change was asked for.
    notice = OutboxMessage.objects.get(to="priya@example.org")
    assert "priya.shah@example.org" in notice.body and "/m/" not in notice.body

    opened = client.get(confirm_link_in_outbox("priya.shah@example.org"))
    assert opened.status_code == 200
    assert "Your email address is changed" in opened.content.decode()
    priya.refresh_from_db()
    assert priya.email == "priya.shah@example.org"
    assert client.get(f"/m/{priya.token}/").status_code == 200  # her link is unchanged


def test_saving_without_changing_the_address_sends_no_email(
        client: Any, make_member: Any, hospital: Any) -> None:
    priya = make_member("Priya")
    response = client.post(f"/m/{priya.token}/change/",
                           change_form(hospital, name="Priya K", email="PRIYA@example.org"),
                           follow=True)
    assert "Your details are saved." in response.content.decode()
    assert "We have sent a link" not in response.content.decode()
    assert not OutboxMessage.objects.exists()


def test_the_change_page_answers_alike_for_a_free_address_and_another_members(
        client: Any, make_member: Any, hospital: Any) -> None:
    priya = make_member("Priya")
    make_member("Bob")
    url = f"/m/{priya.token}/change/"
    taken = client.post(url, change_form(hospital, email="bob@example.org"), follow=True)
    free = client.post(url, change_form(hospital, email="nobody@example.org"), follow=True)
    assert taken.status_code == free.status_code == 200
    assert taken.redirect_chain == free.redirect_chain == [(f"/m/{priya.token}/", 302)]
    assert (without_nonce(taken).replace("bob@example.org", "ADDRESS")
            == without_nonce(free).replace("nobody@example.org", "ADDRESS"))
    assert "We have sent a link to bob@example.org" in taken.content.decode()
    priya.refresh_from_db()
    assert priya.email == "priya@example.org"  # nothing changes until a link is opened


def test_a_link_to_an_address_another_member_has_changes_nothing(
        client: Any, make_member: Any, hospital: Any) -> None:
    priya = make_member("Priya")
    bob = make_member("Bob")
    client.post(f"/m/{priya.token}/change/", change_form(hospital, email="bob@example.org"))
    # Only whoever reads Bob's mail can open the link, and they know it is a member's.
    opened = client.get(confirm_link_in_outbox("bob@example.org"))
    assert opened.status_code == 409
    assert "This address could not be used" in opened.content.decode()
    priya.refresh_from_db()
    bob.refresh_from_db()
    assert (priya.email, bob.email) == ("priya@example.org", "bob@example.org")


def test_a_link_to_confirm_an_address_expires_and_dies_once_the_address_changes(
        client: Any, make_member: Any, hospital: Any, settings: Any) -> None:
    priya = make_member("Priya")
    url = f"/m/{priya.token}/change/"
    client.post(url, change_form(hospital, email="first@example.org"))
    first = confirm_link_in_outbox("first@example.org")
    client.post(url, change_form(hospital, email="second@example.org"))
    second = confirm_link_in_outbox("second@example.org")
    assert client.get(second).status_code == 200
    assert client.get(first).status_code == 404  # made for the address she had before
    assert client.get(second).status_code == 200  # opened again: already this address
    priya.refresh_from_db()
    assert priya.email == "second@example.org"
    assert client.get(second[:-6] + "xxxxx/").status_code == 404

    # A link asked for two days and a minute ago has expired.
    made_at = int(time.time()) - services.EMAIL_CHANGE_DAYS * 24 * 3600 - 60
    with mock.patch.object(signing.TimestampSigner, "timestamp",
                           lambda self: signing.b62_encode(made_at)):
        client.post(url, change_form(hospital, email="third@example.org"))
    assert client.get(confirm_link_in_outbox("third@example.org")).status_code == 404
    priya.refresh_from_db()
    assert priya.email == "second@example.org"


def test_fran_may_still_change_an_address_at_once_and_is_told_if_it_is_taken(
        facilitator_client: Any, academy: Any, make_member: Any, hospital: Any) -> None:
    priya = make_member("Priya")
    make_member("Bob")
    url = f"/academy/{academy.pk}/members/{priya.pk}/change/"
    refused = facilitator_client.post(url, change_form(hospital, email="bob@example.org"))
    assert refused.status_code == 400
    assert "Another member uses this email address" in refused.content.decode()
    done = facilitator_client.post(url, change_form(hospital, email="p.shah@example.org"))
    assert done.status_code == 302
    priya.refresh_from_db()
    assert priya.email == "p.shah@example.org"


def test_leaving_asks_first_then_says_what_was_erased_and_what_was_kept(
        client: Any, make_member: Any, make_event: Any) -> None:
    priya, bob = make_member("Priya"), make_member("Bob")
    past = make_event("Workshop 1", days=-7)
    CheckIn.objects.create(event=past, member=priya, method=CheckInMethod.SELF,
                           at=past.starts_at)
    coming = make_event("Workshop 2", capacity=1)
    services.registration_create(event=coming, member=priya)
    services.registration_create(event=coming, member=bob)
    url = f"/m/{priya.token}/leave/"

    question = client.get(url)
    assert question.status_code == 200
    assert "Are you sure you want to leave the academy?" in question.content.decode()
    priya.refresh_from_db()
    assert priya.left_at is None

    done = client.post(url)
    html = done.content.decode()
    assert done.status_code == 200
    assert "You have left Northbrook Leadership Academy" in html
    assert "1 booking for events still to come" in html
    assert "1 attendance at past events" in html
    assert "Northbrook Hospitals" in html
    priya.refresh_from_db()
    assert (priya.name, priya.email, priya.token_hash, priya.left_at is not None) == (
        "", None, None, True)
    assert CheckIn.objects.filter(member=priya).count() == 1
    assert Registration.objects.get(member=bob).status == RegistrationStatus.CONFIRMED
    assert client.get(f"/m/{priya.token}/").status_code == 404


def test_a_link_still_waiting_to_be_opened_dies_when_priya_leaves(
        client: Any, academy: Any, make_member: Any) -> None:
    priya = make_member("Priya")
    services.member_link_resend(academy=academy, email="priya@example.org")
    waiting = link_in_outbox("priya@example.org")
    services.member_leave(member=priya)
    priya.refresh_from_db()
    assert (priya.token_hash, priya.pending_token_hash) == (None, None)
    assert client.get(waiting).status_code == 404


# --- The facilitators' member list ----------------------------------------------------------


def test_fran_sees_names_and_details_and_a_member_who_left_without_a_name(
        facilitator_client: Any, academy: Any, make_member: Any, council: Any) -> None:
    make_member("Priya Shah", organisation=council, staff_group="social_work", place="Vale",
                level="senior")
    gone = make_member("Gareth Gone")
    services.member_leave(member=gone)
    page = facilitator_client.get(f"/academy/{academy.pk}/members/")
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("Priya Shah", "Vale Council", "Local authority",
                 "Social work and social care", "Senior leader or head of service",
                 "1 member, and 1 who left"):
        assert text in html, text
    assert "Gareth" not in html
    assert ">Left</a> on" in html


def test_fran_filters_by_organisation_sector_profession_and_place_and_searches(
        facilitator_client: Any, academy: Any, make_member: Any, council: Any,
        charity: Any) -> None:
    make_member("Priya Shah", organisation=council, staff_group="social_work", place="Vale")
    make_member("Tom Okafor", organisation=charity, staff_group="community")
    make_member("Ann Lee", staff_group="nursing", email="ann.lee@trust.example")
    url = f"/academy/{academy.pk}/members/"

    def names(**query: str) -> set[str]:
        html = facilitator_client.get(url, query).content.decode()
        return {n for n in ("Priya Shah", "Tom Okafor", "Ann Lee") if n in html}

    assert names() == {"Priya Shah", "Tom Okafor", "Ann Lee"}
    assert names(organisation=str(council.pk)) == {"Priya Shah"}
    assert names(sector="vcfse") == {"Tom Okafor"}
    assert names(staff_group="nursing") == {"Ann Lee"}
    assert names(place="Vale") == {"Priya Shah"}
    assert names(q="okafor") == {"Tom Okafor"}
    assert names(q="TRUST.example") == {"Ann Lee"}
    assert names(sector="acute", staff_group="social_work") == set()
    bad = facilitator_client.get(url, {"sector": "pirates"})
    assert bad.status_code == 400


def test_the_member_list_comes_in_pages_with_few_queries(
        facilitator_client: Any, academy: Any, hospital: Any,
        django_assert_max_num_queries: Any) -> None:
    now = timezone.now()
    Member.objects.bulk_create(
        Member(academy=academy, name=f"Member {n:03d}", email=f"m{n}@example.org",
               organisation=hospital, sector="acute", joined_at=now) for n in range(120))
    url = f"/academy/{academy.pk}/members/"
    with django_assert_max_num_queries(20):
        first = facilitator_client.get(url).content.decode()
    assert "Member 000" in first and "Member 049" in first and "Member 050" not in first
    assert "page 1 of 3" in first
    last = facilitator_client.get(url, {"page": "3"}).content.decode()
    assert "Member 100" in last and "Member 119" in last and "Member 099" not in last
    filtered = facilitator_client.get(url, {"q": "Member 1", "page": "2"}).content.decode()
    # Names are zero-padded, so "Member 1" matches 100-119: one page, and asking for page
    # 2 shows the last page there is.
    assert "20 matches" in filtered and "Member 119" in filtered


def test_vic_the_viewer_sees_counts_by_sector_and_organisation_but_never_names(
        viewer_client: Any, academy: Any, make_member: Any, council: Any) -> None:
    make_member("Priya Shah", organisation=council)
    make_member("Tom Okafor", organisation=council)
    make_member("Ann Lee")
    page = viewer_client.get(f"/academy/{academy.pk}/members/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "3 members" in html
    assert re.search(r"Vale Council</td>\s*<td[^>]*>2</td>", html)
    assert re.search(r"Local authority</td>\s*<td[^>]*>1</td>", html) is None
    assert re.search(r"Local authority</td>\s*<td[^>]*>2</td>", html)
    for secret in ("Priya", "Tom Okafor", "Ann Lee", "@example.org"):
        assert secret not in html


def test_vic_the_viewer_cannot_open_a_members_page_or_add_one(
        viewer_client: Any, academy: Any, make_member: Any) -> None:
    priya = make_member("Priya")
    assert viewer_client.get(f"/academy/{academy.pk}/members/{priya.pk}/").status_code == 403
    assert viewer_client.get(f"/academy/{academy.pk}/members/new/").status_code == 403
    assert viewer_client.get(f"/academy/{academy.pk}/members/import/").status_code == 403


def test_another_academys_members_answer_404(
        facilitator_client: Any, other_facilitator_client: Any, academy: Any,
        make_member: Any, other_system: Any) -> None:
    priya = make_member("Priya")
    other = services.academy_create(system=other_system, name="Southmoor Academy")
    assert other_facilitator_client.get(
        f"/academy/{academy.pk}/members/").status_code == 404
    assert other_facilitator_client.get(
        f"/academy/{academy.pk}/members/{priya.pk}/").status_code == 404
    # Fran's own member, asked for under an academy that is not hers.
    assert facilitator_client.get(
        f"/academy/{other.pk}/members/{priya.pk}/").status_code == 404
    assert facilitator_client.get(
        f"/academy/{academy.pk}/members/{priya.pk + 999}/").status_code == 404


def test_fran_adds_a_member_by_hand_and_consent_is_recorded_as_given_to_her(
        facilitator_client: Any, facilitator: Any, academy: Any, charity: Any) -> None:
    url = f"/academy/{academy.pk}/members/new/"
    refused = facilitator_client.post(url, {"name": "Tom", "email": "tom@example.org",
                                            "organisation": str(charity.pk)})
    assert refused.status_code == 400
    assert "Confirm that the person agreed" in refused.content.decode()
    assert not Member.objects.exists()

    response = facilitator_client.post(url, {
        "name": "Tom Okafor", "email": "tom@example.org", "organisation": str(charity.pk),
        "consent": "on", "send_link": "on"})
    tom = Member.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/academy/{academy.pk}/members/{tom.pk}/"
    assert (tom.sector, tom.staff_group, tom.consented_at is not None) == ("vcfse", "", True)
    event = AuditEvent.objects.get(user=facilitator)
    assert f"member {tom.pk}" in event.what and "consent" in event.what
    assert "Tom" not in event.what
    assert link_in_outbox("tom@example.org")

    again = facilitator_client.post(url, {
        "name": "Tom O", "email": "TOM@example.org", "organisation": str(charity.pk),
        "consent": "on"})
    assert again.status_code == 400
    assert "already has this email address" in again.content.decode()
    assert Member.objects.count() == 1


def test_fran_sees_one_members_bookings_and_attendance(
        facilitator_client: Any, academy: Any, make_member: Any, make_event: Any) -> None:
    priya = make_member("Priya")
    booked = make_event("Workshop 1", days=-7)
    Registration.objects.create(event=booked, member=priya,
                                status=RegistrationStatus.CONFIRMED)
    CheckIn.objects.create(event=booked, member=priya, method=CheckInMethod.LIST,
                           at=booked.starts_at)
    walked = make_event("Learning community", days=-3)
    CheckIn.objects.create(event=walked, member=priya, method=CheckInMethod.WALK_IN,
                           at=walked.starts_at)
    coming = make_event("Workshop 2", days=7)
    services.registration_create(event=coming, member=priya)
    page = facilitator_client.get(f"/academy/{academy.pk}/members/{priya.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Came to 2 events." in html
    assert "Ticked on the facilitator&#39;s list" in html
    assert "Added at the door" in html and "No booking" in html
    assert "Workshop 2" in html and "Not checked in" in html


def test_fran_emails_a_member_a_new_link_and_the_old_one_stops_once_it_is_opened(
        facilitator_client: Any, client: Any, academy: Any, make_member: Any) -> None:
    priya = make_member("Priya")
    old = f"/m/{priya.token}/"
    response = facilitator_client.post(f"/academy/{academy.pk}/members/{priya.pk}/send-link/")
    assert response.status_code == 302
    assert "Their current link works until they open the new one" in (
        facilitator_client.get(response["Location"]).content.decode())
    new = link_in_outbox("priya@example.org")
    assert new != old
    assert client.get(old).status_code == 200
    assert client.get(new).status_code == 200  # the page that asks: "Open my page"
    assert client.get(old).status_code == 200
    assert client.post(new).status_code == 302
    assert client.get(old).status_code == 404


def test_fran_changes_a_members_details(
        facilitator_client: Any, academy: Any, make_member: Any, charity: Any) -> None:
    priya = make_member("Priya")
    url = f"/academy/{academy.pk}/members/{priya.pk}/change/"
    assert facilitator_client.get(url).status_code == 200
    response = facilitator_client.post(url, {
        "name": "Priya Shah", "email": "priya@example.org", "organisation": str(charity.pk),
        "place": "Northbrook"})
    assert response.status_code == 302
    priya.refresh_from_db()
    assert (priya.name, priya.sector, priya.staff_group) == ("Priya Shah", "vcfse", "")
