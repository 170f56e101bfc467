"""API tokens (issue 9): they expire, can be revoked on the account page, may be limited to
reading, record their last use, and are made only after a one-time-code sign-in where the
site requires codes.

Fran is a facilitator of Northbrook ICS; Olu facilitates another system.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from typer.testing import CliRunner

from tracelead.cli import app
from tracelead.core.models import ApiToken
from tracelead.diagnostics.models import Invitation

PAGE = "/accounts/tokens/"
runner = CliRunner()


def _make_token(client: Client, *, name: str = "dashboard", scope: str = "read",
                days: int = 90) -> str:
    """Make a token on the account page; returns the clear token the page shows."""
    response = client.post(PAGE, {"action": "create", "name": name, "scope": scope,
                                  "days": days})
    assert response.status_code == 200, response.content
    found = re.search(rb'id="new-token">([^<]+)<', response.content)
    assert found is not None, "the new token is shown on the page"
    return found.group(1).decode()


def _api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _invite(client: Client, assessment: Any) -> Any:
    return client.post(f"/api/v1/assessments/{assessment.pk}/invitations",
                       {"rater_kind": "member", "count": 1}, content_type="application/json")


def _current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    device.last_t = -1  # let the same time step be used again in this test
    device.save()
    device.throttle_reset()  # django-otp slows retries after a failure; skip the wait
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_an_expired_token_is_refused_like_an_unknown_one(
    facilitator_client: Client, facilitator: Any, assessment: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = _make_token(facilitator_client, days=1)
    assert _api(token).get("/api/v1/assessments").status_code == 200

    later = timezone.now() + dt.timedelta(days=1, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)  # a day passes

    response = _api(token).get("/api/v1/assessments")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    facilitator_client.force_login(facilitator)  # her session has ended too
    assert b"Expired" in facilitator_client.get(PAGE).content


def test_a_token_revoked_on_the_account_page_stops_working(
    facilitator_client: Client, assessment: Any, other_facilitator: Any
) -> None:
    token = _make_token(facilitator_client)
    row = ApiToken.objects.get(name="dashboard")
    assert _api(token).get("/api/v1/assessments").status_code == 200

    olu = Client()
    olu.force_login(other_facilitator)
    assert olu.post(PAGE, {"action": "revoke", "token": row.pk}).status_code == 404
    assert _api(token).get("/api/v1/assessments").status_code == 200, "only Fran revokes it"

    revoked = facilitator_client.post(PAGE, {"action": "revoke", "token": row.pk})
    assert revoked.status_code == 302

    response = _api(token).get("/api/v1/assessments")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    page = facilitator_client.get(PAGE).content
    assert b"Revoked" in page and b'value="revoke"' not in page


def test_a_read_token_can_read_but_not_make_links(
    facilitator_client: Client, assessment: Any
) -> None:
    reader = _api(_make_token(facilitator_client, name="reader", scope="read"))
    assert reader.get("/api/v1/assessments").json()[0]["id"] == assessment.pk
    assert reader.get(f"/api/v1/assessments/{assessment.pk}/results").status_code == 200

    refused = _invite(reader, assessment)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "This token can only read."}
    assert not Invitation.objects.exists()

    writer = _api(_make_token(facilitator_client, name="writer", scope="read-write"))
    assert _invite(writer, assessment).status_code == 201
    assert Invitation.objects.count() == 1


def test_the_last_use_of_a_token_is_recorded(
    facilitator_client: Client, assessment: Any
) -> None:
    token = _make_token(facilitator_client)
    assert b"Never" in facilitator_client.get(PAGE).content
    assert ApiToken.objects.get().last_used_at is None

    _api(token).get("/api/v1/assessments")

    first_use = ApiToken.objects.get().last_used_at
    assert first_use is not None
    assert timezone.now() - first_use < dt.timedelta(minutes=1)
    assert b"Never" not in facilitator_client.get(PAGE).content
    # Within the minute a second call writes nothing.
    _api(token).get("/api/v1/assessments")
    assert ApiToken.objects.get().last_used_at == first_use


def test_the_clear_token_is_shown_once_and_only_its_hash_is_kept(
    facilitator_client: Client,
) -> None:
    token = _make_token(facilitator_client)

    again = facilitator_client.get(PAGE)
    assert again.status_code == 200
    assert token.encode() not in again.content
    assert b"dashboard" in again.content
    assert ApiToken.objects.get().token_hash == ApiToken.hash(token)


def test_bad_input_on_the_token_page_changes_nothing(facilitator_client: Client) -> None:
    response = facilitator_client.post(PAGE, {"action": "create", "name": " ",
                                              "scope": "admin", "days": 366})
    assert response.status_code == 400
    assert b"There is a problem" in response.content
    for message in (b"Enter a name for the token", b"Choose what the token may do",
                    b"at most 365 days"):
        assert message in response.content
    assert not ApiToken.objects.exists()


@override_settings(TRACELEAD_REQUIRE_OTP=True)
def test_where_codes_are_required_a_token_needs_a_one_time_code_sign_in(
    facilitator_client: Client, facilitator: Any
) -> None:
    # Signed in with a password only: every page sends Fran to set up codes.
    for response in (facilitator_client.get(PAGE), facilitator_client.get("/systems/"),
                     facilitator_client.post(PAGE, {"action": "create", "name": "dashboard",
                                                    "scope": "read", "days": 90})):
        assert response.status_code == 302
        assert response["Location"] == "/accounts/two-factor/"
    assert not ApiToken.objects.exists()
    cli = runner.invoke(app, ["token", "create", facilitator.username])
    assert cli.exit_code == 1
    assert "has not set them up" in cli.output
    assert not ApiToken.objects.exists()

    # Setting up codes signs this session in with one: now the page makes a token.
    assert facilitator_client.get("/accounts/two-factor/").status_code == 200
    device = TOTPDevice.objects.get(user=facilitator)
    set_up = facilitator_client.post("/accounts/two-factor/", {"code": _current_code(device)})
    assert set_up.status_code == 302
    token = _make_token(facilitator_client)
    assert _api(token).get("/api/v1/assessments").status_code == 200

    # The command line asks for the current code.
    without_code = runner.invoke(app, ["token", "create", facilitator.username])
    assert without_code.exit_code == 1 and "--code" in without_code.output
    wrong = runner.invoke(app, ["token", "create", facilitator.username, "--code", "000000"])
    assert wrong.exit_code == 1
    assert ApiToken.objects.count() == 1
    made = runner.invoke(app, ["token", "create", facilitator.username, "--name", "laptop",
                               "--code", _current_code(device)])
    assert made.exit_code == 0, made.output
    assert ApiToken.objects.get(name="laptop").scope == ApiToken.Scope.READ
