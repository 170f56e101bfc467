"""The import pages: Fran (facilitator) uploads an export, checks the columns and imports;
Vic (viewer) is refused; Olu (another system) finds nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tracelead.evaluation import importing
from tracelead.evaluation.models import Form, Item, Submission

SAMPLES = Path(importing.__file__).parent / "samples"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_a_temporary_folder(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def programme(system: Any) -> Any:
    from tracelead.academy import services
    from tracelead.academy.models import Offer

    academy = services.academy_create(system=system, name="Northbrook Leadership Academy",
                                      purpose="Leaders across the system.", places="Vale",
                                      privacy_notice="We keep your details.")
    offer = Offer.objects.create(academy=academy, name="Capability development", position=1)
    return services.programme_save(academy=academy, offer=offer, name="Whole-system workshops")


def upload_url(programme: Any) -> str:
    return reverse("evaluation_import", args=[programme.academy_id, programme.pk])


def upload(client: Any, programme: Any, name: str, **extra: str) -> Any:
    data = {"file": SimpleUploadedFile(name, (SAMPLES / name).read_bytes()), "fmt": "",
            "kind": "imported", "event": "", "title": "", **extra}
    return client.post(upload_url(programme), data)


def test_fran_uploads_checks_the_columns_and_imports(facilitator_client: Any,
                                                     programme: Any) -> None:
    page = facilitator_client.get(upload_url(programme))
    assert page.status_code == 200 and "Import answers from another tool" in page.text
    response = upload(facilitator_client, programme, "forms_feedback.xlsx",
                      title="Workshop 3 feedback")
    assert response.status_code == 302
    mapping = facilitator_client.get(response["Location"])
    text = mapping.text
    assert "Microsoft Forms" in text and "Would create 5 submissions" in text
    assert 'value="rating" selected' in text and 'value="consent" selected' in text
    assert Form.objects.count() == 0
    done = facilitator_client.post(response["Location"], {
        "action": "import", "col-0-use": "email", "col-1-use": "rating", "col-1-min": "1",
        "col-1-max": "5", "col-2-use": "choices", "col-3-use": "ignore",
        "col-4-use": "consent"})
    assert done.status_code == 302
    assert done["Location"] == reverse("academy_programme",
                                       args=[programme.academy_id, programme.pk])
    form = Form.objects.get()
    assert form.title == "Workshop 3 feedback" and form.created_by is not None
    assert list(Item.objects.filter(form=form).values_list("kind", flat=True)) == [
        "rating", "choices"]
    assert Submission.objects.filter(form=form).count() == 5
    # The upload is gone once imported.
    assert facilitator_client.get(response["Location"]).status_code == 404


def test_a_bad_rating_is_listed_and_blocks_the_import_until_the_column_changes(
        facilitator_client: Any, programme: Any) -> None:
    response = upload(facilitator_client, programme, "broken_forms_bad_rating.csv")
    location = response["Location"]
    page = facilitator_client.get(location)
    assert "line 3, column “How useful was the workshop to your work?”: 60 is outside the " \
           "scale of 1 to 5" in page.text
    posted = {"action": "import", "col-0-use": "email", "col-1-use": "rating",
              "col-2-use": "choices", "col-3-use": "text", "col-4-use": "consent"}
    refused = facilitator_client.post(location, posted)
    assert refused.status_code == 400 and Form.objects.count() == 0
    assert "There is a problem" in refused.text
    done = facilitator_client.post(location, {**posted, "col-1-use": "text"})
    assert done.status_code == 302 and Submission.objects.count() == 5


def test_a_file_that_cannot_be_read_is_refused_on_upload(facilitator_client: Any,
                                                         programme: Any) -> None:
    response = upload(facilitator_client, programme, "broken_forms_wrong_column_count.csv")
    assert response.status_code == 400
    assert "line 4: has 10 columns but the headings have 9" in response.text


def test_feedback_needs_an_event(facilitator_client: Any, programme: Any) -> None:
    response = upload(facilitator_client, programme, "menti_workshop.xlsx", kind="feedback")
    assert response.status_code == 400
    assert "Choose the event the feedback is about" in response.text


def test_only_the_academys_facilitators_can_import(facilitator: Any, viewer: Any,
                                                   other_facilitator: Any,
                                                   programme: Any) -> None:
    fran = Client()
    fran.force_login(facilitator)
    location = upload(fran, programme, "menti_workshop.csv")["Location"]
    vic, olu = Client(), Client()
    vic.force_login(viewer)
    olu.force_login(other_facilitator)
    assert vic.get(upload_url(programme)).status_code == 403
    assert olu.get(upload_url(programme)).status_code == 404
    assert olu.get(location).status_code == 404
    # Another facilitator of the same academy does not see Fran's upload either.
    from django.contrib.auth import get_user_model

    from tracelead.organisations.models import SystemMembership, SystemRole

    fay = get_user_model().objects.create_user(username="fay.facilitator")
    SystemMembership.objects.create(user=fay, system=programme.academy.system,
                                    role=SystemRole.FACILITATOR)
    other = Client()
    other.force_login(fay)
    assert other.get(location).status_code == 404
    assert fran.get(location).status_code == 200
