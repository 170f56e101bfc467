"""The strategy's board report, PDF and workbook, on the demo trust: every part is there,
each only as its own page shows it, and only those who may read the strategy get it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from typing import Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,  # noqa: S607 - poppler's tool
                          capture_output=True, check=True)
    return re.sub(r"\s+", " ", done.stdout.decode())


@pytest.fixture
def demo(db: Any, settings: Any) -> Any:
    from tracelead.demo import DEMO_USERNAME, ORGANISATIONS, demo_load
    from tracelead.organisations.models import Organisation

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_load()
    trust = Organisation.objects.get(name=ORGANISATIONS["acute"][0])
    client = Client()
    client.force_login(get_user_model().objects.get(username=DEMO_USERNAME))
    return trust, client


def test_the_board_report_brings_every_part_together(demo: Any, make_user: Any) -> None:
    from tracelead.core.models import AuditEvent
    from tracelead.strategy import feedback

    trust, client = demo
    pdf = client.get(reverse("strategy_board_report", args=[trust.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    for heading in ("The culture the board wants", "Leadership inventory and its gaps",
                    "Diversity of post-holders against the workforce",
                    "Direction, alignment and commitment beside TRACE",
                    "360 feedback on the framework", "Outcomes", "Progress"):
        assert heading in text, heading
    assert "Surgical Division management team" in text
    assert "Ward manager: 6 holders" in text
    assert "4 of 7 milestones done" in text
    assert "Head of patient flow" in text  # vacant, no one ready
    assert AuditEvent.objects.filter(action="exported", what__contains="Board report (pdf)"
                                     ).exists()

    book = openpyxl.load_workbook(io.BytesIO(client.get(
        reverse("strategy_board_report", args=[trust.pk, "xlsx"])).content))
    assert book.sheetnames == ["Summary", "Framework", "Inventory", "Development plan",
                               "Diversity", "DAC and TRACE", "360 summaries", "Outcomes",
                               "Milestones"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["Leaders needed"] == 162 and summary["Vacant"] == 21
    # The 360 sheet carries the stored summary's figures, "not shown" where it shows none.
    stored = feedback.summary_report(trust.strategy.positions.get(title="Ward manager")
                                     .feedback_summaries.get())
    rows = list(book["360 summaries"].iter_rows(values_only=True))
    header = rows[0]
    compassion = next(r for r in rows if r[2] == "Compassion and support")
    expected = next(r for r in stored.rows if r.key == "compassion")
    assert compassion[header.index("Everyone but the leader")] == round(
        expected.others.mean, 2)
    assert compassion[header.index("Others")] == "not shown"
    dac = [r for r in book["DAC and TRACE"].iter_rows(values_only=True)][1:]
    assert {r[1] for r in dac} == {"Direction", "Alignment", "Commitment"}
    outcome_rows = list(book["Outcomes"].iter_rows(values_only=True))[1:]
    assert {r[0] for r in outcome_rows} == {"Staff engagement (NHS Staff Survey)",
                                            "Sickness absence rate",
                                            "Temporary staffing spend"}

    # Anyone outside the organisation gets the same 404 as for no organisation at all.
    stranger = Client()
    stranger.force_login(make_user("stranger"))
    assert stranger.get(reverse("strategy_board_report", args=[trust.pk, "pdf"])
                        ).status_code == 404
    assert client.get(f"/organisations/{trust.pk}/strategy/board.doc").status_code == 404
