from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A personal token for the JSON API. Only its hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: object, name: str) -> tuple[ApiToken, str]:
        """Create a token; the clear text is returned once and never stored."""
        token = secrets.token_urlsafe(32)
        row = cls.objects.create(user=user, name=name, token_hash=cls.hash(token))
        return row, token


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
