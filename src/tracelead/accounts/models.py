from __future__ import annotations

from django.db import models


class SignInFailures(models.Model):
    """Failed sign-ins counted for one account name or one client address.

    Past a limit each further failure doubles the wait before the next try is allowed
    (``tracelead.accounts.cooloff``). Deleting the row lifts the wait: that is the
    administrator's unlock (Django admin, or ``tracelead unlock``).
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Account name"
        ADDRESS = "address", "Client address"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The account name as Django compares it, case-folded; or the client address.
    key = models.CharField(max_length=200)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    wait_until = models.DateTimeField(null=True, blank=True)
    # When the account holder was told of this wait (once per run of failures).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "failed sign-ins"
        verbose_name_plural = "failed sign-ins (unlock by deleting)"
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="sign_in_failures_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}: {self.failures}"
