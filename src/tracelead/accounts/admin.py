from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import IdentityProvider, SignInFailures, SignInSettings


@admin.register(SignInFailures)
class SignInFailuresAdmin(admin.ModelAdmin):
    """Where an administrator sees waiting accounts and addresses, and lifts a wait."""

    list_display = ["kind", "key", "failures", "last_failure_at", "wait_until"]
    list_filter = ["kind"]
    search_fields = ["key"]
    ordering = ["-last_failure_at"]
    actions = ["lift"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Lift the wait (unlock)")
    def lift(self, request: HttpRequest, queryset: QuerySet[SignInFailures]) -> None:
        count = queryset.delete()[0]
        messages.success(request, f"Lifted {count} wait(s).")


def _https_by_default(field: Any, **kwargs: Any) -> Any:
    if isinstance(field, models.URLField):  # addresses typed without a scheme are https
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class IdentityProviderForm(forms.ModelForm):
    """The client secret is written here and never shown back: an empty box on change
    keeps the stored one."""

    client_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Given by the provider when the application was registered. Leave empty "
        "to keep the one stored; it is never shown again.",
    )

    class Meta:
        model = IdentityProvider
        formfield_callback = _https_by_default
        fields = [
            "name", "slug", "enabled", "system", "issuer", "client_id", "client_secret",
            "scopes", "allowed_domains", "email_claim",
            "trust_email_without_email_verified_claim", "sign_up", "authorization_endpoint",
            "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint",
        ]

    def clean_client_secret(self) -> str:
        secret: str = self.cleaned_data.get("client_secret") or ""
        if not secret:
            if self.instance.pk and self.instance.client_secret:
                return self.instance.client_secret
            raise forms.ValidationError("Enter the client secret")
        return secret

    def clean_allowed_domains(self) -> str:
        text: str = self.cleaned_data.get("allowed_domains") or ""
        domains = IdentityProvider(allowed_domains=text).domain_list()
        if not domains:
            raise forms.ValidationError("Enter at least one email domain, such as nhs.net")
        bad = [d for d in domains if "." not in d or "@" in d or "/" in d]
        if bad:
            raise forms.ValidationError(f"These are not email domains: {', '.join(bad)}")
        return "\n".join(domains)


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    """OpenID Connect providers (docs/sso.md). The secret is never listed or shown."""

    form = IdentityProviderForm

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)
    list_display = ["name", "slug", "enabled", "issuer", "sign_up", "system"]
    list_filter = ["enabled", "sign_up"]
    search_fields = ["name", "slug", "issuer"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "enabled", "system"]}),
        ("The provider", {"fields": ["issuer", "client_id", "client_secret", "scopes"]}),
        ("Who may sign in", {
            "fields": ["allowed_domains", "email_claim",
                       "trust_email_without_email_verified_claim", "sign_up"],
        }),
        ("Endpoints (leave empty to read them from the issuer's discovery document)", {
            "classes": ["collapse"],
            "fields": ["authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                       "jwks_uri", "end_session_endpoint"],
        }),
    ]


@admin.register(SignInSettings)
class SignInSettingsAdmin(admin.ModelAdmin):
    """The one row of site-wide sign-in choices."""

    list_display = ["__str__", "local_passwords"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SignInSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.pk = 1
        super().save_model(request, obj, form, change)
