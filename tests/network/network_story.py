"""The small network the page, privacy and export tests share.

Northbrook Hospitals (acute): Asha Patel, Ben Okafor, Cara Singh, Dan Hughes, Ella Walsh
and Finn Morgan. Vale Council (local authority): Gita Rao, Hal Evans, Ivy Chen, Jon Doyle
and Kay Quinn. Vale Carers Trust (voluntary sector): Lena Young and Mo Iqbal, two people,
under the threshold of five. Everyone joined 60 days ago.

"Leading Together" enrols Asha, Ben, Cara, Gita, Hal, Lena and Mo. Its workshop 1 (40
days ago) had Asha, Ben, Cara, Gita, Hal and Lena; workshop 2 (20 days ago) Asha, Ben,
Gita, Lena and Mo. A learning evening 10 days ago had Dan and Ivy.

Ties. Knew at joining: Asha–Ben, Ben–Cara, Cara–Dan, Dan–Ella (hospital), Gita–Hal,
Hal–Ivy, Ivy–Jon (council), Lena–Mo (charity). Met at workshop 1: Asha–Gita, Asha–Lena,
Ben–Hal, Gita–Lena, Cara–Hal; at workshop 2: Asha–Mo, Gita–Mo, Ben–Lena; at the evening:
Dan–Ivy. Asha and Gita have worked together since (10 days ago). Finn and Kay have no
ties.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

NAMES = {
    "hospital": ["Asha Patel", "Ben Okafor", "Cara Singh", "Dan Hughes", "Ella Walsh",
                 "Finn Morgan"],
    "council": ["Gita Rao", "Hal Evans", "Ivy Chen", "Jon Doyle", "Kay Quinn"],
    "charity": ["Lena Young", "Mo Iqbal"],
}
ENROLLED = ["Asha", "Ben", "Cara", "Gita", "Hal", "Lena", "Mo"]
KNEW = [("Asha", "Ben"), ("Ben", "Cara"), ("Cara", "Dan"), ("Dan", "Ella"), ("Gita", "Hal"),
        ("Hal", "Ivy"), ("Ivy", "Jon"), ("Lena", "Mo")]
WORKSHOP_1 = ["Asha", "Ben", "Cara", "Gita", "Hal", "Lena"]
WORKSHOP_2 = ["Asha", "Ben", "Gita", "Lena", "Mo"]
MET_1 = [("Asha", "Gita"), ("Asha", "Lena"), ("Ben", "Hal"), ("Gita", "Lena"), ("Cara", "Hal")]
MET_2 = [("Asha", "Mo"), ("Gita", "Mo"), ("Ben", "Lena")]


@dataclass
class Story:
    academy: Any
    people: dict[str, Any]  # by first name
    programme: Any
    workshop_1: Any
    workshop_2: Any
    evening: Any

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.people.values()]


def build(academy: Any, hospital: Any, council: Any, charity: Any, make_member: Any,
          make_event: Any) -> Story:
    from tracelead.academy.models import (
        CheckIn,
        CheckInMethod,
        Enrolment,
        EventKind,
        Offer,
        Programme,
    )
    from tracelead.network import services
    from tracelead.network.models import ConnectionKind

    joined = timezone.now() - dt.timedelta(days=60)
    people = {}
    for where, organisation in (("hospital", hospital), ("council", council),
                                ("charity", charity)):
        for name in NAMES[where]:
            people[name.split()[0]] = make_member(name, organisation=organisation,
                                                  joined_at=joined)
    offer = Offer.objects.filter(academy=academy).first()
    programme = Programme.objects.create(academy=academy, offer=offer, name="Leading Together")
    Enrolment.objects.bulk_create(Enrolment(programme=programme, member=people[n])
                                  for n in ENROLLED)
    workshop_1 = make_event("Leading Together: workshop 1", days=-40, programme=programme)
    workshop_2 = make_event("Leading Together: workshop 2", days=-20, programme=programme)
    evening = make_event("Learning evening", days=-10, kind=EventKind.LEARNING_COMMUNITY)
    for event, who in ((workshop_1, WORKSHOP_1), (workshop_2, WORKSHOP_2),
                       (evening, ["Dan", "Ivy"])):
        CheckIn.objects.bulk_create(CheckIn(event=event, member=people[n],
                                            method=CheckInMethod.LIST, at=event.starts_at)
                                    for n in who)

    def tie(a: str, b: str, kind: str, on: dt.date, event: Any = None) -> None:
        services.connection_add(academy=academy, a=people[a], b=people[b], kind=kind, on=on,
                                event=event)

    for a, b in KNEW:
        tie(a, b, ConnectionKind.KNEW, timezone.localdate(joined))
    for event, pairs in ((workshop_1, MET_1), (workshop_2, MET_2), (evening, [("Dan", "Ivy")])):
        for a, b in pairs:
            tie(a, b, ConnectionKind.MET, timezone.localdate(event.starts_at), event)
    tie("Asha", "Gita", ConnectionKind.WORKED, timezone.localdate() - dt.timedelta(days=10))
    return Story(academy=academy, people=people, programme=programme, workshop_1=workshop_1,
                 workshop_2=workshop_2, evening=evening)
