from django.contrib import admin

from .models import Assessment, Invitation


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "cycle", "instrument_key", "opens_on", "closes_on"]
    list_filter = ["instrument_key"]
    search_fields = ["title", "group__name"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Dates change only through the product, which refuses past dates and audits every
        # change: re-dating a round at will would close or publish it at will.
        fields = ["opens_on", "closes_on"] if obj is not None else []
        if obj is not None and obj.responses.exists():
            # Answers have arrived: they must not move to another group, cycle or question set.
            # ...nor be verified after the fact (unverified answers would lose their
            # doubled threshold).
            fields += ["group", "cycle", "rater_kinds", "instrument_key", "instrument_version",
                       "open_link_verify", "open_link_domains"]
        return fields


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    # Whether a named person has answered is shown to nobody, administrators included.
    list_display = ["__str__", "assessment", "rater_kind"]
    list_filter = ["rater_kind"]
    readonly_fields = ["token_hash"]
    exclude = ["used", "reissued_after_use"]  # the latter would tell "used" as well
