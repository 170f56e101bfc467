from django.contrib import admin

from .models import Group, Organisation, Person, System, SystemMembership


class MembershipInline(admin.TabularInline):
    model = SystemMembership
    extra = 0
    fields = ["user", "role", "organisation", "group"]


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "system"]
    list_filter = ["sector", "system"]
    search_fields = ["name"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "space", "organisation", "parent", "system"]
    list_filter = ["space", "system"]
    search_fields = ["name"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "role_title", "organisation", "system"]
    search_fields = ["name", "email"]
