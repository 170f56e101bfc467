from django.contrib import admin

from .models import Cycle, Publication


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "system", "threshold", "comment_threshold"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Thresholds are fixed once answers arrive; the admin must not weaken them either.
        if obj is not None and obj.thresholds_locked:
            return ["system", "threshold", "comment_threshold"]
        return []


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """Publications are frozen: they can be read here, never changed or deleted."""

    list_display = ["__str__", "kind", "created_at", "created_by"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
