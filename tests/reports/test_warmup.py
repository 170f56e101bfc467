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
