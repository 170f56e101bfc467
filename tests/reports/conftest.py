"""Data for the report tests: disclosed groups, a group under the threshold, a payload."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from report_helpers import PAYLOAD_NAME, SECRET_COMMENT, SECRET_NAME, varied_rows


@pytest.fixture
def reports_data(system: Any, organisation: Any, team: Any, make_assessment: Any,
                 add_responses: Any, close_and_publish: Any, trace: Any) -> dict[str, Any]:
    """Two published cycles of one system.

    * "Winter 2025": Ward 7's first round, 7 responses, closed in February 2025.
    * "Spring 2026" (comments from 5): Ward 7 again (8 responses, each with a comment), a
      team whose name is a spreadsheet formula (6), and a secret team of 2, under the
      cycle's threshold of 5 and so withheld everywhere.
    """
    from tracelead.organisations import services
    from tracelead.organisations.models import Sector, Space
    from tracelead.publishing.gate import publish_due
    from tracelead.publishing.services import cycle_create

    council = services.organisation_create(system=system, name="Vale Council",
                                           sector=Sector.LOCAL_AUTHORITY)
    payload = services.group_create(system=system, organisation=council, name=PAYLOAD_NAME,
                                    space=Space.TEAM)
    secret = services.group_create(system=system, organisation=council, name=SECRET_NAME,
                                   space=Space.TEAM)
    keys = trace.item_keys
    winter = cycle_create(system=system, name="Winter 2025", threshold=5, comment_threshold=10)
    before = make_assessment(team, cycle=winter, opens_on=dt.date(2025, 1, 6),
                             closes_on=dt.date(2025, 2, 6))
    add_responses(before, varied_rows(1, 7, keys, centre=2.5))
    publish_due(winter)  # it closed long ago: published before the next cycle exists

    spring = cycle_create(system=system, name="Spring 2026", threshold=5, comment_threshold=5)
    now = make_assessment(team, cycle=spring)
    add_responses(now, varied_rows(2, 8, keys, centre=4.0),
                  free_text=[{"task_statement": f"We keep patients safe ({n})",
                              "one_change": ""} for n in range(8)])
    payload_round = make_assessment(payload, cycle=spring)
    add_responses(payload_round, varied_rows(3, 6, keys))
    secret_round = make_assessment(secret, cycle=spring)
    add_responses(secret_round, [1, 1], free_text=[{"task_statement": SECRET_COMMENT}] * 2)
    publication = close_and_publish(now, payload_round, secret_round)
    assert publication is not None and publication.number == 1
    return {"now": now, "before": before, "payload": payload, "payload_round": payload_round,
            "secret": secret, "secret_round": secret_round, "winter": winter,
            "spring": spring, "publication": publication}
