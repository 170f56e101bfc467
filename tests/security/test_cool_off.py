"""Failed sign-ins start a cool-off that grows, per account name and per client address;
nobody can lock an account for good, the holder is told, an administrator can lift it.

Mallory knows Alice's username. Before, 50 wrong passwords locked Alice out until an
administrator acted; now each failure past the limit doubles a wait that ends by itself.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone
from typer.testing import CliRunner

from tracelead.accounts.models import SignInFailures
from tracelead.cli import app
from tracelead.messaging.outbox import deliver_due

PASSWORD = "long-enough-and-unusual-7"
COOL_OFF = override_settings(
    TRACELEAD_SIGN_IN_RATE="1000/m",
    TRACELEAD_LOCKOUT_FAILURES=3,
    TRACELEAD_ADDRESS_LOCKOUT_FAILURES=100,
    TRACELEAD_LOCKOUT_MINUTES=1.0,
    TRACELEAD_LOCKOUT_MAX_MINUTES=60.0,
)


@pytest.fixture(autouse=True)
def quick_hashes(settings: Any) -> None:
    """Argon2 is tested in test_sign_in.py; these stories sign in dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(
        "alice", password=PASSWORD, email="alice@trust.example.nhs.uk"
    )


def _sign_in(username: str, password: str, address: str = "10.0.0.7") -> Any:
    client = Client(REMOTE_ADDR=address)
    return client.post("/accounts/login/", {"username": username, "password": password})


def _time_passes(minutes: float) -> None:
    """Move every recorded failure and wait back in time, as if minutes had passed."""
    for row in SignInFailures.objects.all():
        row.last_failure_at -= dt.timedelta(minutes=minutes)
        if row.wait_until is not None:
            row.wait_until -= dt.timedelta(minutes=minutes)
        row.save()


def _retry_after(response: Any) -> int:
    assert response.status_code == 429
    return int(response["Retry-After"])


def test_a_name_django_normalises_to_alice_signs_in_as_alice(db: Any, alice: Any) -> None:
    """The premise of keying throttles on the normalised name."""
    assert _sign_in("\uff41\uff4c\uff49\uff43\uff45", PASSWORD).status_code == 302


@COOL_OFF
def test_the_wait_doubles_with_each_failure_past_the_limit_and_then_ends(
    db: Any, alice: Any
) -> None:
    assert [_sign_in("alice", "wrong").status_code for _ in range(3)] == [200, 200, 200]
    # The third failure started a one-minute wait: even the right password waits.
    waiting = _sign_in("alice", PASSWORD)
    assert 50 <= _retry_after(waiting) <= 60
    assert "Sign-in is paused" in waiting.content.decode()
    _time_passes(1.1)
    assert _sign_in("alice", "wrong").status_code == 200  # failure 4: two minutes
    assert 110 <= _retry_after(_sign_in("alice", PASSWORD)) <= 120
    _time_passes(2.1)
    assert _sign_in("alice", "wrong").status_code == 200  # failure 5: four minutes
    assert 230 <= _retry_after(_sign_in("alice", PASSWORD)) <= 240
    _time_passes(4.1)
    # The wait ended by itself: no administrator needed, and success clears the count.
    assert _sign_in("alice", PASSWORD).status_code == 302
    assert not SignInFailures.objects.filter(kind="account").exists()


@COOL_OFF
def test_the_wait_never_exceeds_the_longest_and_tries_during_it_do_not_count(
    db: Any, alice: Any
) -> None:
    for _ in range(3):
        _sign_in("alice", "wrong")
    for _ in range(5):  # refused before the password is checked; not counted
        assert _sign_in("alice", "wrong").status_code == 429
    assert SignInFailures.objects.get(kind="account").failures == 3
    for _ in range(12):
        _time_passes(61)
        _sign_in("alice", "wrong")
    assert 3500 <= _retry_after(_sign_in("alice", PASSWORD)) <= 3600


@COOL_OFF
def test_a_made_up_name_waits_the_same_so_a_wait_reveals_no_account(
    db: Any, alice: Any
) -> None:
    for _ in range(3):
        _sign_in("alice", "wrong", address="10.0.0.1")
        _sign_in("nobody-here", "wrong", address="10.0.0.2")
    real = _sign_in("alice", "wrong", address="10.0.0.3")
    made_up = _sign_in("nobody-here", "wrong", address="10.0.0.4")
    assert real.status_code == made_up.status_code == 429
    nonce = re.compile(rb'nonce="[^"]*"')
    assert nonce.sub(b"", real.content) == nonce.sub(b"", made_up.content)


@COOL_OFF
def test_the_holder_is_emailed_once_when_a_wait_begins(db: Any, alice: Any) -> None:
    # The notice goes through the outbox: a worker sends what is due (deliver_due).
    for _ in range(3):
        _sign_in("alice", "wrong")
    deliver_due()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@trust.example.nhs.uk"]
    assert "3 times" in mail.outbox[0].body
    _time_passes(1.1)
    _sign_in("alice", "wrong")
    deliver_due()
    assert len(mail.outbox) == 1
    # A made-up name has nobody to tell.
    for _ in range(3):
        _sign_in("nobody-here", "wrong")
    deliver_due()
    assert len(mail.outbox) == 1


@COOL_OFF
@override_settings(TRACELEAD_ADDRESS_LOCKOUT_FAILURES=5)
def test_one_address_trying_many_names_waits_but_others_do_not(db: Any, alice: Any) -> None:
    for i in range(5):
        assert _sign_in(f"guess-{i}", "wrong", address="203.0.113.9").status_code == 200
    assert _sign_in("alice", PASSWORD, address="203.0.113.9").status_code == 429
    assert _sign_in("alice", PASSWORD, address="198.51.100.1").status_code == 302


@COOL_OFF
def test_an_administrator_lifts_a_wait_in_the_admin(
    db: Any, alice: Any, django_user_model: Any
) -> None:
    for _ in range(3):
        _sign_in("alice", "wrong")
    admin = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    rows = list(SignInFailures.objects.values_list("pk", flat=True))
    listing = client.get("/admin/accounts/signinfailures/")
    assert listing.status_code == 200 and "alice" in listing.content.decode()
    lifted = client.post(
        "/admin/accounts/signinfailures/",
        {"action": "lift", "_selected_action": [str(pk) for pk in rows]},
    )
    assert lifted.status_code == 302
    assert _sign_in("alice", PASSWORD).status_code == 302


@COOL_OFF
def test_an_administrator_lifts_a_wait_from_the_command_line(db: Any, alice: Any) -> None:
    for _ in range(3):
        _sign_in("ALICE", "wrong")
    result = CliRunner().invoke(app, ["unlock", "alice"])
    assert result.exit_code == 0, result.output
    assert "Lifted 1" in result.output
    assert _sign_in("alice", PASSWORD).status_code == 302
    assert CliRunner().invoke(app, ["unlock"]).exit_code == 2


@COOL_OFF
def test_failures_are_forgotten_a_day_after_the_last(db: Any, alice: Any) -> None:
    for _ in range(2):
        _sign_in("alice", "wrong")
    _time_passes(24 * 60 + 1)
    for _ in range(2):
        assert _sign_in("alice", "wrong").status_code == 200
    assert _sign_in("alice", PASSWORD).status_code == 302
    assert timezone.now()  # the clock was never touched: only the stored times moved
