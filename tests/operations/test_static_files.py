"""Static files (the NHS design system, the chart libraries, our CSS) are served by WhiteNoise,
whose table of files is built once per process (tracelead.core.middleware)."""

from __future__ import annotations

from typing import Any

import pytest
from whitenoise.middleware import WhiteNoiseMiddleware

from tracelead.core.middleware import StaticFilesMiddleware

pytestmark = pytest.mark.django_db

NHS_CSS = "/assets/nhsuk/nhsuk-frontend.min.css"


def _headers(middleware: Any, url: str) -> dict[str, str]:
    static_file = middleware.files[url]
    response = static_file.get_response("GET", {})
    if response.file is not None:
        response.file.close()
    return dict(response.headers)


def test_each_middleware_serves_what_whitenoise_would_from_one_table_a_process() -> None:
    plain = WhiteNoiseMiddleware(lambda request: None)
    first = StaticFilesMiddleware(lambda request: None)
    second = StaticFilesMiddleware(lambda request: None)

    assert NHS_CSS in plain.files
    assert set(first.files) == set(plain.files) == set(second.files)
    assert len(plain.files) > 1000  # the design system's and chart libraries' folders
    # The same file objects, not found again, but each middleware its own dictionary.
    assert all(second.files[url] is first.files[url] for url in first.files)
    assert second.files is not first.files
    for url in (NHS_CSS, "/assets/vega/vega.min.js"):
        assert _headers(first, url) == _headers(plain, url)


def test_a_change_of_the_static_settings_builds_the_table_again(settings: Any) -> None:
    before = StaticFilesMiddleware(lambda request: None)
    settings.WHITENOISE_MAX_AGE = 1234
    after = StaticFilesMiddleware(lambda request: None)

    assert "max-age=1234" in _headers(after, NHS_CSS)["Cache-Control"]
    assert "max-age=1234" not in _headers(before, NHS_CSS)["Cache-Control"]


def test_the_client_gets_the_design_system_css(client: Any) -> None:
    response = client.get(NHS_CSS)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"nhsuk" in b"".join(response.streaming_content)
