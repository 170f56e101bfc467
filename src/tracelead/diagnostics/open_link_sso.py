"""A verifying open link's email address confirmed through an identity provider.

Instead of a code emailed to them, a respondent with an organisational account can let
its provider (Entra ID, NHS CIS2: ``tracelead.accounts.sso``) vouch for their address.
The provider's answer is checked exactly as for a sign-in (state, nonce, signature,
issuer, audience, expiry, ``email_verified``, the provider's domains); the address must
also be in the round's domains. Nobody is signed in: the address is kept, as for a code,
only as the round's keyed hash, to hold it to one response.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tracelead.accounts import sso
from tracelead.accounts.models import IdentityProvider
from tracelead.core.language import bilingual

from . import services
from .models import Assessment
from .respondent_views import (
    _already_answered,
    _closed_now,
    _open_kinds,
    _posted_kind,
    _problem,
    _resolve,
    _verified_draft_page,
)


def providers_for(assessment: Assessment) -> list[IdentityProvider]:
    """The providers a respondent to this round may confirm their address with: those
    for the whole site and those of the round's system."""
    return list(
        IdentityProvider.objects.filter(enabled=True).filter(
            Q(system__isnull=True) | Q(system_id=assessment.group.system_id)
        )
    )


@never_cache
@require_POST
@bilingual
def respond_with_provider(request: HttpRequest, token: str, slug: str) -> HttpResponse:
    """The introduction's "confirm with <provider>" button: on to the provider.

    By a page rather than a redirect, as our form-action policy holds a redirect that
    follows a form to another site."""
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    assessment = link.assessment
    if link.invitation is not None or not assessment.open_link_verify:
        return redirect("respond", token=token)
    provider = next((p for p in providers_for(assessment) if p.slug == slug), None)
    if provider is None:
        raise Http404("No such identity provider.")
    kinds = _open_kinds(assessment)
    kind = _posted_kind(request, kinds)
    if kind not in kinds:
        return _problem(
            request, status=400, title=_("Choose how you know this group"),
            body=_("Go back, choose how you know this group, then choose the button again."),
        )
    try:
        url = sso.begin(request, provider, {"open_link": token, "rater_kind": kind})
    except sso.SignInRefused as refusal:
        return refused_by_provider(request, token=token, reason=str(refusal))
    return render(
        request,
        "accounts/continue_to_provider.jinja",
        {"provider_name": provider.name, "provider_url": url, "respondent_page": True},
    )


@bilingual  # the respondent's language, also when it comes from the provider's callback
def confirmed_by_provider(
    request: HttpRequest, *, token: str, rater_kind: str, email: str
) -> HttpResponse:
    """The provider vouched for ``email``: start (or move here) its draft, as a right
    code would (``respondent_views._confirm_code``)."""
    assessment = Assessment.objects.filter(open_token=token, open_link_verify=True).first()
    if assessment is None:
        raise Http404("No such questionnaire.")
    device_key = secrets.token_urlsafe(32)
    try:
        draft = services.open_link_provider_confirm(
            assessment=assessment, email=email, rater_kind=rater_kind, device_key=device_key
        )
    except ValidationError as error:
        return refused_by_provider(
            request, token=token, reason=" ".join(m for ms in error.message_dict.values()
                                                  for m in ms),
        )
    except services.AlreadySubmitted:
        return _already_answered(request)
    except services.NotAcceptingResponses:
        return _closed_now(request)
    return _verified_draft_page(assessment, token, draft, device_key)


@bilingual
def refused_by_provider(request: HttpRequest, *, token: str, reason: str) -> HttpResponse:
    return _problem(
        request,
        status=403,
        title=_("We could not confirm your email address"),
        body=reason + " " + _("You can go back to the questionnaire link and ask for a code "
                              "by email instead."),
    )


def intro_context(assessment: Assessment) -> dict[str, Any]:
    return {"providers": providers_for(assessment)}
