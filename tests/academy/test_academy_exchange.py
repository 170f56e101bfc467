"""The exchange: a facilitator starts a round, runs the pairing, looks at it, confirms it;
members are told their partner and record their visits; viewers see counts only.

Four members opt in. Priya (hospital, nursing) would most like to see a council; Sam
(council, social work), Tom (charity, community) and Uma (hospital, medical) state no
wish. Priya and Uma share the hospital, so they are never paired. The pairings with two
pairs are {Priya–Sam, Tom–Uma} (Priya's wish met) and {Priya–Tom, Sam–Uma} (not met): the
first is the one to expect.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tracelead.academy import services
from tracelead.academy.models import ExchangePair, ExchangeRound, ExchangeVisit, Member
from tracelead.messaging.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_member: Any, hospital: Any, council: Any, charity: Any) -> dict[str, Any]:
    made = {
        "priya": make_member("Priya Shah", organisation=hospital, staff_group="nursing"),
        "sam": make_member("Sam Okoro", organisation=council, staff_group="social_work"),
        "tom": make_member("Tom Reid", organisation=charity, staff_group="community"),
        "uma": make_member("Uma Patel", organisation=hospital, staff_group="medical"),
    }
    Member.objects.filter(pk__in=[m.pk for m in made.values()]).update(exchange_opt_in=True)
    Member.objects.filter(pk=made["priya"].pk).update(exchange_sectors=["local_authority"])
    for member in made.values():
        member.refresh_from_db()
    return made


def pair_names(round_: ExchangeRound) -> set[frozenset[str]]:
    return {frozenset((p.first.name.split()[0], p.second.name.split()[0]))
            for p in ExchangePair.objects.filter(round=round_).select_related("first", "second")}


def proposed_names(round_: ExchangeRound) -> set[frozenset[str]]:
    round_.refresh_from_db()
    names = dict(Member.objects.values_list("pk", "name"))
    return {frozenset(names[i].split()[0] for i in pair) for pair in round_.proposal["pairs"]}


def start_round(client: Any, academy: Any, name: str = "Spring exchange") -> ExchangeRound:
    response = client.post(f"/academy/{academy.pk}/exchange/new/", {"name": name})
    assert response.status_code == 302
    return ExchangeRound.objects.get(academy=academy, name=name)


def run(client: Any, academy: Any, round_: ExchangeRound, seed: Any = "") -> Any:
    return client.post(f"/academy/{academy.pk}/exchange/{round_.pk}/pair/", {"seed": seed})


def confirm(client: Any, academy: Any, round_: ExchangeRound) -> Any:
    return client.post(f"/academy/{academy.pk}/exchange/{round_.pk}/confirm/")


def test_a_facilitator_sees_the_proposed_pairs_before_anything_is_made_or_sent(
        facilitator_client: Any, academy: Any, people: dict[str, Any]) -> None:
    round_ = start_round(facilitator_client, academy)

    ran = run(facilitator_client, academy, round_)
    page = facilitator_client.get(f"/academy/{academy.pk}/exchange/{round_.pk}/")

    assert ran.status_code == 302
    assert proposed_names(round_) == {frozenset({"Priya", "Sam"}), frozenset({"Tom", "Uma"})}
    text = page.content.decode()
    assert page.status_code == 200
    for name in ("Priya Shah", "Sam Okoro", "Tom Reid", "Uma Patel", "Vale Council",
                 "Vale Carers Trust"):
        assert name in text
    assert "Wish met: Yes" in text
    assert "4 members who opted in" in text
    assert not ExchangePair.objects.exists()
    assert not OutboxMessage.objects.filter(subject__contains="exchange").exists()


def test_confirming_makes_the_pairs_and_emails_each_member_their_partner(
        facilitator_client: Any, academy: Any, people: dict[str, Any]) -> None:
    round_ = start_round(facilitator_client, academy)
    run(facilitator_client, academy, round_)

    response = confirm(facilitator_client, academy, round_)

    assert response.status_code == 302
    assert pair_names(round_) == {frozenset({"Priya", "Sam"}), frozenset({"Tom", "Uma"})}
    to_priya = OutboxMessage.objects.get(to="priya.shah@example.org",
                                         subject__contains="exchange")
    assert "Sam Okoro of Vale Council" in to_priya.body
    to_uma = OutboxMessage.objects.get(to="uma.patel@example.org", subject__contains="exchange")
    assert "Tom Reid of Vale Carers Trust" in to_uma.body
    assert OutboxMessage.objects.filter(subject__contains="exchange").count() == 4
    # Confirming again changes nothing and sends nothing more.
    again = confirm(facilitator_client, academy, round_)
    assert again.status_code == 302
    assert ExchangePair.objects.count() == 2
    assert OutboxMessage.objects.filter(subject__contains="exchange").count() == 4
    page = facilitator_client.get(again["Location"])
    assert "cannot change" in page.content.decode()


def test_later_rounds_never_repeat_a_pair_and_say_why_someone_is_left_out(
        facilitator_client: Any, academy: Any, people: dict[str, Any]) -> None:
    first = start_round(facilitator_client, academy, "Round 1")
    run(facilitator_client, academy, first)
    confirm(facilitator_client, academy, first)
    second = start_round(facilitator_client, academy, "Round 2")
    run(facilitator_client, academy, second)
    confirm(facilitator_client, academy, second)
    third = start_round(facilitator_client, academy, "Round 3")

    run(facilitator_client, academy, third)
    page = facilitator_client.get(f"/academy/{academy.pk}/exchange/{third.pk}/")

    assert pair_names(second) == {frozenset({"Priya", "Tom"}), frozenset({"Sam", "Uma"})}
    # Only Sam and Tom have not met: Priya and Uma have no one left.
    assert proposed_names(third) == {frozenset({"Sam", "Tom"})}
    assert page.content.decode().count(
        "nobody is left from another organisation whom they have not been paired with") == 2


def test_a_facilitator_can_leave_someone_out_and_the_pairing_is_run_again(
        facilitator_client: Any, academy: Any, people: dict[str, Any]) -> None:
    round_ = start_round(facilitator_client, academy)
    run(facilitator_client, academy, round_)

    response = facilitator_client.post(f"/academy/{academy.pk}/exchange/{round_.pk}/leave-out/",
                                       {"member": people["sam"].pk})

    assert response.status_code == 302
    # Without Sam, Tom is the only one Priya and Uma can both be paired with.
    round_.refresh_from_db()
    assert round_.left_out == [people["sam"].pk]
    assert len(round_.proposal["pairs"]) == 1
    page = facilitator_client.get(f"/academy/{academy.pk}/exchange/{round_.pk}/").content
    assert "Put Sam Okoro back into the round" in page.decode()

    facilitator_client.post(f"/academy/{academy.pk}/exchange/{round_.pk}/leave-out/",
                            {"member": people["sam"].pk, "action": "put-back"})
    assert proposed_names(round_) == {frozenset({"Priya", "Sam"}), frozenset({"Tom", "Uma"})}


def test_confirming_is_refused_when_someone_opted_in_after_the_pairing_was_shown(
        facilitator_client: Any, academy: Any, people: dict[str, Any], make_member: Any,
        council: Any) -> None:
    round_ = start_round(facilitator_client, academy)
    run(facilitator_client, academy, round_)
    late = make_member("Vera Lowe", organisation=council, staff_group="management")
    Member.objects.filter(pk=late.pk).update(exchange_opt_in=True)

    response = confirm(facilitator_client, academy, round_)
    page = facilitator_client.get(response["Location"]).content.decode()

    assert not ExchangePair.objects.exists()
    assert "Something changed since this pairing was" in page
    assert not OutboxMessage.objects.filter(subject__contains="exchange").exists()


def test_a_seed_that_is_not_a_number_is_refused_with_an_error_summary(
        facilitator_client: Any, academy: Any, people: dict[str, Any]) -> None:
    round_ = start_round(facilitator_client, academy)

    response = run(facilitator_client, academy, round_, seed="three")

    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert "whole number" in response.content.decode()
    round_.refresh_from_db()
    assert round_.proposal == {}


def test_the_same_seed_gives_the_same_pairs(
        facilitator_client: Any, academy: Any, make_member: Any, hospital: Any, council: Any,
        charity: Any) -> None:
    # Six people of three organisations and sectors, all pairable across organisations:
    # many pairings are equally good.
    for org in (hospital, council, charity):
        for n in (1, 2):
            make_member(f"{org.name} person {n}", organisation=org)
    Member.objects.update(exchange_opt_in=True)
    round_ = start_round(facilitator_client, academy)

    results = []
    for seed in (5, 6, 5):
        run(facilitator_client, academy, round_, seed=seed)
        round_.refresh_from_db()
        results.append(round_.proposal["pairs"])

    assert results[0] == results[2]
    assert len(results[0]) == 3


def test_viewers_see_counts_but_no_names_and_cannot_run_anything(
        client: Any, facilitator: Any, viewer: Any, academy: Any,
        people: dict[str, Any]) -> None:
    client.force_login(facilitator)
    round_ = start_round(client, academy)
    run(client, academy, round_)
    confirm(client, academy, round_)
    pair = ExchangePair.objects.filter(round=round_).first()
    services.exchange_visit_record(pair=pair, host=pair.first,
                                   visited_on=timezone.localdate(), reflection="Eye-opening.")
    client.force_login(viewer)

    home = client.get(f"/academy/{academy.pk}/exchange/")
    round_page = client.get(f"/academy/{academy.pk}/exchange/{round_.pk}/")
    posted = client.post(f"/academy/{academy.pk}/exchange/{round_.pk}/pair/", {"seed": "1"})
    visit = client.get(f"/academy/{academy.pk}/exchange/{round_.pk}/pairs/{pair.pk}/visit/")

    text = home.content.decode()
    assert home.status_code == 200
    assert '<dd class="nhsuk-summary-list__value" id="pairs-count">2</dd>' in text
    assert '<dd class="nhsuk-summary-list__value" id="visits-count">1</dd>' in text
    for name in ("Priya", "Sam", "Tom", "Uma", "Eye-opening"):
        assert name not in text
    assert (round_page.status_code, posted.status_code, visit.status_code) == (403, 403, 403)


def test_another_systems_facilitator_gets_404(
        other_facilitator_client: Any, academy: Any) -> None:
    round_ = services.exchange_round_create(academy=academy, name="Spring exchange")

    for path in ("", f"{round_.pk}/", "new/"):
        response = other_facilitator_client.get(f"/academy/{academy.pk}/exchange/{path}")
        assert response.status_code == 404


def test_a_member_sees_their_partner_and_records_a_visit_on_their_own_link(
        client: Any, academy: Any, people: dict[str, Any]) -> None:
    round_ = services.exchange_round_create(academy=academy, name="Spring exchange")
    services.exchange_round_pair(exchange_round=round_, seed=0)
    services.exchange_round_confirm(exchange_round=round_)
    priya, sam = people["priya"], people["sam"]
    pair = ExchangePair.objects.get(first=min(priya, sam, key=lambda m: m.pk),
                                    second=max(priya, sam, key=lambda m: m.pk))

    home = client.get(f"/m/{priya.token}/").content.decode()
    page = client.get(f"/m/{priya.token}/exchange/")
    visited = client.post(f"/m/{priya.token}/exchange/{pair.pk}/visit/", {
        "host": str(sam.pk), "visited_on": timezone.localdate().isoformat(),
        "reflection": "Saw how the council plans home care.",
    })

    assert f'href="/m/{priya.token}/exchange/"' in home
    assert page.status_code == 200
    assert "Sam Okoro" in page.content.decode()
    assert "Tom Reid" not in page.content.decode()
    assert visited.status_code == 302
    visit = ExchangeVisit.objects.get(pair=pair)
    assert (visit.host, visit.reflection) == (sam, "Saw how the council plans home care.")
    after = client.get(f"/m/{priya.token}/exchange/").content.decode()
    assert "you visited" in after


def test_a_visit_in_the_future_is_refused_and_nothing_is_saved(
        client: Any, academy: Any, people: dict[str, Any]) -> None:
    round_ = services.exchange_round_create(academy=academy, name="Spring exchange")
    services.exchange_round_pair(exchange_round=round_, seed=0)
    services.exchange_round_confirm(exchange_round=round_)
    tom = people["tom"]
    pair = ExchangePair.objects.filter(first=tom).first() or ExchangePair.objects.get(second=tom)
    partner = pair.second if pair.first_id == tom.pk else pair.first

    response = client.post(f"/m/{tom.token}/exchange/{pair.pk}/visit/", {
        "host": str(partner.pk),
        "visited_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
    })

    assert response.status_code == 400
    assert "today or in the past" in response.content.decode()
    assert not ExchangeVisit.objects.exists()


def test_a_member_cannot_record_a_visit_for_a_pair_that_is_not_theirs(
        client: Any, academy: Any, people: dict[str, Any]) -> None:
    round_ = services.exchange_round_create(academy=academy, name="Spring exchange")
    services.exchange_round_pair(exchange_round=round_, seed=0)
    services.exchange_round_confirm(exchange_round=round_)
    priya = people["priya"]
    others = ExchangePair.objects.exclude(first=priya).exclude(second=priya).get()

    response = client.post(f"/m/{priya.token}/exchange/{others.pk}/visit/", {
        "host": str(others.first_id), "visited_on": timezone.localdate().isoformat()})

    assert response.status_code == 404
    assert not ExchangeVisit.objects.exists()


def test_a_facilitator_records_a_visit_and_the_same_visit_counts_once(
        facilitator_client: Any, academy: Any, people: dict[str, Any]) -> None:
    round_ = services.exchange_round_create(academy=academy, name="Spring exchange")
    services.exchange_round_pair(exchange_round=round_, seed=0)
    services.exchange_round_confirm(exchange_round=round_)
    pair = ExchangePair.objects.filter(round=round_).first()
    today = timezone.localdate().isoformat()
    url = f"/academy/{academy.pk}/exchange/{round_.pk}/pairs/{pair.pk}/visit/"

    first = facilitator_client.post(url, {"host": str(pair.first_id), "visited_on": today})
    # The visitor then adds their own reflection on the same visit.
    services.exchange_visit_record(pair=pair, host=pair.first, visited_on=timezone.localdate(),
                                   reflection="Learned how referrals work.")
    home = facilitator_client.get(f"/academy/{academy.pk}/exchange/").content.decode()
    round_page = facilitator_client.get(
        f"/academy/{academy.pk}/exchange/{round_.pk}/").content.decode()

    assert first.status_code == 302
    assert f"hosted by {pair.first.name}: “Learned how referrals work.”" in round_page
    assert list(ExchangeVisit.objects.values_list("reflection", flat=True)) == [
        "Learned how referrals work."]
    assert 'id="visits-count">1<' in home


def test_a_member_who_left_is_never_paired(
        academy: Any, people: dict[str, Any]) -> None:
    services.member_leave(member=people["sam"])
    round_ = services.exchange_round_create(academy=academy, name="Spring exchange")

    pairing = services.exchange_round_pair(exchange_round=round_, seed=0)

    ids = {i for p in pairing.pairs for i in (p.first, p.second)} | {
        u.id for u in pairing.unpaired}
    assert people["sam"].pk not in ids
    assert len(ids) == 3


# --- In a real browser, at 360 px, with axe ----------------------------------------------

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path("/tmp/tl-shots")  # noqa: S108 - screenshots for a person to look at


def _serious_axe_violations(page: Any) -> list[str]:
    page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;typeof axe")
    result = page.evaluate("o => axe.run(document, o)", {"runOnly": {
        "type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}})
    return [f"{v['id']}: {v['help']}" for v in result["violations"]
            if v["impact"] in {"serious", "critical"}]


@pytest.mark.django_db(transaction=True)
def test_the_round_page_and_the_members_page_work_on_a_phone(
        live_server: Any, browser: Any, facilitator: Any, academy: Any,
        people: dict[str, Any]) -> None:
    from django.test import Client

    round_ = services.exchange_round_create(academy=academy, name="Spring exchange")
    services.exchange_round_pair(exchange_round=round_, seed=0)
    signed_in = Client()
    signed_in.force_login(facilitator)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    context.add_cookies([{"name": "sessionid", "value": signed_in.cookies["sessionid"].value,
                          "url": live_server.url}])
    page = context.new_page()

    page.goto(f"{live_server.url}/academy/{academy.pk}/exchange/{round_.pk}/")
    page.get_by_role("button", name="Confirm 2 pairs and email the members").click()
    page.wait_for_load_state()

    assert "Confirmed 2 pairs" in page.locator("[role=status]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert _serious_axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "exchange-round.png"), full_page=True)

    priya = people["priya"]
    page.goto(f"{live_server.url}/m/{priya.token}/exchange/")
    page.get_by_role("link", name="Record a visit with Sam Okoro").click()
    page.get_by_label("I visited Sam Okoro").check()
    page.get_by_label("Date of the visit").fill(timezone.localdate().isoformat())
    page.get_by_label("Reflection (optional)").fill("Their front door team triages by phone.")
    assert _serious_axe_violations(page) == []
    page.get_by_role("button", name="Record the visit").click()
    page.wait_for_load_state()

    assert "you visited" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert _serious_axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "exchange-member.png"), full_page=True)
    assert ExchangeVisit.objects.get().reflection == "Their front door team triages by phone."
    context.close()
