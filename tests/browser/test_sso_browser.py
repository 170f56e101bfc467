"""Single sign-on in a real browser: the sign-in page's provider buttons, a refusal, a
sign-in and a sign-out through a real OpenID Connect provider in a second process
(tests/accounts_sso/oidc_test_provider.py), each of our pages checked at 360 px."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import PHONE, assert_page_checked
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def _provider_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "oidc_test_provider", ROOT / "tests" / "accounts_sso" / "oidc_test_provider.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def provider_url(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    provider = _provider_module()
    process, url = provider.launch(
        tmp_path_factory.mktemp("oidc-provider-browser"),
        [{"client_id": "tracelead-browser", "client_secret": "browser-secret",
          "redirect_uris": [f"{live_server.url}/sso/nhsmail/callback/"],
          "post_logout_redirect_uris": [f"{live_server.url}/"]}],
        {"priya": "priya.patel@nhs.net", "nadia": "nadia.new@nhs.net"},
    )
    try:
        yield url
    finally:
        provider.stop(process)


def _sign_in_at_provider(page: Any, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("provider-password")
    page.get_by_role("button", name="Sign in").click()


def test_signing_in_and_out_with_a_provider(
    live_server: Any, browser: Any, console: Any, provider_url: str, django_user_model: Any
) -> None:
    from tracelead.accounts.models import IdentityProvider

    IdentityProvider.objects.create(
        slug="nhsmail", name="NHSmail", issuer=f"{provider_url}/openid",
        client_id="tracelead-browser", client_secret="browser-secret",
        allowed_domains="nhs.net",
    )
    django_user_model.objects.create_user("priya", email="priya.patel@nhs.net")

    # Nadia has no account: a clear refusal on the sign-in page.
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    page.goto(f"{live_server.url}/accounts/login/")
    assert_page_checked(page, "sign-in page with a provider")
    page.get_by_role("button", name="Sign in with NHSmail").click()
    _sign_in_at_provider(page, "nadia")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "There is no tracelead account for nadia.new@nhs.net")
    assert_page_checked(page, "sign-in refused")
    context.close()

    # Priya does: in, then out of both.
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    page.goto(f"{live_server.url}/accounts/login/?next=/systems/")
    page.get_by_role("button", name="Sign in with NHSmail").click()
    _sign_in_at_provider(page, "priya")
    expect(page).to_have_url(f"{live_server.url}/systems/")
    page.get_by_role("button", name="Sign out").click()
    # Through the provider's end-session endpoint and back to our home page.
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/(accounts/login/.*)?$"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with NHSmail").click()
    expect(page.get_by_label("Username")).to_be_visible()  # the provider asks again
    context.close()
    console.assert_clean()


def test_confirming_an_open_link_address_with_a_provider(
    live_server: Any, browser: Any, console: Any, provider_url: str, make_assessment: Any,
    team: Any,
) -> None:
    from tracelead.accounts.models import IdentityProvider
    from tracelead.diagnostics import services

    IdentityProvider.objects.create(
        slug="nhsmail", name="NHSmail", issuer=f"{provider_url}/openid",
        client_id="tracelead-browser", client_secret="browser-secret",
        allowed_domains="nhs.net",
    )
    round_ = make_assessment(team, rater_kinds=("member", "stakeholder"),
                             open_link_verify=True, open_link_domains="nhs.net")
    token = services.assessment_open_link(assessment=round_)
    context = browser.new_context(viewport=PHONE)
    page = console.watch(context.new_page())
    page.goto(f"{live_server.url}/r/{token}/")
    assert_page_checked(page, "verifying open link with a provider")
    page.get_by_label("Member of the group").check()
    page.get_by_role("button", name="Confirm with NHSmail").click()
    _sign_in_at_provider(page, "priya")
    expect(page).to_have_url(f"{live_server.url}/r/{token}/1/")
    context.close()
    console.assert_clean()
