"""(being written by the members helper: sign-up, the member's own page, leaving, the
facilitators' member list and import)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path


def member_home(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404("No such member.")


urlpatterns: list[URLPattern] = [
    path("m/<str:token>/", member_home, name="academy_member_home"),
]
