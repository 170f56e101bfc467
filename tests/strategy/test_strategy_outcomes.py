"""The strategy's outcomes over time against its milestones: measures and values entered
or imported (every bad row reported, nothing written), the chart, and the phases."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tracelead.strategy import services
from tracelead.strategy.charts import outcome_chart
from tracelead.strategy.models import Milestone, Outcome, OutcomeValue

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.fixture
def strategy(organisation: Any) -> Any:
    return services.strategy_create(organisation=organisation)


def test_measures_and_values_are_entered_and_checked(facilitator: Any, viewer: Any,
                                                     organisation: Any, strategy: Any) -> None:
    fran = _client(facilitator)
    page = reverse("strategy_outcomes", args=[organisation.pk])
    assert _client(viewer).post(page).status_code == 403
    assert fran.post(page).status_code == 302
    assert list(strategy.outcomes.values_list("name", flat=True)) == [
        "Staff engagement (NHS Staff Survey)", "Sickness absence rate",
        "Temporary staffing spend"]
    fran.post(page)  # twice: nothing added again
    assert strategy.outcomes.count() == 3

    new = reverse("strategy_outcome_new", args=[organisation.pk])
    same = fran.post(new, {"name": "sickness absence RATE", "better": "lower"})
    assert same.status_code == 400 and "already has a measure of that name" in _text(same)
    assert fran.post(new, {"name": "Vacancy rate", "unit": "%", "better": "lower"}
                     ).status_code == 302

    sickness = strategy.outcomes.get(name="Sickness absence rate")
    value_url = reverse("strategy_outcome_value", args=[organisation.pk, sickness.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future = fran.post(value_url, {"on": tomorrow.isoformat(), "value": "5"})
    assert future.status_code == 400 and "cannot be in the future" in _text(future)
    words = fran.post(value_url, {"on": "2026-01-01", "value": "five"})
    assert words.status_code == 400 and "Enter the value as a number" in _text(words)
    assert not OutcomeValue.objects.exists()
    assert fran.post(value_url, {"on": "2026-01-01", "value": "5.4"}).status_code == 302
    assert fran.post(value_url, {"on": "2026-01-01", "value": "5.1"}).status_code == 302
    assert list(sickness.values.values_list("value", flat=True)) == [5.1]  # replaced
    assert _client(viewer).get(value_url).status_code == 404


def test_the_chart_draws_values_with_the_milestones_that_fall_among_them(
        facilitator: Any, viewer: Any, organisation: Any, strategy: Any) -> None:
    spend = services.outcome_save(strategy=strategy, name="Temporary staffing spend",
                                  unit="£k", better="lower")
    assert outcome_chart(spend, []) is None  # fewer than two values: no line to draw
    for month, value in ((1, 2400.0), (2, 2350.0), (3, 2100.0)):
        services.outcome_value_save(outcome=spend, on=dt.date(2026, month, 1), value=value)
    inside = services.milestone_save(strategy=strategy, phase="design", owner="Chair",
                                     title="Framework agreed", due_on=dt.date(2026, 2, 10))
    services.milestone_save(strategy=strategy, phase="evaluation", owner="Chair",
                            title="First evaluation", due_on=dt.date(2027, 1, 1))
    spec = outcome_chart(spend, list(strategy.milestones.all()))
    assert spec is not None
    datasets = [layer["data"]["values"] for layer in spec["layer"]]
    assert datasets[0] == [{"on": "2026-01-01", "value": 2400.0},
                           {"on": "2026-02-01", "value": 2350.0},
                           {"on": "2026-03-01", "value": 2100.0}]
    assert [{"on": "2026-02-10", "title": inside.title}] in datasets  # not the 2027 one
    assert spec["description"] == ("Temporary staffing spend from January 2026 to March "
                                   "2026, 3 values (lower is better); dashed lines mark "
                                   "1 milestone")
    page = _client(viewer).get(reverse("strategy_outcomes", args=[organisation.pk]))
    assert page.status_code == 200
    section = _text(page).split(f'id="outcome-{spend.pk}"')[1].split("</section>")[0]
    assert "<svg" in section and "1 January 2026: 2,400" in section
    assert "Add a measure" not in _text(page)


def _import(client: Client, organisation: Any, content: bytes) -> Any:
    return client.post(reverse("strategy_outcomes_import", args=[organisation.pk]),
                       {"file": SimpleUploadedFile("values.csv", content)})


@pytest.mark.parametrize(("rows", "message"), [
    ("Vacancies,2026-01-01,3", "line 2, column “measure”: is not one of the strategy's "
                               "measures"),
    ("Sickness absence rate,yesterday,3", "line 2, column “date”: must be a date"),
    ("Sickness absence rate,2099-01-01,3", "line 2, column “date”: cannot be in the future"),
    ("Sickness absence rate,2026-01-01,high", "line 2, column “value”: must be a number"),
    ("Sickness absence rate,2026-01-01,3\nsickness absence rate,01/01/2026,4",
     "line 3, column “date”: the same measure and date are on line 2 too"),
])
def test_a_broken_values_file_is_reported_and_nothing_is_written(
        facilitator: Any, organisation: Any, strategy: Any, rows: str, message: str) -> None:
    services.outcomes_standard(strategy=strategy)
    response = _import(_client(facilitator), organisation,
                       f"measure,date,value\nSickness absence rate,2025-12-01,5\n{rows}\n"
                       .replace("\nSickness absence rate,2025-12-01,5\n", "\n").encode())
    assert response.status_code == 400
    assert message in _text(response)
    assert not OutcomeValue.objects.exists()


def test_values_import_from_a_file_and_replace_the_same_day(
        facilitator: Any, organisation: Any, strategy: Any) -> None:
    services.outcomes_standard(strategy=strategy)
    spend = Outcome.objects.get(name="Temporary staffing spend")
    services.outcome_value_save(outcome=spend, on=dt.date(2026, 1, 1), value=1.0)
    content = ("Measure,Date,Value,Source\n"
               "Temporary staffing spend,2026-01-01,\"£2,450\",ledger\n"
               "Temporary staffing spend,01/02/2026,2300,ledger\n"
               "Sickness absence rate,2026-02-01,5.2%,ESR\n").encode()
    response = _import(_client(facilitator), organisation, content)
    assert response.status_code == 200 and "Imported 3 values" in _text(response)
    assert "Columns not read: Source." in _text(response)
    assert list(spend.values.values_list("on", "value")) == [
        (dt.date(2026, 1, 1), 2450.0), (dt.date(2026, 2, 1), 2300.0)]


def test_milestones_are_kept_by_phase_and_the_workspace_counts_them(
        facilitator: Any, viewer: Any, organisation: Any, strategy: Any) -> None:
    fran = _client(facilitator)
    new = reverse("strategy_milestone_new", args=[organisation.pk])
    bad = fran.post(new, {"phase": "", "title": "", "due_on": "31/02/2026", "owner": "",
                          "status": "done"})
    assert bad.status_code == 400
    for message in ("Choose the phase", "Enter the milestone", "Enter a real date",
                    "Enter who owns it"):
        assert message in _text(bad)
    assert not Milestone.objects.exists()
    last_month = timezone.localdate() - dt.timedelta(days=31)
    assert fran.post(new, {"phase": "discovery", "title": "Listening events",
                           "due_on": "2026-01-15", "owner": "Director of people",
                           "status": "done", "evidence": "Report to the board"}
                     ).status_code == 302
    assert fran.post(new, {"phase": "implementation", "title": "Succession plans",
                           "due_on": last_month.isoformat(), "owner": "Director of nursing",
                           "status": "in_progress"}).status_code == 302
    page = _text(_client(viewer).get(reverse("strategy_milestones", args=[organisation.pk])))
    implementation = page.split('id="phase-implementation"')[1].split("</ul>")[0]
    assert "In progress, overdue" in implementation and "Succession plans" in implementation
    assert "Evidence: Report to the board" in page and "Add a milestone" not in page
    workspace = _text(_client(viewer).get(reverse("strategy", args=[organisation.pk])))
    assert "Phases and milestones</a>: 1 of 2 done, 1 overdue" in workspace
    assert _client(viewer).get(new).status_code == 404
