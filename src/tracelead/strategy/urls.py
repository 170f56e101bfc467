"""The leadership strategy's pages."""

from __future__ import annotations

from django.urls import URLPattern

from .board_report import urlpatterns as board_patterns
from .development import urlpatterns as development_patterns
from .diversity import urlpatterns as diversity_patterns
from .feedback_views import urlpatterns as feedback_patterns
from .views import urlpatterns as strategy_patterns

urlpatterns: list[URLPattern] = [*strategy_patterns, *feedback_patterns, *development_patterns,
                                  *diversity_patterns, *board_patterns]
