from django.contrib import admin

from .models import ApiToken, AuditEvent


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "scope", "created_at", "expires_at", "last_used_at",
                    "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "user__username"]
    # Tokens are made on the account page or the command line, where the clear token is
    # shown once; here an administrator can shorten, narrow or revoke one.
    readonly_fields = ["token_hash", "user", "created_at", "last_used_at"]
    fields = ["name", "user", "scope", "created_at", "expires_at", "last_used_at",
              "revoked_at", "token_hash"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "action", "what", "via"]
    list_filter = ["action", "via"]
    search_fields = ["username", "what"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
