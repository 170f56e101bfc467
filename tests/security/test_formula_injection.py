"""Every export neutralises cells a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tracelead.core.safety import safe_cell

PAYLOADS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\x00=1+1",
    # Look-alikes a spreadsheet may fold into the ASCII signs (NFKC).
    "\uff1dHYPERLINK(\"http://evil.example\")",
    "\uff0b1+1",
    "\uff0d2+3",
    "\uff20SUM(1+1)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_payload_is_made_inert(payload: str) -> None:
    assert safe_cell(payload) == "'" + payload


def test_ordinary_values_pass_unchanged() -> None:
    assert [safe_cell(v) for v in ("Ward 7", "", 3, 2.5, None, "a=b")] == [
        "Ward 7",
        "",
        3,
        2.5,
        None,
        "a=b",
    ]


def test_the_links_csv_and_the_report_exports_neutralise_every_payload(
    facilitator_client: Any, team: Any, make_assessment: Any, add_responses: Any,
    close_and_publish: Any, finish_job: Any,
) -> None:
    from tracelead.diagnostics.services import invitations_create

    team.name = PAYLOADS[1]
    team.save()
    assessment = make_assessment(team, threshold=3, comment_threshold=3)
    invitations_create(assessment=assessment, rater_kind="member", labels=PAYLOADS)
    add_responses(assessment, [3, 4, 5])
    # The links CSV holds the links just made on the page (once): the payloads a form can
    # carry (a NUL is refused by the form; the service above strips it).
    typed = [p for p in PAYLOADS if "\x00" not in p]
    made = facilitator_client.post(
        f"/assessments/{assessment.pk}/links/", {"rater_kind": "member", "labels": "\n".join(typed)}
    )
    assert made.status_code == 302

    links = facilitator_client.get(f"/assessments/{assessment.pk}/links.csv").content.decode()
    labels = [row["label"] for row in csv.DictReader(io.StringIO(links))]
    expected = ["'" + p.replace("\x00", "").strip() for p in typed]
    # Labels are stored trimmed and without NUL, then every one still starts with "'".
    assert all(label.startswith("'") for label in labels), labels
    assert len(labels) == len(expected)

    # Reports show what is published: the round closes and its publication is made.
    close_and_publish(assessment)
    system = f"/reports/systems/{team.system_id}"
    group_book = facilitator_client.get(f"/reports/assessments/{assessment.pk}/report.xlsx")
    assert group_book.status_code == 200
    # Many groups' workbook is made by a background job.
    _, system_book = finish_job(facilitator_client,
                                facilitator_client.post(f"{system}/report.xlsx"))
    assert system_book is not None
    for url, content in (("group", group_book.content), ("system", system_book)):
        workbook = load_workbook(io.BytesIO(content))
        cells = [c.value for sheet in workbook for row in sheet.iter_rows() for c in row]
        texts = [c for c in cells if isinstance(c, str)]
        assert any(PAYLOADS[1] in t for t in texts), url
        assert not any(t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts), texts
    for url in (f"/reports/assessments/{assessment.pk}/report.csv", f"{system}/report.csv"):
        rows = list(csv.reader(io.StringIO(facilitator_client.get(url).content.decode())))
        assert len(rows) == 1 + 3, url
        assert {row[0] for row in rows[1:]} == {"'" + PAYLOADS[1]}, url
