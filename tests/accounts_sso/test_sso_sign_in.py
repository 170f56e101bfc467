"""Sign-in through OpenID Connect providers (issue: single sign-on), against a real
provider in a second process (conftest.py): who gets in, who is refused and why, and
that a refusal changes nothing."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from sso_helpers import come_back, sign_in_through, start

from tracelead.accounts.models import SignInSettings
from tracelead.accounts.sso import SESSION_ID_TOKEN, used_several_factors

User = get_user_model()


def _signed_in_as(client: Client) -> str:
    user_id = client.session.get("_auth_user_id")
    return "" if user_id is None else User.objects.get(pk=user_id).get_username()


def _refusal(response: Any) -> str:
    text = html.unescape(response.content.decode())
    assert "There is a problem" in text
    return text


@pytest.fixture
def priya(db: Any) -> Any:
    return User.objects.create_user("priya", email="Priya.Patel@nhs.net")


def test_priya_signs_in_with_nhsmail_and_lands_where_she_was_going(
    client: Client, identity_providers: Any, priya: Any, at_provider: Any
) -> None:
    response = sign_in_through(client, at_provider("priya"), "nhsmail", next_url="/systems/")
    assert response.status_code == 302
    assert response["Location"] == "/systems/"
    assert _signed_in_as(client) == "priya"
    # Matched by email, whatever its case; no account made.
    assert User.objects.count() == 1


def test_the_sign_in_page_offers_every_provider(client: Client, identity_providers: Any) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with NHSmail" in page
    assert "Sign in with Care Identity" in page
    assert 'href="/sso/nhsmail/start/"' in page


def test_an_address_outside_the_allowed_domains_is_refused(
    client: Client, identity_providers: Any, at_provider: Any, db: Any
) -> None:
    User.objects.create_user("colin", email="colin.council@example.gov.uk")
    response = sign_in_through(client, at_provider("colin"), "nhsmail")
    assert response.status_code == 403
    assert "Addresses at example.gov.uk cannot sign in with NHSmail" in _refusal(response)
    assert _signed_in_as(client) == ""


def test_someone_without_an_account_is_refused_where_sign_up_is_off(
    client: Client, identity_providers: Any, at_provider: Any, db: Any
) -> None:
    response = sign_in_through(client, at_provider("nadia"), "nhsmail")
    assert response.status_code == 403
    assert "There is no tracelead account for nadia.new@nhs.net" in _refusal(response)
    assert not User.objects.exists()
    # The refusal is counted like a failed password (the cool-off per address).
    from tracelead.accounts.models import SignInFailures

    assert SignInFailures.objects.filter(kind="address").get().failures == 1


def test_an_account_is_made_where_the_provider_allows_sign_up_with_no_roles(
    client: Client, identity_providers: Any, at_provider: Any, db: Any
) -> None:
    response = sign_in_through(client, at_provider("colin"), "cis2")
    assert response.status_code == 302
    made = User.objects.get()
    assert (made.username, made.email) == ("colin.council@example.gov.uk",
                                          "colin.council@example.gov.uk")
    assert not made.has_usable_password()
    assert not made.system_memberships.exists()


def test_an_email_the_provider_has_not_verified_is_refused(
    client: Client, identity_providers: Any, at_provider: Any, db: Any
) -> None:
    User.objects.create_user("umar", email="unverified.umar@nhs.net")
    response = sign_in_through(client, at_provider("unverified.umar"), "cis2")
    assert response.status_code == 403
    assert "has not confirmed that unverified.umar@nhs.net is yours" in _refusal(response)
    assert User.objects.count() == 1
    assert _signed_in_as(client) == ""


def test_an_expired_id_token_is_refused(
    client: Client, identity_providers: Any, at_provider: Any, db: Any
) -> None:
    User.objects.create_user("eve", email="expired.eve@nhs.net")
    response = sign_in_through(client, at_provider("expired.eve"), "nhsmail")
    assert response.status_code == 400
    assert "The sign-in from NHSmail had expired" in _refusal(response)
    assert _signed_in_as(client) == ""


def test_an_id_token_with_a_bad_signature_is_refused(
    client: Client, identity_providers: Any, at_provider: Any, db: Any
) -> None:
    User.objects.create_user("tom", email="tampered.tom@nhs.net")
    response = sign_in_through(client, at_provider("tampered.tom"), "nhsmail")
    assert response.status_code == 400
    assert "NHSmail's answer could not be checked" in _refusal(response)
    assert _signed_in_as(client) == ""


def test_an_id_token_replayed_into_a_later_sign_in_is_refused_by_its_nonce(
    client: Client, identity_providers: Any, at_provider: Any, db: Any
) -> None:
    User.objects.create_user("rita", email="replay.rita@nhs.net")
    rita = at_provider("replay.rita")
    assert sign_in_through(client, rita, "nhsmail").status_code == 302
    # The provider (or someone in the middle) hands back the first sign-in's id token.
    later = Client()
    response = sign_in_through(later, rita, "nhsmail")
    assert response.status_code == 400
    assert "NHSmail's answer was not for this sign-in" in _refusal(response)
    assert _signed_in_as(later) == ""


def test_a_state_works_once(
    client: Client, identity_providers: Any, priya: Any, at_provider: Any
) -> None:
    callback = at_provider("priya").authorize(start(client, "nhsmail"))
    assert come_back(client, callback).status_code == 302
    client.logout()
    replayed = come_back(client, callback)
    assert replayed.status_code == 400
    assert "This sign-in had already been used or had expired" in _refusal(replayed)
    assert _signed_in_as(client) == ""


def test_a_state_made_for_one_provider_is_refused_at_another(
    client: Client, identity_providers: Any, priya: Any, at_provider: Any
) -> None:
    callback = at_provider("priya").authorize(start(client, "nhsmail"))
    response = come_back(client, callback.replace("/sso/nhsmail/", "/sso/cis2/"))
    assert response.status_code == 400
    assert _signed_in_as(client) == ""


def test_a_code_used_by_someone_else_is_refused(
    client: Client, identity_providers: Any, priya: Any, at_provider: Any
) -> None:
    """A callback address stolen from one browser does nothing in another."""
    callback = at_provider("priya").authorize(start(client, "nhsmail"))
    thief = Client()
    start(thief, "nhsmail")  # the thief's own state, which is not this one
    assert come_back(thief, callback).status_code == 400
    assert _signed_in_as(thief) == ""


def test_a_multi_factor_sign_in_skips_the_code_page(
    client: Client, identity_providers: Any, at_provider: Any, db: Any
) -> None:
    molly = User.objects.create_user("molly", email="mfa.molly@nhs.net")
    TOTPDevice.objects.create(user=molly, name="app", confirmed=True)
    assert sign_in_through(client, at_provider("mfa.molly"), "nhsmail").status_code == 302
    assert client.get("/systems/").status_code == 200


def test_a_single_factor_sign_in_is_asked_for_a_code(
    client: Client, identity_providers: Any, priya: Any, at_provider: Any
) -> None:
    TOTPDevice.objects.create(user=priya, name="app", confirmed=True)
    assert sign_in_through(client, at_provider("priya"), "nhsmail").status_code == 302
    page = client.get("/systems/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/verify/")


def test_a_multi_factor_sign_in_does_not_make_later_password_sign_ins_ask_for_a_code(
    client: Client, identity_providers: Any, at_provider: Any, db: Any
) -> None:
    molly = User.objects.create_user("molly", email="mfa.molly@nhs.net", password="x" * 20)
    sign_in_through(client, at_provider("mfa.molly"), "nhsmail")
    other = Client()
    other.post("/accounts/login/", {"username": "molly", "password": "x" * 20})
    assert _signed_in_as(other) == "molly"
    assert other.get("/systems/").status_code == 200
    assert molly.is_active


@pytest.mark.parametrize(
    ("amr", "several"),
    [
        (["pwd", "mfa"], True),
        (["pwd", "otp"], True),
        (["hwk", "pin"], True),
        (["face", "swk"], True),
        (["pwd"], False),
        (["hwk"], False),
        (["otp", "sms"], False),  # two of the same kind: one factor
        ("mfa", False),  # not a list, as RFC 8176 requires
        (None, False),
    ],
)
def test_which_amr_claims_count_as_several_factors(amr: Any, several: bool) -> None:
    assert used_several_factors(amr) is several


def test_local_passwords_can_be_turned_off(
    client: Client, identity_providers: Any, db: Any
) -> None:
    User.objects.create_user("pat", password="a-long-password-77")
    SignInSettings.objects.create(pk=1, local_passwords=False)
    page = client.get("/accounts/login/").content.decode()
    assert 'name="password"' not in page
    refused = client.post("/accounts/login/", {"username": "pat",
                                               "password": "a-long-password-77"})
    assert refused.status_code == 403
    assert "This site does not use tracelead passwords" in refused.content.decode()
    assert _signed_in_as(client) == ""
    # Nor through the admin's own sign-in form.
    client.post("/admin/login/", {"username": "pat", "password": "a-long-password-77"})
    assert _signed_in_as(client) == ""


def test_signing_out_ends_both_sessions(
    client: Client, identity_providers: Any, priya: Any, at_provider: Any
) -> None:
    browser = at_provider("priya")
    sign_in_through(client, browser, "nhsmail")
    id_token = client.session[SESSION_ID_TOKEN]
    response = client.post("/accounts/logout/")
    assert _signed_in_as(client) == ""
    assert response.status_code == 200
    found = re.search(r'id="provider-sign-out" href="([^"]+)"', response.content.decode())
    assert found is not None
    end_session = html.unescape(found.group(1))
    ends_at = urlsplit(end_session)
    assert ends_at.path == "/openid/end-session"
    query = parse_qs(ends_at.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    # The provider signs the browser out and sends it back here.
    back = browser.session.get(end_session, allow_redirects=False, timeout=30)
    assert back.status_code == 302
    assert back.headers["Location"] == "http://testserver/"
    # A new sign-in now asks the provider for a password again.
    again = browser.session.get(start(client, "nhsmail"), allow_redirects=False, timeout=30)
    assert urlsplit(again.headers["Location"]).path == "/login/"


def test_signing_out_after_a_password_sign_in_stays_here(
    client: Client, identity_providers: Any, priya: Any
) -> None:
    client.force_login(priya)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_client_secret_never_shows_in_the_admin(
    admin_client: Client, identity_providers: Any
) -> None:
    listing = admin_client.get("/admin/accounts/identityprovider/").content.decode()
    form = admin_client.get(
        f"/admin/accounts/identityprovider/{identity_providers['nhsmail'].pk}/change/"
    ).content.decode()
    assert "nhsmail-client-secret-value" not in listing
    assert "nhsmail-client-secret-value" not in form
    assert "NHSmail" in listing
