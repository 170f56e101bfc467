"""Sign-in through OpenID Connect providers (Entra ID, NHS CIS2, ...), several at once.

mozilla-django-oidc does the protocol's plumbing: the state, nonce and PKCE verifier kept
in the session per sign-in, the code exchanged at the token endpoint, the signing key
found in the provider's JWKS, the userinfo request. What it leaves to settings (one
provider per site) comes here from an ``IdentityProvider`` row chosen by slug, and the
checks it leaves open are made here:

* the id token's RS256 signature, issuer, audience (and ``azp`` where several), expiry
  and issue time, and its nonce against the one stored with the state;
* a state is used once (removed before the code is exchanged), and only at the provider
  it was made for;
* the email comes from the configured claim, only when ``email_verified`` is true, and
  only in an allowed domain; userinfo must be about the id token's subject;
* an account is matched by that email (one active account, or none), and made only where
  the provider allows sign-up; roles still come from memberships;
* the ``amr`` claim (RFC 8176) decides whether the session counts as verified for
  django-otp (``ProviderSignIn``); otherwise the code page is asked as after a password.

Every refusal raises ``SignInRefused`` with a sentence for the sign-in page, is counted
like a failed password (cool-off per address, django-axes' record) and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import (
    add_state_and_verifier_and_nonce_to_session,
    generate_code_challenge,
)
from mozilla_django_oidc.views import get_next_url

from tracelead.core.throttles import client_address

from . import cooloff
from .models import IdentityProvider, ProviderSignIn, SignInSettings

log = logging.getLogger(__name__)

SESSION_PROVIDER = "tracelead_sso_provider"
SESSION_ID_TOKEN = "tracelead_sso_id_token"  # noqa: S105 - a session key's name
DISCOVERY_SECONDS = 3600
# Seconds of clock difference allowed between the provider and us.
LEEWAY_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10

# RFC 8176 authentication method references, by the kind of factor each proves.
KNOWLEDGE = {"pwd", "pin", "kba"}
POSSESSION = {"otp", "hwk", "swk", "sms", "tel", "sc"}
INHERENCE = {"fpt", "face", "iris", "retina", "vbm"}


class SignInRefused(Exception):
    """A sign-in through a provider that did not happen; ``str()`` is for the person."""

    def __init__(self, message: str, *, email: str = "", status: int = 403) -> None:
        super().__init__(message)
        self.email = email
        self.status = status


def used_several_factors(amr: Any) -> bool:
    """Whether an ``amr`` claim says the sign-in used more than one factor.

    True for "mfa", or for methods of two different kinds (knowledge: pwd, pin, kba;
    possession: otp, hwk, swk, sms, tel, sc; inherence: fpt, face, iris, retina, vbm).
    A single method, even a strong one such as "hwk" alone, is one factor.
    """
    if not isinstance(amr, list):
        return False
    methods = {str(method).lower() for method in amr}
    if "mfa" in methods:
        return True
    kinds = [bool(methods & kind) for kind in (KNOWLEDGE, POSSESSION, INHERENCE)]
    return sum(kinds) >= 2


def endpoints(provider: IdentityProvider) -> dict[str, str]:
    """The provider's endpoints: those set on the row, the rest from its discovery
    document (cached for an hour), whose ``issuer`` must be the configured one."""
    given = {
        "authorization_endpoint": provider.authorization_endpoint,
        "token_endpoint": provider.token_endpoint,
        "userinfo_endpoint": provider.userinfo_endpoint,
        "jwks_uri": provider.jwks_uri,
        "end_session_endpoint": provider.end_session_endpoint,
    }
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if all(given[name] for name in needed):
        return given
    key = f"tracelead:oidc-discovery:{provider.pk}:{provider.issuer}"
    found = cache.get(key)
    if found is None:
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            log.warning("Discovery failed for identity provider %s: %s", provider.slug, error)
            raise SignInRefused(
                f"{provider.name} could not be reached. Try again in a few minutes.", status=502
            ) from None
        if document.get("issuer") != provider.issuer:
            log.warning("Identity provider %s: discovery names another issuer", provider.slug)
            raise SignInRefused(
                f"{provider.name} is not set up correctly here. Tell your administrator.",
                status=502,
            )
        found = {name: str(document.get(name) or "") for name in given}
        cache.set(key, found, DISCOVERY_SECONDS)
    return {name: given[name] or found[name] for name in given}


def _callback_uri(request: HttpRequest, provider: IdentityProvider) -> str:
    return request.build_absolute_uri(reverse("sso_callback", args=[provider.slug]))


def _provider(slug: str) -> IdentityProvider:
    provider = IdentityProvider.objects.filter(slug=slug, enabled=True).first()
    if provider is None:
        raise Http404("No such identity provider.")
    return provider


class ProviderBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """mozilla-django-oidc's backend with its settings taken from one provider row.

    It answers only when given ``provider=`` (the callback view does), so a password
    sign-in never reaches it; ``get_user`` serves sessions it began.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads one provider's settings here; ours come with each sign-in.
        self.UserModel = get_user_model()

    def _use(self, provider: IdentityProvider, found: dict[str, str]) -> None:
        self.provider = provider
        self.OIDC_OP_TOKEN_ENDPOINT = found["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = found["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = found["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = provider.client_id
        self.OIDC_RP_CLIENT_SECRET = provider.client_secret
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        defaults = {"OIDC_TIMEOUT": HTTP_TIMEOUT_SECONDS, "OIDC_VERIFY_SSL": True}
        if attr in defaults:
            return getattr(settings, attr, defaults[attr])
        return OIDCAuthenticationBackend.get_settings(attr, *args)

    def authenticate(
        self,
        request: HttpRequest | None,
        provider: IdentityProvider | None = None,
        nonce: str | None = None,
        code_verifier: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if request is None or provider is None or not nonce:
            return None
        claims = self.verified_claims(request, provider, nonce, code_verifier)
        return self.user_for_claims(provider, claims)

    def verified_claims(
        self, request: HttpRequest, provider: IdentityProvider, nonce: str,
        code_verifier: str | None,
    ) -> dict[str, Any]:
        """The code exchanged and the id token (and userinfo) checked: their claims."""
        self.request = request
        self._use(provider, endpoints(provider))
        code = request.GET.get("code") or ""
        try:
            token_info = self.get_token(
                {
                    "client_id": provider.client_id,
                    "client_secret": provider.client_secret,
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": _callback_uri(request, provider),
                    **({"code_verifier": code_verifier} if code_verifier else {}),
                }
            )
        except (requests.RequestException, ValueError) as error:
            log.warning("Token request to identity provider %s failed: %s", provider.slug,
                        type(error).__name__)
            raise SignInRefused(
                f"{provider.name} did not confirm this sign-in (it may have been used "
                "already). Start again.", status=400,
            ) from None
        id_token = str(token_info.get("id_token") or "")
        payload = self.verify_token(id_token, nonce=nonce)
        claims = dict(payload)
        access_token = str(token_info.get("access_token") or "")
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            try:
                userinfo = self.get_userinfo(access_token, id_token, payload)
            except (requests.RequestException, ValueError, jwt.PyJWTError):
                raise SignInRefused(
                    f"{provider.name} did not give your details. Start again.", status=502
                ) from None
            if userinfo.get("sub") != payload.get("sub"):
                raise SignInRefused(
                    f"{provider.name}'s answer could not be checked, so you were not "
                    "signed in. Start again.", status=400,
                )
            # The signed id token wins where both say something.
            claims = {**userinfo, **payload}
        self.id_token = id_token
        self.several_factors = used_several_factors(payload.get("amr"))
        return claims

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The id token's claims once its signature (RS256, a key from the provider's
        JWKS), issuer, audience, expiry and nonce are right; else ``SignInRefused``."""
        provider = self.provider
        unreadable = SignInRefused(
            f"{provider.name}'s answer could not be checked, so you were not signed in. "
            "Start again.", status=400,
        )
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unreadable from None
        if header.get("alg") != "RS256":
            raise unreadable
        try:
            key = self.retrieve_matching_jwk(token)
        except Exception as error:  # no such key, or the JWKS could not be fetched
            log.warning("Identity provider %s: no signing key (%s)", provider.slug,
                        type(error).__name__)
            raise unreadable from None
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=provider.client_id,
                issuer=provider.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise SignInRefused(
                f"The sign-in from {provider.name} had expired. Start again.", status=400
            ) from None
        except jwt.PyJWTError as error:
            log.warning("Identity provider %s: id token refused (%s)", provider.slug,
                        type(error).__name__)
            raise unreadable from None
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != provider.client_id:
            raise unreadable
        if payload.get("nonce") != kwargs.get("nonce"):
            log.warning("Identity provider %s: nonce did not match", provider.slug)
            raise SignInRefused(
                f"{provider.name}'s answer was not for this sign-in, so you were not "
                "signed in. Start again.", status=400,
            )
        return payload

    def user_for_claims(self, provider: IdentityProvider, claims: dict[str, Any]) -> Any:
        """The one account for the verified email in ``claims``, made if the provider
        allows sign-up; ``SignInRefused`` otherwise."""
        email = verified_email(provider, claims)
        users = list(self.UserModel._default_manager.filter(email__iexact=email)[:2])
        if len(users) > 1:
            raise SignInRefused(
                f"More than one account uses {email}. Ask your administrator to give each "
                "account its own address.", email=email,
            )
        if users:
            user = users[0]
            if not user.is_active:
                raise SignInRefused(
                    "This account has been switched off. Ask your administrator.", email=email
                )
            if provider.system_id is not None and not _has_role_in(user, provider.system_id):
                raise SignInRefused(
                    f"{provider.name} is for people with a role in {provider.system}. Your "
                    "account has none: ask a facilitator there.", email=email,
                )
            return user
        if not provider.sign_up:
            raise SignInRefused(
                f"There is no tracelead account for {email}. Ask a facilitator to add you, "
                "then sign in again.", email=email,
            )
        return _account_create(email=email, claims=claims)

    def get_user(self, user_id: Any) -> Any:
        return ModelBackend.get_user(self, user_id)


def verified_email(provider: IdentityProvider, claims: dict[str, Any]) -> str:
    """The address in the provider's email claim, if the provider verified it and it is
    in one of the provider's allowed domains; ``SignInRefused`` otherwise."""
    email = str(claims.get(provider.email_claim) or "").strip()
    if "@" not in email:
        raise SignInRefused(
            f"{provider.name} did not give an email address, so you could not be "
            "signed in. Tell your administrator."
        )
    verified = claims.get("email_verified")
    if not (verified is True or str(verified).lower() == "true" or (
        verified is None and provider.trust_email_without_email_verified_claim
    )):
        raise SignInRefused(
            f"{provider.name} has not confirmed that {email} is yours, so you could "
            "not be signed in.", email=email,
        )
    domain = email.rsplit("@", 1)[1].lower()
    allowed = provider.domain_list()
    if domain not in allowed:
        raise SignInRefused(
            f"Addresses at {domain} cannot sign in with {provider.name}. Use an account "
            f"at {' or '.join(allowed) or 'an allowed organisation'}.", email=email,
        )
    return email


def _has_role_in(user: Any, system_id: int) -> bool:
    from tracelead.organisations.models import SystemMembership

    return SystemMembership.objects.filter(user=user, system_id=system_id).exists() or (
        user.academies_facilitated.filter(system_id=system_id).exists()
    )


@transaction.atomic
def _account_create(*, email: str, claims: dict[str, Any]) -> Any:
    """A new account for a verified address: the address is its username, it has no
    usable password and no roles."""
    user_model = get_user_model()
    username = email.lower()[:150]
    if user_model._default_manager.filter(
        Q(username__iexact=username) | Q(email__iexact=email)
    ).exists():
        raise SignInRefused(
            f"An account named {username} already exists with another address. Ask your "
            "administrator.", email=email,
        )
    user = user_model._default_manager.create_user(
        username=username,
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _refused(
    request: HttpRequest, provider: IdentityProvider | None, refusal: SignInRefused
) -> HttpResponse:
    """The sign-in page with the reason; the failure counts as a failed sign-in."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": refusal.email, "provider": provider.slug if provider else ""},
        request=request,
    )
    log.info("Sign-in through %s refused: %s", provider.slug if provider else "?", refusal)
    from .views import sign_in_context

    context = sign_in_context(request)
    context["sso_error"] = str(refusal)
    return render(request, "core/login.jinja", context, status=refusal.status)


@require_GET
def sso_start(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge."""
    provider = _provider(slug)
    from .views import cooling_off

    until = cooloff.wait_until(username="", address=client_address(request))
    if until is not None:
        return cooling_off(request, until)
    try:
        return HttpResponseRedirect(begin(request, provider))
    except SignInRefused as refusal:
        return _refused(request, provider, refusal)


def begin(
    request: HttpRequest, provider: IdentityProvider, purpose: dict[str, str] | None = None
) -> str:
    """A fresh state, nonce and PKCE verifier in the session; returns the provider's
    authorisation address to send the browser to. ``purpose`` is kept with the state:
    with ``open_link`` the callback confirms an open link's email address instead of
    signing in (``tracelead.diagnostics.open_link_sso``)."""
    found = endpoints(provider)
    state = get_random_string(32)
    nonce = get_random_string(32)
    code_verifier = get_random_string(64)
    params = {
        "response_type": "code",
        "scope": provider.scopes,
        "client_id": provider.client_id,
        "redirect_uri": _callback_uri(request, provider),
        "state": state,
        "nonce": nonce,
        "code_challenge": generate_code_challenge(code_verifier, "S256"),
        "code_challenge_method": "S256",
    }
    add_state_and_verifier_and_nonce_to_session(request, state, params, code_verifier)
    # Which provider the state was made for: a state brought back to another is refused.
    request.session["oidc_states"][state]["provider"] = provider.slug
    request.session["oidc_states"][state].update(purpose or {})
    request.session["oidc_login_next"] = get_next_url(request, "next")
    request.session.modified = True
    return f"{found['authorization_endpoint']}?{urlencode(params)}"


@require_GET
def sso_callback(request: HttpRequest, slug: str) -> HttpResponse:
    """Where the provider sends the browser back: check everything, then sign in."""
    provider = _provider(slug)
    from .views import cooling_off

    until = cooloff.wait_until(username="", address=client_address(request))
    if until is not None:
        return cooling_off(request, until)
    state = request.GET.get("state") or ""
    states = request.session.get("oidc_states")
    entry = states.pop(state, None) if isinstance(states, dict) and state else None
    if entry is not None:
        # Removed before anything else happens: a state works once, even if this fails.
        request.session.modified = True
        request.session.save()
    try:
        if entry is None or entry.get("provider") != provider.slug:
            raise SignInRefused(
                "This sign-in had already been used or had expired. Start again.", status=400
            )
        if request.GET.get("error"):
            raise SignInRefused(
                f"{provider.name} did not sign you in. Try again, or ask your administrator "
                "if this keeps happening.", status=400,
            )
        if not request.GET.get("code"):
            raise SignInRefused(f"{provider.name} sent no sign-in. Start again.", status=400)
        backend = ProviderBackend()
        claims = backend.verified_claims(
            request, provider, str(entry.get("nonce") or ""), entry.get("code_verifier")
        )
        if entry.get("open_link"):
            # Not a sign-in: the provider vouches for a respondent's address instead of a
            # code sent to it. Nobody is signed in and the address is kept only as a hash.
            from tracelead.diagnostics.open_link_sso import confirmed_by_provider

            return confirmed_by_provider(
                request, token=str(entry["open_link"]), rater_kind=str(entry.get("rater_kind")),
                email=verified_email(provider, claims),
            )
        user = backend.user_for_claims(provider, claims)
    except SignInRefused as refusal:
        if entry is not None and entry.get("open_link"):
            from tracelead.diagnostics.open_link_sso import refused_by_provider

            return refused_by_provider(request, token=str(entry["open_link"]), reason=str(refusal))
        return _refused(request, provider, refusal)
    next_url = request.session.pop("oidc_login_next", None)
    if request.user.is_authenticated and request.user.pk != user.pk:
        auth.logout(request)
    auth.login(request, user, backend=f"{ProviderBackend.__module__}.ProviderBackend")
    # For sign-out: the provider's end-session endpoint asks for the id token as a hint.
    request.session[SESSION_ID_TOKEN] = backend.id_token
    request.session[SESSION_PROVIDER] = provider.slug
    if backend.several_factors:
        device, _ = ProviderSignIn.objects.get_or_create(
            user=user, provider=provider,
            defaults={"name": f"Sign-in through {provider.name}"[:64], "confirmed": True},
        )
        otp_login(request, device)
    return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


def end_session_url(request: HttpRequest) -> tuple[str, str] | None:
    """The provider's name and where to send a browser after signing out here, so the
    provider signs it out too; None when the session did not come from a provider that
    offers that."""
    slug = request.session.get(SESSION_PROVIDER)
    id_token = request.session.get(SESSION_ID_TOKEN)
    if not slug or not id_token:
        return None
    provider = IdentityProvider.objects.filter(slug=slug).first()
    if provider is None:
        return None
    try:
        found = endpoints(provider)
    except SignInRefused:
        return None
    if not found["end_session_endpoint"]:
        return None
    params = {
        "id_token_hint": id_token,
        "client_id": provider.client_id,
        "post_logout_redirect_uri": request.build_absolute_uri(
            resolve_url(settings.LOGOUT_REDIRECT_URL)
        ),
    }
    return provider.name, f"{found['end_session_endpoint']}?{urlencode(params)}"


def providers_for_sign_in() -> list[IdentityProvider]:
    return list(IdentityProvider.objects.filter(enabled=True).select_related("system"))


def local_passwords_allowed() -> bool:
    return SignInSettings.local_passwords_allowed()

