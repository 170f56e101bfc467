"""The evaluation's pages."""

from __future__ import annotations

from django.urls import URLPattern

from . import import_views, views

urlpatterns: list[URLPattern] = [*views.urlpatterns, *import_views.urlpatterns]
