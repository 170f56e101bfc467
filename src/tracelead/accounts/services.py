"""Changes to a user's own account: personal API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tracelead.core.audit import audit_record
from tracelead.core.models import ApiToken, AuditEvent

MAX_TOKEN_DAYS = 365
ONE_TIME_CODE_REQUIRED = (
    "This site requires one-time codes: sign in with a code from your authenticator app "
    "before making an API token."
)


@transaction.atomic
def api_token_create(
    *, user: Any, name: str, scope: str, days: int, verified: bool, via: str = "web"
) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns the row and the clear token (shown once).

    ``verified`` says whether the user proved a one-time code in this sign-in (the web
    session's ``is_verified()``, or a code given on the command line). Where the site
    requires codes (``TRACELEAD_REQUIRE_OTP``), an unverified user is refused with
    ``PermissionDenied``; bad input raises ``ValidationError`` by field.
    """
    if settings.TRACELEAD_REQUIRE_OTP and not verified:
        raise PermissionDenied(ONE_TIME_CODE_REQUIRED)
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter a name for the token"
    elif len(name) > 100:
        errors["name"] = "The name must be 100 characters or fewer"
    if scope not in ApiToken.Scope.values:
        errors["scope"] = f"Choose what the token may do: one of {', '.join(ApiToken.Scope.values)}"
    if not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = f"A token lasts from 1 to {MAX_TOKEN_DAYS} days"
    if errors:
        raise ValidationError(errors)
    row, token = ApiToken.issue(user=user, name=name, scope=scope, days=days)
    audit_record(
        user=user,
        action=AuditEvent.Action.CHANGED,
        what=f"made API token {name} ({ApiToken.Scope(scope).label.lower()}, {days} days)",
        via=via,
    )
    return row, token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: Any) -> ApiToken:
    """Stop a token working from now on; revoking it again keeps the first time."""
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    if changed:
        audit_record(
            user=by, action=AuditEvent.Action.CHANGED, what=f"revoked API token {token.name}"
        )
    return token
