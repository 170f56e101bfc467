from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT


@receiver(user_logged_in)
def remember_sign_in_time(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_SIGNED_IN_AT] = now
        request.session[SESSION_LAST_SEEN] = now
