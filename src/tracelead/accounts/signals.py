from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from tracelead.core.throttles import client_address

from . import cooloff
from .middleware import SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT


@receiver(user_logged_in)
def remember_sign_in_time(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_SIGNED_IN_AT] = now
        request.session[SESSION_LAST_SEEN] = now
    if user is not None:
        cooloff.sign_in_succeeded(username=user.get_username())


@receiver(user_login_failed)
def count_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    """Every failed password check counts towards the cool-off (tracelead.accounts.cooloff)."""
    if request is None:
        return
    username = str(credentials.get("username") or "")
    cooloff.sign_in_failed(username=username, address=client_address(request))
