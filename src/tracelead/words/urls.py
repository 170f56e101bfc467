"""The words' pages; the group report shows the convergence (reports/group.jinja)."""

from __future__ import annotations

from django.urls import URLPattern

from .views import urlpatterns as theme_patterns

urlpatterns: list[URLPattern] = [*theme_patterns]
