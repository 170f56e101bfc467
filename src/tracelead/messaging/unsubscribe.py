"""Unsubscribe links for reminders: a signed invitee id, so nobody can unsubscribe others."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "tracelead.unsubscribe"


def unsubscribe_token(invitee_id: int) -> str:
    return signing.Signer(salt=SALT).sign(str(invitee_id)).replace(":", ".")


def invitee_from_token(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=SALT).unsign(token.replace(".", ":")))
    except (signing.BadSignature, ValueError):
        return None


def unsubscribe_url(invitee_id: int) -> str:
    path = reverse("unsubscribe", kwargs={"token": unsubscribe_token(invitee_id)})
    return settings.TRACELEAD_SITE_URL.rstrip("/") + path
