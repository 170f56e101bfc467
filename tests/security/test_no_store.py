"""Pages and files for a signed-in user are never kept in a browser's or a proxy's cache."""

from __future__ import annotations

from typing import Any


def test_every_page_and_file_for_a_signed_in_user_says_no_store(
    facilitator_client: Any, assessment: Any, system: Any
) -> None:
    for url in ("/systems/", f"/systems/{system.pk}/", f"/assessments/{assessment.pk}/",
                f"/assessments/{assessment.pk}/links/", f"/reports/systems/{system.pk}/",
                f"/api/v1/assessments/{assessment.pk}/results"):
        response = facilitator_client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_the_public_home_page_is_left_to_the_default(client: Any, db: Any) -> None:
    assert "no-store" not in client.get("/").get("Cache-Control", "")
