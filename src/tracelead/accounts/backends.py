"""Password sign-in, which a site can turn off (``SignInSettings.local_passwords``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import SignInSettings


class LocalPasswordBackend(ModelBackend):
    """Django's password check, refused for everyone where the site has turned local
    passwords off (the sign-in page and the admin's alike); permissions as Django's."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not SignInSettings.local_passwords_allowed():
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
