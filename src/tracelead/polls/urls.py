"""The polls' pages. Each topic keeps its own ``urlpatterns`` beside its views."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import participant_views, present_views, results_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    *participant_views.urlpatterns,
    *present_views.urlpatterns,
    *views.urlpatterns,
    *results_views.urlpatterns,
]
