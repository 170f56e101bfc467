from django.contrib import admin

from .models import Assessment, Invitation


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "instrument_key", "opens_on", "closes_on", "threshold"]
    list_filter = ["instrument_key"]
    search_fields = ["title", "group__name"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Thresholds are fixed once answers arrive; the admin must not weaken them either.
        if obj is not None and obj.thresholds_locked:
            # ...nor move answers to another group or change who was asked.
            return [
                "group",
                "rater_kinds",
                "threshold",
                "comment_threshold",
                "instrument_key",
                "instrument_version",
            ]
        return []


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "assessment", "rater_kind", "used"]
    list_filter = ["used", "rater_kind"]
    readonly_fields = ["token", "used"]
    exclude = []
