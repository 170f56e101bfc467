"""Sign-in protection: Argon2, password rules, throttling, one-time codes and session
limits (issue: trust). The cool-off after failures is in test_cool_off.py."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracelead.accounts.middleware import SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT

PASSWORD = "long-enough-and-unusual-7"


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("alice", password=PASSWORD)


def _sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(alice: Any) -> None:
    assert identify_hasher(alice.password).algorithm == "argon2"


def test_short_and_common_passwords_are_refused_and_long_ones_accepted() -> None:
    with pytest.raises(ValidationError):
        validate_password("Sh0rt!x")  # 7 characters
    with pytest.raises(ValidationError):
        validate_password("password123")  # on the common-password list
    validate_password("a" * 30 + "-Xq7" + "b" * 30)  # 64 characters


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(db: Any, alice: Any) -> None:
    wrong = _sign_in(Client(), "alice", "not-the-password")
    unknown = _sign_in(Client(), "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert b"Enter a correct username and password" in wrong.content
    assert b"Enter a correct username and password" in unknown.content


@override_settings(TRACELEAD_SIGN_IN_RATE="3/h")  # an hour: no window edge mid-test
def test_sign_in_is_throttled_per_account(db: Any, alice: Any) -> None:
    client = Client()
    codes = [_sign_in(client, "alice", "wrong").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # Even the right password waits out the throttle...
    assert _sign_in(client, "alice", PASSWORD).status_code == 429
    # ...while another account is unaffected.
    assert _sign_in(client, "someone-else", "wrong").status_code == 200


@override_settings(TRACELEAD_SIGN_IN_RATE="3/h")  # an hour: no window edge mid-test
def test_look_alike_spellings_of_a_name_share_its_sign_in_budget(db: Any, alice: Any) -> None:
    """Django signs "ａｌｉｃｅ" (fullwidth) in as alice (it normalises names to NFKC), so
    the throttle must count it as alice too, and "ALICE" with it."""
    client = Client()
    assert [_sign_in(client, "alice", "wrong").status_code for _ in range(3)] == [200] * 3
    assert _sign_in(client, "\uff41\uff4c\uff49\uff43\uff45", "wrong").status_code == 429
    assert _sign_in(client, "ALICE", "wrong").status_code == 429
    assert _sign_in(client, " alice ", PASSWORD).status_code == 429


def test_a_session_ends_after_thirty_idle_minutes(client: Client, alice: Any) -> None:
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    assert client.get("/systems/").status_code == 200
    session = client.session
    session[SESSION_LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/systems/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/systems/").status_code == 302


def test_a_busy_session_still_ends_twelve_hours_after_sign_in(client: Client, alice: Any) -> None:
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    session = client.session
    session[SESSION_SIGNED_IN_AT] = int(time.time()) - 12 * 3600 - 60
    session[SESSION_LAST_SEEN] = int(time.time())
    session.save()
    assert client.get("/systems/").status_code == 302


def test_one_time_codes_can_be_set_up_and_are_then_required(client: Client, alice: Any) -> None:
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    assert client.get("/accounts/two-factor/").status_code == 200
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    wrong = client.post("/accounts/two-factor/", {"code": "000000"})
    assert wrong.status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows retries after a failure; skip the wait
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assert client.post("/accounts/two-factor/", {"code": code}).status_code == 302
    assert TOTPDevice.objects.get(user=alice).confirmed

    fresh = Client()
    assert _sign_in(fresh, "alice", PASSWORD).status_code == 302
    blocked = fresh.get("/systems/")
    assert blocked.status_code == 302 and "/accounts/verify/" in blocked["Location"]
    assert fresh.post("/accounts/verify/", {"code": "123"}).status_code == 400
    device.refresh_from_db()
    device.last_t = -1  # let the same time step be used again in this test
    device.save()
    device.throttle_reset()
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assert fresh.post("/accounts/verify/", {"code": code, "next": "/systems/"}).status_code == 302
    assert fresh.get("/systems/").status_code == 200
