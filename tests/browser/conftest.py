"""Fixtures for the real-browser tests (helpers are in ``browser_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_helpers import PASSWORD, PHONE, Console


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest, django_db_blocker: Any) -> None:
    """Empty the database cache that holds the sign-in rate counts before each test.

    The cache table is not a model, so the flush between live-server tests leaves it full:
    a quick run signs in as the same facilitator more than ``TRACELEAD_SIGN_IN_RATE``
    allows in a minute, and a later test is refused with "Too many sign-in attempts".
    """
    if "live_server" not in request.fixturenames:
        return
    from django.core.cache import cache

    with django_db_blocker.unblock():
        cache.clear()


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings: Any) -> None:
    """Passwords set and checked with a fast hasher: these stories sign in through the
    real form about a hundred times, and Argon2 takes about 0.3 s a hash on two busy cores
    (it is tested in tests/security/test_sign_in.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def console() -> Iterator[Console]:
    watcher = Console()
    yield watcher


@pytest.fixture
def phone(browser: Any, console: Console) -> Iterator[Any]:
    """A new page in a fresh 360 px wide context, watched for console errors."""
    context = browser.new_context(viewport=PHONE)
    yield console.watch(context.new_page())
    context.close()


@pytest.fixture
def make_facilitator(make_user: Any) -> Any:
    """``make_facilitator(system)``: a user with a password and the facilitator role."""
    from tracelead.organisations.models import SystemMembership, SystemRole

    def make(system: Any = None, username: str = "fiona.facilitator") -> Any:
        user = make_user(username)
        user.set_password(PASSWORD)
        user.save()
        if system is not None:
            SystemMembership.objects.create(user=user, system=system, role=SystemRole.FACILITATOR)
        return user

    return make
