from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def api_token_expiry() -> dt.datetime:
    """When a token made now expires unless its maker chose otherwise."""
    return timezone.now() + dt.timedelta(days=settings.TRACELEAD_API_TOKEN_DAYS)


class ApiToken(models.Model):
    """A personal token for the JSON API. Only its hash is stored.

    A token works until it expires or is revoked; a read token may only read.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read"
        READ_WRITE = "read-write", "Read and write"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    # Read-write is what every token could do before scopes, so it is the model's default;
    # the token page and the command line offer read first.
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.READ_WRITE)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=api_token_expiry)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(
        cls,
        *,
        user: object,
        name: str,
        scope: str = Scope.READ_WRITE,
        days: int | None = None,
    ) -> tuple[ApiToken, str]:
        """Create a token; the clear text is returned once and never stored.

        ``days`` defaults to ``TRACELEAD_API_TOKEN_DAYS``. Checks of who may make a token
        and of the form's limits are in ``tracelead.accounts.services.api_token_create``.
        """
        if scope not in cls.Scope.values:
            raise ValueError(f"scope must be one of {cls.Scope.values}; got {scope!r}")
        days = settings.TRACELEAD_API_TOKEN_DAYS if days is None else days
        if days < 1:
            raise ValueError(f"days must be 1 or more; got {days}")
        token = secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user,
            name=name,
            token_hash=cls.hash(token),
            scope=scope,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        return row, token

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE

    @property
    def status(self) -> str:
        """Active, revoked or expired, as the token page shows it."""
        if self.revoked_at is not None:
            return "Revoked"
        if self.expires_at <= timezone.now():
            return "Expired"
        return "Active"


class AuditEvent(models.Model):
    """Who viewed, exported, published or changed what, and when."""

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed results"
        EXPORTED = "exported", "Exported"
        CHANGED = "changed", "Changed settings"
        PUBLISHED = "published", "Published results"
        REISSUED = "reissued", "Re-issued a link"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # Kept as text too, so the log still reads after an account is deleted.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action.choices)
    group_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    assessment_id = models.BigIntegerField(null=True, blank=True)
    system_id = models.BigIntegerField(null=True, blank=True)
    what = models.CharField(max_length=200)
    via = models.CharField(max_length=20, default="web")

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.what}"
