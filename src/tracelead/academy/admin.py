from django.contrib import admin

from .models import Academy, Event, Member, Programme, Target


@admin.register(Academy)
class AcademyAdmin(admin.ModelAdmin):
    list_display = ["name", "system", "sign_up_open", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["facilitators"]
    # The sign-up code is made when the academy starts; changing it by hand would break
    # printed links.
    readonly_fields = ["join_code"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "sector", "joined_at", "left_at"]
    list_filter = ["sector", "academy"]
    search_fields = ["name", "email"]
    # The links' hashes are never shown or edited; leaving goes through the member's page
    # or `tracelead person erase`, which erase what identifies them.
    exclude = ["token_hash", "pending_token_hash"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "offer", "academy"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "starts_at", "capacity", "academy"]
    list_filter = ["kind", "academy"]
    readonly_fields = ["code"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "people", "share_percent", "by_date", "academy"]
