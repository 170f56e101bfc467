"""A real OpenID Connect provider in a second process, and helpers to sign in through it.

The provider (``oidc_test_provider.py``: django-oidc-provider over HTTP on loopback, with
its own SQLite database in a temporary folder) starts once per test session (once per
xdist worker). tracelead runs in the test process with Django's test client; the
provider's side of the browser is a ``requests`` session that has signed in there. Every
request between the two, front channel or back, is real HTTP.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sso_helpers import RP, Provider, ProviderBrowser

HERE = Path(__file__).resolve().parent
READY_WITHIN = 60  # seconds: migrations on a busy machine

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("oidc-provider")
    clients = [
        {
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uris": [f"{RP}/sso/{slug}/callback/"],
            "post_logout_redirect_uris": [f"{RP}/"],
        }
        for slug, (client_id, secret) in CLIENTS.items()
    ]
    env = {
        key: value for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    env["PROVIDER_PEOPLE"] = json.dumps(PEOPLE)
    log = (data_dir / "provider.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(HERE / "oidc_test_provider.py"), str(port), str(data_dir),
         json.dumps(clients)],
        stdout=subprocess.PIPE, stderr=log, env=env, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_WITHIN
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() == "ready" or time.monotonic() > deadline:
                break
        if process.poll() is not None:
            pytest.fail(f"the test provider stopped: {(data_dir / 'provider.log').read_text()}")
        requests.get(f"{url}/openid/.well-known/openid-configuration", timeout=10)
        yield Provider(url=url, issuer=f"{url}/openid")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


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
