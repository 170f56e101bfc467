"""A real OpenID Connect provider in a second process, and helpers to sign in through it.

The provider (``oidc_test_provider.py``: django-oidc-provider over HTTP on loopback, with
its own SQLite database in a temporary folder) starts once per test session (once per
xdist worker). tracelead runs in the test process with Django's test client; the
provider's side of the browser is a ``requests`` session that has signed in there. Every
request between the two, front channel or back, is real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from oidc_test_provider import launch, stop
from sso_helpers import RP, Provider, ProviderBrowser

# Who can sign in at the provider (username: email); the prefix picks a misbehaviour
# (see oidc_test_provider.py).
PEOPLE = {
    "priya": "priya.patel@nhs.net",
    "nadia": "nadia.new@nhs.net",
    "colin": "colin.council@example.gov.uk",
    "mfa.molly": "mfa.molly@nhs.net",
    "unverified.umar": "unverified.umar@nhs.net",
    "expired.eve": "expired.eve@nhs.net",
    "tampered.tom": "tampered.tom@nhs.net",
    "replay.rita": "replay.rita@nhs.net",
}
CLIENTS = {
    "nhsmail": ("tracelead-nhsmail", "nhsmail-client-secret-value"),
    "cis2": ("tracelead-cis2", "cis2-client-secret-value"),
}


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    clients = [
        {
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uris": [f"{RP}/sso/{slug}/callback/"],
            "post_logout_redirect_uris": [f"{RP}/"],
        }
        for slug, (client_id, secret) in CLIENTS.items()
    ]
    process, url = launch(tmp_path_factory.mktemp("oidc-provider"), clients, PEOPLE)
    try:
        yield Provider(url=url, issuer=f"{url}/openid")
    finally:
        stop(process)


@pytest.fixture
def identity_providers(db: Any, oidc_provider: Provider) -> dict[str, Any]:
    """Two providers at once, as a region spanning organisations has: "NHSmail" allows
    nhs.net only; "Care Identity" allows nhs.net and example.gov.uk and makes accounts."""
    from tracelead.accounts.models import IdentityProvider

    nhsmail = IdentityProvider.objects.create(
        slug="nhsmail", name="NHSmail", issuer=oidc_provider.issuer,
        client_id=CLIENTS["nhsmail"][0], client_secret=CLIENTS["nhsmail"][1],
        allowed_domains="nhs.net", sign_up=False,
    )
    cis2 = IdentityProvider.objects.create(
        slug="cis2", name="Care Identity", issuer=oidc_provider.issuer,
        client_id=CLIENTS["cis2"][0], client_secret=CLIENTS["cis2"][1],
        allowed_domains="nhs.net, example.gov.uk", sign_up=True,
    )
    return {"nhsmail": nhsmail, "cis2": cis2}


@pytest.fixture
def at_provider(oidc_provider: Provider) -> Any:
    def make(username: str) -> ProviderBrowser:
        return ProviderBrowser(oidc_provider, username)

    return make
