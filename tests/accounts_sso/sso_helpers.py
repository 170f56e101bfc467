"""Signing in through the test provider (conftest.py) from Django's test client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROVIDER_PASSWORD = "provider-password"
RP = "http://testserver"


@dataclass
class Provider:
    url: str
    issuer: str


class ProviderBrowser:
    """The browser's side at the provider: a cookie jar that has signed in there."""

    def __init__(self, provider: Provider, username: str) -> None:
        self.provider = provider
        self.session = requests.Session()
        page = self.session.get(f"{provider.url}/login/", timeout=30)
        found = CSRF_FIELD.search(page.text)
        assert found is not None
        signed_in = self.session.post(
            f"{provider.url}/login/",
            data={"csrfmiddlewaretoken": found.group(1), "username": username,
                  "password": PROVIDER_PASSWORD, "next": "/"},
            headers={"Referer": f"{provider.url}/login/"},
            allow_redirects=False, timeout=30,
        )
        assert signed_in.status_code == 302, signed_in.text

    def authorize(self, url: str) -> str:
        """Follow the provider's authorisation; returns where it sends the browser back."""
        answer = self.session.get(url, allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text[:500]
        return str(answer.headers["Location"])


def start(client: Any, slug: str, next_url: str = "") -> str:
    """tracelead's start page: returns the provider's authorisation address."""
    response = client.get(f"/sso/{slug}/start/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.content[:500]
    return str(response["Location"])


def come_back(client: Any, callback: str) -> Any:
    assert callback.startswith(f"{RP}/"), callback
    return client.get(callback.removeprefix(RP))


def sign_in_through(client: Any, at_provider: ProviderBrowser, slug: str,
                    next_url: str = "") -> Any:
    """The whole round trip; returns tracelead's answer to the callback."""
    return come_back(client, at_provider.authorize(start(client, slug, next_url)))
