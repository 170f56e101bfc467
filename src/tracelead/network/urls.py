"""The relationships pages. Each topic keeps its own ``urlpatterns`` beside its views."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import import_views, member_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    *member_views.urlpatterns,
    *import_views.urlpatterns,
    *views.urlpatterns,
]
