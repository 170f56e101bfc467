"""The development plan: positions of the leadership inventory linked to the offers and
programmes of the system's academy, the gaps it leaves, and who may change or read it.

Story: Fran facilitates Northbrook ICS, whose academy runs a capability offer and the
"Leading for Whole-System Change" programme; she plans how Northbrook Hospitals develops
its ward managers and clinical directors, and the matrons are left with no one ready and
nothing planned. Vic views the whole system and can open the programme's page; Oona views
only the hospital and cannot. Olu facilitates Southmoor ICS, whose academy's offer must
never be linked to Northbrook's plan.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tracelead.academy import services as academy_services
from tracelead.academy.models import Offer, Programme
from tracelead.core.models import AuditEvent
from tracelead.organisations.models import SystemMembership, SystemRole
from tracelead.strategy import services
from tracelead.strategy.development import development_link_add, development_links
from tracelead.strategy.models import DevelopmentLink, Strategy

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def strategy(organisation: Any) -> Strategy:
    made = services.strategy_create(organisation=organisation)
    for title, succession in (("Ward manager", "none"), ("Matron", "none"),
                              ("Clinical director", "ready_now")):
        services.position_save(strategy=made, title=title, needed=4, in_post=3,
                               succession=succession)
    services.position_save(strategy=made, title="Staff network chairs", kind="informal",
                           needed=5, in_post=5)
    return made


@pytest.fixture
def academy(system: Any) -> Any:
    made = academy_services.academy_create(system=system, name="Northbrook academy")
    capability = Offer.objects.create(academy=made, name="Capability development")
    programme = Programme.objects.create(academy=made, offer=capability,
                                         name="Leading for Whole-System Change")
    # Workshops on 4 March and 15 April 2026; a third, cancelled, would have run in June.
    for day in (dt.date(2026, 4, 15), dt.date(2026, 3, 4), dt.date(2026, 6, 1)):
        academy_services.event_create(academy=made, kind="workshop", programme=programme,
                                      title=f"Workshop {day}", starts_at=_at(day, 9),
                                      ends_at=_at(day, 16))
    academy_services.event_cancel(event=programme.events.get(starts_at=_at(dt.date(2026, 6, 1),
                                                                           9)))
    return made


@pytest.fixture
def other_academy(other_system: Any) -> Any:
    made = academy_services.academy_create(system=other_system, name="Southmoor academy")
    offer = Offer.objects.create(academy=made, name="Southmoor coaching")
    Programme.objects.create(academy=made, offer=offer, name="Southmoor programme")
    return made


def _new(client: Client, organisation: Any, **data: Any) -> Any:
    return client.post(reverse("strategy_development_new", args=[organisation.pk]), data)


def test_a_facilitator_plans_development_and_the_plan_shows_the_gaps(
        facilitator: Any, viewer: Any, organisation: Any, strategy: Strategy,
        academy: Any) -> None:
    fran = _client(facilitator)
    ward, matron, director = (strategy.positions.get(title=t) for t in
                              ("Ward manager", "Matron", "Clinical director"))
    programme = academy.programmes.get()
    offer = academy.offers.get()
    form = fran.get(reverse("strategy_development_new", args=[organisation.pk])
                    + f"?position={ward.pk}")
    assert form.status_code == 200
    assert f'<option value="{ward.pk}" selected' in form.content.decode()
    assert "Programme: Leading for Whole-System Change (Capability development)" in _text(form)

    done = _new(fran, organisation, position=ward.pk, target=f"programme-{programme.pk}",
                note="  Every ward manager   through it by March ")
    assert done.status_code == 302
    assert done["Location"].endswith(f"/strategy/development/#position-{ward.pk}")
    assert _new(fran, organisation, position=director.pk,
                target=f"offer-{offer.pk}").status_code == 302
    link = DevelopmentLink.objects.get(position=ward)
    assert (link.programme, link.offer, link.note) == (programme, None,
                                                       "Every ward manager through it by March")
    assert AuditEvent.objects.filter(
        what__startswith="Planned to develop the position Ward manager through Leading for "
                         "Whole-System Change").exists()
    # The same link twice is refused.
    again = _new(fran, organisation, position=ward.pk, target=f"programme-{programme.pk}")
    assert again.status_code == 400
    assert "The plan already develops this position through it" in _text(again)
    assert DevelopmentLink.objects.count() == 2

    page = _text(_client(viewer).get(reverse("strategy_development", args=[organisation.pk])))
    # Matron: formal, no one ready, nothing planned. Ward managers have no cover either, but
    # a plan; informal influencers have no succession cover to report.
    gaps = page.split('id="development-gaps"')[1].split("</div>")[0]
    assert "Matron." in gaps and "Ward manager" not in gaps and "chairs" not in gaps
    row = page.split(f'id="position-{ward.pk}"')[1].split("</tr>")[0]
    programme_url = reverse("academy_programme", args=[academy.pk, programme.pk])
    assert f'<a href="{programme_url}">Leading for Whole-System Change</a>' in row
    assert "4 March 2026 to 15 April 2026" in row  # the cancelled June workshop not counted
    assert "Every ward manager through it by March" in row
    assert "Offer: Capability development" in page
    assert "Add to the development plan" not in page and "Remove" not in page
    # The inventory shows what develops each position.
    positions = _text(_client(viewer).get(reverse("strategy_positions", args=[organisation.pk])))
    cell = positions.split(f'id="development-{ward.pk}"')[1].split("</td>")[0]
    assert "Programme: Leading for Whole-System Change" in cell
    assert "Nothing planned yet" in positions.split(f'id="development-{matron.pk}"')[1]

    remove = reverse("strategy_development_remove", args=[organisation.pk, link.pk])
    assert _client(viewer).post(remove).status_code == 404
    assert fran.get(remove).status_code == 403
    assert fran.post(remove).status_code == 302
    assert not DevelopmentLink.objects.filter(pk=link.pk).exists()
    gaps = _text(fran.get(reverse("strategy_development", args=[organisation.pk]))
                 ).split('id="development-gaps"')[1].split("</div>")[0]
    assert "Ward manager, Matron" in gaps or "Matron, Ward manager" in gaps


def test_another_system_s_offer_or_programme_is_refused_and_nothing_is_written(
        facilitator: Any, organisation: Any, strategy: Strategy, academy: Any,
        other_academy: Any, other_organisation: Any) -> None:
    fran = _client(facilitator)
    ward = strategy.positions.get(title="Ward manager")
    foreign_offer = other_academy.offers.get()
    foreign_programme = other_academy.programmes.get()
    for target in (f"offer-{foreign_offer.pk}", f"programme-{foreign_programme.pk}",
                   "programme-999999", "offer-x"):
        refused = _new(fran, organisation, position=ward.pk, target=target, note="Forged")
        assert refused.status_code == 400, target
        text = _text(refused)
        assert "There is a problem" in text
        assert "Choose an offer or programme of this system's academy" in text
    none_chosen = _new(fran, organisation, position=ward.pk, target="")
    assert "Choose an offer or a programme" in _text(none_chosen)
    long_note = _new(fran, organisation, position=ward.pk,
                     target=f"offer-{academy.offers.get().pk}", note="x" * 301)
    assert "Keep the note to 300 characters or fewer" in _text(long_note)
    assert not DevelopmentLink.objects.exists()

    # The service refuses the same on its own, whatever form called it.
    with pytest.raises(ValidationError) as refused_offer:
        development_link_add(strategy=strategy, position=ward, offer=foreign_offer)
    assert refused_offer.value.message_dict == {
        "target": ["Choose an offer or programme of this system's academy"]}
    with pytest.raises(ValidationError):
        development_link_add(strategy=strategy, position=ward,
                             offer=academy.offers.get(), programme=academy.programmes.get())
    elsewhere = services.position_save(
        strategy=services.strategy_create(organisation=other_organisation),
        title="Ward manager", needed=1, in_post=1)
    with pytest.raises(ValidationError) as wrong_position:
        development_link_add(strategy=strategy, position=elsewhere,
                             offer=academy.offers.get())
    assert "position" in wrong_position.value.message_dict
    assert not DevelopmentLink.objects.exists()


@pytest.fixture
def other_organisation(other_system: Any) -> Any:
    from tracelead.organisations.services import organisation_create

    return organisation_create(system=other_system, name="Southmoor Hospitals",
                               sector="acute")


def test_without_an_academy_the_plan_says_so_and_offers_no_form(
        facilitator: Any, organisation: Any, strategy: Strategy) -> None:
    fran = _client(facilitator)
    page = _text(fran.get(reverse("strategy_development", args=[organisation.pk])))
    assert "Northbrook ICS has no leadership academy in tracelead yet" in page
    main = page.split("<h1")[1].split("</main>")[0]
    assert "Add to the development plan" not in main and "<form" not in main
    assert "Matron, Ward manager" in page.split('id="development-gaps"')[1].split("</div>")[0]
    assert fran.get(reverse("strategy_development_new", args=[organisation.pk])
                    ).status_code == 404
    assert _new(fran, organisation, position=1, target="offer-1").status_code == 404


def test_a_viewer_of_the_hospital_alone_sees_the_programme_without_a_link(
        make_user: Any, system: Any, organisation: Any, strategy: Strategy,
        academy: Any) -> None:
    programme = academy.programmes.get()
    development_link_add(strategy=strategy, position=strategy.positions.get(title="Matron"),
                         programme=programme)
    oona = make_user("oona.orgviewer")
    SystemMembership.objects.create(user=oona, system=system, role=SystemRole.VIEWER,
                                    organisation=organisation)
    page = _client(oona).get(reverse("strategy_development", args=[organisation.pk]))
    assert page.status_code == 200
    assert "Leading for Whole-System Change" in _text(page)
    programme_url = reverse("academy_programme", args=[academy.pk, programme.pk])
    assert programme_url not in page.content.decode()
    # ... which she could not open anyway: the academy is for roles over the whole system.
    assert _client(oona).get(programme_url).status_code == 404


def test_development_links_gives_the_board_report_each_link(
        organisation: Any, strategy: Strategy, academy: Any) -> None:
    programme, offer = academy.programmes.get(), academy.offers.get()
    development_link_add(strategy=strategy, position=strategy.positions.get(title="Matron"),
                         offer=offer, note="Coaching for new matrons")
    development_link_add(strategy=strategy,
                         position=strategy.positions.get(title="Clinical director"),
                         programme=programme)
    rows = development_links(strategy)
    assert [(r.position, r.kind, r.name, r.starts_on, r.ends_on, r.note) for r in rows] == [
        ("Clinical director", "programme", "Leading for Whole-System Change",
         dt.date(2026, 3, 4), dt.date(2026, 4, 15), ""),
        ("Matron", "offer", "Capability development", None, None,
         "Coaching for new matrons"),
    ]


def test_an_offer_in_a_development_plan_cannot_be_removed_from_the_academy(
        facilitator: Any, strategy: Strategy, academy: Any) -> None:
    """Removing the offer would take it out of the board's plan without a word."""
    offer = Offer.objects.create(academy=academy, name="Coaching for new leaders")
    position = strategy.positions.get(title="Matron")
    development_link_add(strategy=strategy, position=position, offer=offer)
    fran = _client(facilitator)
    remove = reverse("academy_item_remove", args=[academy.pk, "offers", offer.pk])
    shown = _text(fran.post(remove, follow=True))
    assert "Coaching for new leaders is in a board's development plan" in shown
    assert Offer.objects.filter(pk=offer.pk).exists()
    assert DevelopmentLink.objects.filter(offer=offer).count() == 1

    DevelopmentLink.objects.filter(offer=offer).delete()  # the board took it out
    shown = _text(fran.post(remove, follow=True))
    assert "Removed the offer Coaching for new leaders" in shown
    assert not Offer.objects.filter(pk=offer.pk).exists()
