"""A respondent's comments in Welsh: shown in the (English) report exactly as typed, and
counted in the facilitator's themes like any other (docs/welsh.md).

The sentence model is English, so Welsh comments may not sit beside English ones that mean
the same; what is promised is that none is dropped, altered or left out of the themes.
"""

from __future__ import annotations

import html
from typing import Any

import words_fixtures as fx
from django.urls import reverse
from words_fixtures import CHANGES

from tracelead.words.models import ThemeSet

WELSH = [
    "Mwy o amser wedi'i neilltuo i gynllunio gyda'n gilydd ar draws timau.",
    "Penderfyniadau cliriach am bwy sy'n gyfrifol am beth ar ôl pob cyfarfod.",
    "Cytuno ar berchennog i bob penderfyniad cyn i'r cyfarfod orffen.",
]


def test_welsh_comments_are_shown_as_typed_and_counted_in_themes(
        facilitator_client: Any, team: Any, published_statements: Any) -> None:
    changes = CHANGES[:7] + WELSH
    assessment = published_statements(team, fx.THREE_TASKS[:10], changes=changes)
    report = facilitator_client.get(reverse("report_group", args=[assessment.pk]))
    assert report.status_code == 200
    page = html.unescape(report.content.decode())
    for comment in WELSH:
        assert comment in page, comment
    url = reverse("words_round_themes", args=[assessment.pk, "one_change"])
    assert facilitator_client.post(url).status_code == 302
    theme_set = ThemeSet.objects.get(assessment=assessment, prompt_key="one_change")
    assert theme_set.texts == sorted(changes)
    placed = sorted(i for theme in theme_set.themes.all() for i in theme.members)
    assert placed == list(range(len(changes))), "every comment, Welsh too, is in one theme"
    themes_page = html.unescape(facilitator_client.get(url).content.decode())
    for comment in WELSH:
        assert comment in themes_page, comment
