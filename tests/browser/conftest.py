"""Fixtures for the real-browser tests (helpers are in ``browser_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_helpers import PASSWORD, PHONE, Console


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
