"""Personal links made from a list (one link an email address, however often it is
listed) and the system's settings page (respondent information and the reports' logo)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _png(size: tuple[int, int] = (40, 20)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 94, 184)).save(buffer, format="PNG")
    return buffer.getvalue()


def _links(assessment: Any) -> list[str]:
    return sorted(assessment.invitations.values_list("label", flat=True))


# --- One link an address --------------------------------------------------------------


def test_the_same_email_listed_twice_gets_one_link(
    facilitator_client: Any, assessment: Any
) -> None:
    url = reverse("assessment_invitations", args=[assessment.pk])
    response = facilitator_client.post(url, {
        "rater_kind": "member",
        "labels": "amy@example.nhs.uk\nbob@example.nhs.uk\nAMY@example.nhs.uk \n"
                  "Chris Smith\nChris Smith\n",
    }, follow=True)
    assert response.status_code == 200
    # Amy once (in either case); two colleagues may share a name, so Chris twice.
    assert _links(assessment) == ["Chris Smith", "Chris Smith", "amy@example.nhs.uk",
                                  "bob@example.nhs.uk"]
    page = response.content.decode()
    assert "Created 4 links." in page
    assert "One email address was listed twice or already had a link" in page
    # The links made are listed on the page, each with a copy button, and the script that
    # drives the buttons is a file (no inline script).
    assert page.count("nhsuk-button--small tl-copy") == 4
    assert 'id="copy-all-links"' in page and "tracelead/copy.js" in page
    # Listing Amy again later makes no second link for her either.
    again = facilitator_client.post(url, {"rater_kind": "member",
                                          "labels": "Amy@Example.nhs.uk\ndee@example.nhs.uk"},
                                    follow=True)
    assert _links(assessment).count("amy@example.nhs.uk") == 1
    assert "dee@example.nhs.uk" in _links(assessment)
    assert "Created 1 link." in again.content.decode()
    # Everyone listed already has a link: nothing is made, and the form says why.
    refused = facilitator_client.post(url, {"rater_kind": "member",
                                            "labels": "bob@example.nhs.uk"})
    assert refused.status_code == 400
    assert "Everyone listed already has a link to this round" in refused.content.decode()
    assert len(_links(assessment)) == 5


def test_the_service_keeps_one_link_per_address_for_the_api_too(assessment: Any) -> None:
    from tracelead.diagnostics.services import invitations_create

    made = invitations_create(assessment=assessment, rater_kind="member",
                              labels=iter(["x@a.org", "X@A.org", "y@a.org"]))
    assert [i.label for i in made] == ["x@a.org", "y@a.org"]


# --- The settings page ----------------------------------------------------------------


def test_a_facilitator_sets_the_respondent_information_and_a_logo(
    facilitator_client: Any, system: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tracelead.core.models import AuditEvent

    url = reverse("system_settings", args=[system.pk])
    assert facilitator_client.get(url).status_code == 200
    detail = facilitator_client.get(reverse("system", args=[system.pk])).content.decode()
    assert url in detail
    response = facilitator_client.post(url, {
        "survey_runner": " the OD team at Northbrook ICS ", "survey_contact": "od@nb.nhs.uk",
        "privacy_notice": "We keep your answers for a year.",
        "logo": SimpleUploadedFile("Crest.PNG", _png(), content_type="image/png"),
    })
    assert response.status_code == 302
    system.refresh_from_db()
    assert (system.survey_runner, system.survey_contact, system.privacy_notice) == (
        "the OD team at Northbrook ICS", "od@nb.nhs.uk", "We keep your answers for a year.")
    assert system.logo.name.endswith(".png")
    assert system.logo.read() == _png()
    assert AuditEvent.objects.filter(system_id=system.pk, action="changed",
                                     what__contains="logo").exists()
    logo = facilitator_client.get(reverse("system_logo", args=[system.pk]))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert "sandbox" in logo["Content-Security-Policy"]
    # Removing it deletes the file once the change is saved.
    stored = system.logo.path
    with django_capture_on_commit_callbacks(execute=True):
        facilitator_client.post(url, {"survey_runner": "x", "remove_logo": "on"})
    system.refresh_from_db()
    assert not system.logo
    assert not Path(stored).exists()
    assert facilitator_client.get(reverse("system_logo", args=[system.pk])).status_code == 404


@pytest.mark.parametrize(("name", "content", "message"), [
    ("logo.gif", b"GIF89a....", "must be a PNG, JPEG or SVG image"),
    ("logo.png", b"not an image at all", "must be a PNG, JPEG or SVG image"),
    ("logo.jpg", None, "is named as a JPEG image but is not one"),
    ("logo.png", b"\x89PNG" + b"0" * (1024 * 1024), "smaller than 1 MB"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "must not contain scripts"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
     "must not contain scripts"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" '
                 b'xmlns:x="http://www.w3.org/1999/xlink"><image x:href="http://evil/x.png"/>'
                 b"</svg>", "must not link to other files"),
    ("logo.svg", b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>',
     "must not declare a document type"),
])
def test_a_logo_that_is_not_a_safe_small_image_is_refused(
    facilitator_client: Any, system: Any, name: str, content: bytes | None, message: str
) -> None:
    data = _png() if content is None else content  # a PNG named as a JPEG
    response = facilitator_client.post(reverse("system_settings", args=[system.pk]), {
        "logo": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'href="#id_logo"' in page  # the error summary links to the field
    system.refresh_from_db()
    assert not system.logo


def test_a_clean_svg_logo_is_accepted(facilitator_client: Any, system: Any) -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40">'
           b'<rect width="80" height="40" fill="#005eb8"/></svg>')
    response = facilitator_client.post(reverse("system_settings", args=[system.pk]), {
        "logo": SimpleUploadedFile("crest.svg", svg)})
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.logo.name.endswith(".svg")
    from tracelead.reports.exports import logo_data_uri

    assert logo_data_uri(system).startswith("data:image/svg+xml;base64,")


def test_only_the_systems_facilitators_may_change_its_settings(
    viewer: Any, other_facilitator: Any, system: Any
) -> None:
    url = reverse("system_settings", args=[system.pk])
    viewer_client = Client()
    viewer_client.force_login(viewer)
    assert viewer_client.get(url).status_code in (403, 404)
    assert viewer_client.post(url, {"survey_runner": "Mallory"}).status_code in (403, 404)
    outsider = Client()
    outsider.force_login(other_facilitator)
    assert outsider.get(url).status_code == 404
    assert outsider.get(reverse("system_logo", args=[system.pk])).status_code == 404
    system.refresh_from_db()
    assert system.survey_runner == ""
