from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import SignInFailures


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
