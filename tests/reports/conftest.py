"""Data for the report tests: disclosed groups, a group under its threshold, a payload."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from report_helpers import PAYLOAD_NAME, SECRET_COMMENT, SECRET_NAME, varied_rows


@pytest.fixture
def reports_data(system: Any, organisation: Any, team: Any, make_assessment: Any,
                 add_responses: Any, trace: Any) -> dict[str, Any]:
    """Ward 7 (two rounds, 8 now with comments), a payload-named team, a secret small team."""
    from tracelead.organisations import services
    from tracelead.organisations.models import Sector, Space

    council = services.organisation_create(system=system, name="Vale Council",
                                           sector=Sector.LOCAL_AUTHORITY)
    payload = services.group_create(system=system, organisation=council, name=PAYLOAD_NAME,
                                    space=Space.TEAM)
    secret = services.group_create(system=system, organisation=council, name=SECRET_NAME,
                                   space=Space.TEAM)
    keys = trace.item_keys
    before = make_assessment(team, opens_on=dt.date(2025, 1, 6), closes_on=dt.date(2025, 2, 6))
    add_responses(before, varied_rows(1, 7, keys, centre=2.5))
    now = make_assessment(team, threshold=5, comment_threshold=5)
    add_responses(now, varied_rows(2, 8, keys, centre=4.0),
                  free_text=[{"task_statement": f"We keep patients safe ({n})",
                              "one_change": ""} for n in range(8)])
    payload_round = make_assessment(payload)
    add_responses(payload_round, varied_rows(3, 6, keys))
    secret_round = make_assessment(secret, comment_threshold=3, threshold=3)
    # threshold 3 but the system's strictest is 5, so two responses are hidden everywhere.
    add_responses(secret_round, [1, 1], free_text=[{"task_statement": SECRET_COMMENT}] * 2)
    return {"now": now, "before": before, "payload": payload, "payload_round": payload_round,
            "secret": secret, "secret_round": secret_round}
