from __future__ import annotations

from typing import Any

from django.db import models
from django_otp.models import Device, DeviceManager


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


# django-otp is untyped, so the plugin cannot see ProviderSignIn's relation back to here.
class IdentityProvider(models.Model):  # type: ignore[django-manager-missing]
    """An OpenID Connect provider that staff may sign in with (tracelead.accounts.sso).

    Such as Microsoft Entra ID (NHSmail, most trusts and councils) or NHS Care Identity
    Service 2. The endpoints come from the issuer's discovery document unless given here.
    The client secret is written, never shown back (the admin form leaves it out).
    """

    slug = models.SlugField(
        max_length=50, unique=True,
        help_text="The provider's part of its addresses: /sso/<slug>/start/ and "
        "/sso/<slug>/callback/ (register the second with the provider).",
    )
    name = models.CharField(
        max_length=100, help_text="Shown on the sign-in button: “Sign in with <name>”."
    )
    enabled = models.BooleanField(default=True)
    issuer = models.URLField(
        max_length=500,
        help_text="Exactly as the provider's id tokens give it (the “iss” claim), such as "
        "https://login.microsoftonline.com/<tenant id>/v2.0.",
    )
    # Empty: read from <issuer>/.well-known/openid-configuration.
    authorization_endpoint = models.URLField(max_length=500, blank=True)
    token_endpoint = models.URLField(max_length=500, blank=True)
    userinfo_endpoint = models.URLField(max_length=500, blank=True)
    jwks_uri = models.URLField("JWKS address", max_length=500, blank=True)
    end_session_endpoint = models.URLField(max_length=500, blank=True)
    client_id = models.CharField("client id", max_length=200)
    client_secret = models.CharField(max_length=500)
    scopes = models.CharField(max_length=200, default="openid email profile")
    allowed_domains = models.TextField(
        help_text="The email domains that may sign in, one a line or separated by commas, "
        "such as nhs.net. An address in any other domain is refused."
    )
    email_claim = models.CharField(
        max_length=100, default="email",
        help_text="The claim that carries the email address (Entra ID: email or "
        "preferred_username; CIS2: email). It is used only when email_verified is true.",
    )
    trust_email_without_email_verified_claim = models.BooleanField(
        "trust emails without the email_verified claim", default=False, db_default=False,
        help_text="Only for a provider that never sends email_verified but owns every "
        "address in the allowed domains (such as NHSmail's own tenant).",
    )
    sign_up = models.BooleanField(
        "create accounts on first sign-in", default=False, db_default=False,
        help_text="Off: only people who already have an account (matched by email) may "
        "sign in. A new account has no roles until a facilitator gives it one.",
    )
    system = models.ForeignKey(
        "organisations.System", on_delete=models.CASCADE, null=True, blank=True,
        related_name="identity_providers",
        help_text="Empty: for the whole site. A system: only for accounts with a role in it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def domain_list(self) -> list[str]:
        words = self.allowed_domains.replace(",", " ").split()
        return [word.strip().lstrip("@").lower() for word in words if word.strip()]


class SignInSettings(models.Model):
    """The site's sign-in choices: one row (``SignInSettings.current()``)."""

    local_passwords = models.BooleanField(
        "allow sign-in with a tracelead password", default=True, db_default=True,
        help_text="Off: everyone signs in through an identity provider, and tracelead's own "
        "passwords (the sign-in form and the admin's) are refused.",
    )

    class Meta:
        verbose_name = "sign-in settings"
        verbose_name_plural = "sign-in settings"

    def __str__(self) -> str:
        return "Sign-in settings"

    @classmethod
    def current(cls) -> SignInSettings:
        row = cls.objects.filter(pk=1).first()
        return row if row is not None else cls(pk=1)

    @classmethod
    def local_passwords_allowed(cls) -> bool:
        return bool(cls.objects.filter(pk=1).values_list("local_passwords", flat=True).first()
                    in (None, True))


class ProviderSignInManager(DeviceManager):  # type: ignore[misc]
    def devices_for_user(self, user: Any, confirmed: bool | None = None) -> Any:
        # Never listed as one of the user's devices: it is not something they can enter a
        # code from, and listing it would send their next password sign-in to the code page.
        return self.none()


class ProviderSignIn(Device):  # type: ignore[misc]
    """Stands in for a one-time code in a session whose provider said it used several
    factors (the id token's ``amr`` claim), so django-otp counts the session as verified.

    One row per account and provider. It cannot check a code, and django-otp's device
    lists leave it out (``ProviderSignInManager``): it never asks for anything itself.
    """

    provider: models.ForeignKey[IdentityProvider, IdentityProvider] = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE
    )

    objects = ProviderSignInManager()

    class Meta:
        verbose_name = "multi-factor sign-in through a provider"
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="provider_sign_in_unique")
        ]

    def verify_token(self, token: Any) -> bool:
        return False
