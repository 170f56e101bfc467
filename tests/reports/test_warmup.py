"""Start-up work: the server compiles templates and builds the heatmap chart before any visit."""

from __future__ import annotations

import pytest
from django.template import engines

from tracelead.instruments.registry import available_instruments
from tracelead.reports import charts
from tracelead.warmup import warm_up


def _compiled(name: str) -> bool:
    compiled = engines["jinja2"].env.cache.keys()  # (loader, template name) pairs
    return any(key[1] == name for key in compiled)


def test_warm_up_compiles_the_report_templates_and_builds_the_heatmap_skeleton():
    charts.heatmap_skeleton.cache_clear()
    engines["jinja2"].env.cache.clear()
    warm_up()
    for name in ("core/layout.jinja", "reports/many.jinja", "reports/_many_body.jinja"):
        assert _compiled(name), name
    # One skeleton per instrument and measure, at the page's width.
    assert charts.heatmap_skeleton.cache_info().currsize == 2 * len(available_instruments())


@pytest.mark.parametrize("measure", ["level", "sharedness"])
def test_a_cached_skeleton_gives_the_same_spec_and_is_never_changed_by_a_caller(measure):
    names = ("Task", "Route")
    charts.heatmap_skeleton.cache_clear()
    fresh = charts.heatmap_skeleton(measure, names, "container", True)
    snapshot = repr(fresh)
    cached = charts.heatmap_skeleton(measure, names, "container", True)
    assert cached is fresh and charts.heatmap_skeleton.cache_info().hits == 1
    # heatmap_chart works on a deep copy: adding data to one spec leaves the cache alone.
    copy = charts.copy.deepcopy(cached)
    copy["layer"][0]["encoding"]["x"]["sort"].append("Energy")
    assert repr(charts.heatmap_skeleton(measure, names, "container", True)) == snapshot
    assert fresh["layer"][0]["encoding"]["x"]["sort"] == list(names)
    assert fresh["data"] == {"name": "heatmap"} and "datasets" not in fresh


def _start_like_a_server(data_dir, code: str) -> str:
    """Import the WSGI application in a new interpreter, as gunicorn's master does with
    --preload, then run ``code`` there and return what it prints."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRACELEAD_DATA_DIR": str(data_dir)}
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", f"import tracelead.wsgi\n{code}"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    return result.stdout


def test_the_preloaded_application_holds_no_connection_the_workers_would_share(tmp_path):
    # gunicorn --preload (tracelead serve) loads the application before forking its
    # workers: a database or cache connection opened then would be one socket used by
    # every worker at once, their queries and answers interleaved.
    out = _start_like_a_server(tmp_path, (
        "from django.db import connections\n"
        "from django.core.cache import caches\n"
        "print(sum(c.connection is not None for c in connections.all(initialized_only=True)),"
        " len(caches.all(initialized_only=True)))"
    ))
    assert out.split() == ["0", "0"]


def test_compiled_templates_are_kept_for_the_next_start_in_a_folder_for_the_owner_only(
    tmp_path,
):
    import stat

    _start_like_a_server(tmp_path, "")
    folder = tmp_path / "cache" / "templates"
    kept = sorted(folder.iterdir())
    assert len(kept) >= 100  # the layout, the design system's macros, the report pages
    for each in (tmp_path / "cache", folder):
        assert stat.S_IMODE(each.stat().st_mode) == 0o700, each
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in kept)
    # The next start reads them rather than compiling again: none is written anew.
    times = {f.name: f.stat().st_mtime_ns for f in kept}
    _start_like_a_server(tmp_path, "")
    assert {f.name: f.stat().st_mtime_ns for f in folder.iterdir()} == times
