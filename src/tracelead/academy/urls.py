"""The academy's pages. Each topic keeps its own ``urlpatterns`` beside its views."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import event_views, exchange_views, member_views, reach_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    *views.urlpatterns,
    *member_views.urlpatterns,
    *event_views.urlpatterns,
    *reach_views.urlpatterns,
    *exchange_views.urlpatterns,
]
