"""The heatmap's colours: one scheme, low reads as concern, and page, PDF and workbook agree.

The colour-vision checks simulate protanopia, deuteranopia and tritanopia with the
full-severity matrices of Machado, Oliveira and Fernandes (2009), "A physiologically-based
model for simulation of color vision deficiency", IEEE TVCG 15(6), applied to linear sRGB,
and compare colours in CIELAB (D65). Those are independent of the code under test, which
only names ColorBrewer's RdYlBu colours.
"""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tracelead.instruments import get_instrument
from tracelead.organisations.models import System
from tracelead.reports import charts, colours, exports
from tracelead.reports.builders import many_groups_report
from tracelead.reports.figures import Cell, HeatmapRow, ManyGroupsReport

MACHADO = {
    "normal vision": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                        [0.0193, 0.1192, 0.9505]])
WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def _linear(colour: str) -> np.ndarray:
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ np.clip(linear_rgb, 0, 1) / WHITE_D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("measure", ["level", "sharedness"])
@pytest.mark.parametrize("vision", list(MACHADO))
def test_low_reads_as_concern_and_the_order_is_monotonic_for_every_kind_of_vision(
    measure: str, vision: str
) -> None:
    scale = colours.heat_scale(measure)
    labs = [_lab(MACHADO[vision] @ _linear(c.fill)) for c in scale.classes]
    # Warm (yellow side, b* > 0) exactly below the midpoint; blue (b* < 0) at or above it.
    assert [lab[2] > 0 for lab in labs] == [c.below_midpoint for c in scale.classes]
    # Along the scale: deep warm, paler warm, then paler blue to deep blue. Signed darkness
    # (100 - L*, negative on the warm side) must rise strictly from concern to good.
    signed = [(100 - lab[0]) * (1 if lab[2] < 0 else -1) for lab in labs]
    assert signed == sorted(signed) and len(set(np.round(signed, 3))) == len(signed)
    # Neighbouring classes stay tellable apart (CIE76 difference above 10).
    gaps = [float(np.linalg.norm(b - a)) for a, b in itertools.pairwise(labs)]
    assert min(gaps) > 10, gaps


def test_each_class_has_text_that_reads_on_it_and_hidden_is_off_the_scale() -> None:
    for scale in (colours.LEVEL, colours.SHAREDNESS):
        for heat in scale.classes:
            assert colours.contrast_ratio(heat.fill, heat.text) >= 4.5, heat
        assert colours.HIDDEN_FILL not in scale.fills
    # Known values of the WCAG formula: black on white is 21:1; #767676 is the lightest
    # grey that passes 4.5:1 on white (4.54:1), #777777 just fails (4.48:1).
    assert colours.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert colours.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)
    assert colours.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.005)


def test_classes_follow_the_value_as_it_is_printed() -> None:
    level = [colours.heat_class("level", v) for v in np.linspace(1, 5, 401)]
    assert level == sorted(level) and level[0] == 0 and level[-1] == 7
    # 2.96 is printed "3.0", so it is not coloured as below the midpoint.
    assert colours.heat_class("level", 2.94) == 3
    assert colours.heat_class("level", 2.96) == 4
    assert not colours.LEVEL.classes[4].below_midpoint
    assert colours.heat_class("level", 1.5) == 1 and colours.heat_class("level", 1.44) == 0
    # Sharedness: LeBreton and Senter's bands, upper bounds inclusive; 0.50 is not shared.
    assert [colours.heat_class("sharedness", v) for v in
            (0.0, 0.30, 0.31, 0.50, 0.51, 0.70, 0.71, 0.90, 0.91, 1.0)] == [
        0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert colours.SHAREDNESS.classes[1].below_midpoint
    assert not colours.SHAREDNESS.classes[2].below_midpoint
    assert colours.heat_class("level", float("nan")) is None
    assert colours.heat_fill("sharedness", None) == colours.HIDDEN_FILL
    with pytest.raises(ValueError, match="level, sharedness"):
        colours.heat_scale("colour")


# --- The three outputs agree ------------------------------------------------------------

LEVELS = [[1.2, 1.7, 2.2, 2.7, 3.2], [3.7, 4.2, 4.7, 2.96, None]]
RWGS = [[0.10, 0.40, 0.60, 0.80, 0.95], [0.50, 0.51, 0.30, 0.31, None]]


def _report(measure: str) -> ManyGroupsReport:
    """Two hand-made groups whose cells cover every class of both scales, one hidden."""
    instrument = get_instrument("trace")
    conditions = [(s.key, s.name) for s in instrument.scales]
    rows = []
    for number, (means, rwgs) in enumerate(zip(LEVELS, RWGS, strict=True), start=1):
        cells = tuple(Cell(True, 6, m, m - 0.3, m + 0.3, r) if m is not None else Cell(False)
                      for m, r in zip(means, rwgs, strict=True))
        rows.append(HeatmapRow(number, f"Group {number}", None, "", "", "", "team", "Team",
                               0, 0, None, f"Round {number}", None, "shown", 6, cells))
    return ManyGroupsReport(System(name="Vale"), None, None, [], None, instrument, conditions,
                            rows, 5, measure, {}, [], [], [])


def _expected(measure: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(group, condition) -> (fill, text colour), straight from the colour module."""
    report = _report(measure)
    table = LEVELS if measure == "level" else RWGS
    expected = {}
    for r, row in enumerate(table):
        for (_, name), value in zip(report.conditions, row, strict=True):
            expected[(f"Group {r + 1}", name)] = (colours.heat_fill(measure, value),
                                                  colours.heat_text(measure, value))
    return expected


LABEL = re.compile(r"condition: (?P<condition>[^;]+); group: (?P<group>[^;]+);")


@pytest.mark.parametrize("measure", ["level", "sharedness"])
def test_the_pdf_chart_and_the_page_spec_colour_every_cell_as_the_colour_module_does(
    measure: str
) -> None:
    expected = _expected(measure)
    # The PDF: the chart as vl-convert draws it on the server.
    svg = charts.to_svg(charts.heatmap_chart(_report(measure), links=False))
    drawn: dict[tuple[str, str], dict[str, str]] = {}
    for tag in re.findall(r"<(?:path|text)[^>]*aria-roledescription=\"(?:rect|text) mark\"[^>]*>",
                          svg):
        found = LABEL.search(tag)
        assert found is not None, tag
        key = (found["group"].strip(), found["condition"].strip())
        kind = "fill" if tag.startswith("<path") else "text"
        fill = re.search(r'fill="(#[0-9a-f]{6})"', tag)
        assert fill is not None, tag
        drawn.setdefault(key, {})[kind] = fill[1]
    assert {k: (v["fill"], v["text"]) for k, v in drawn.items()} == expected
    # The page: vega-embed draws the same spec; its scale maps each datum's class to the
    # colour module's fill.
    spec = charts.heatmap_chart(_report(measure), width="container")
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    for datum in spec["datasets"]["heatmap"]:
        fill = scale["range"][scale["domain"].index(datum["band"])]
        assert fill == expected[(datum["group"], datum["condition"])][0]


def test_the_workbook_fills_each_level_and_sharedness_cell_with_the_same_colours() -> None:
    book = load_workbook(io.BytesIO(exports.many_xlsx(_report("level"))))
    sheet = book["Heatmap"]
    header = [c.value for c in sheet[1]]
    level, shared = _expected("level"), _expected("sharedness")
    checked = 0
    for row in sheet.iter_rows(min_row=2):
        group = row[0].value
        for _, name in _report("level").conditions:
            for column, wanted in ((f"{name} level", level), (f"{name} sharedness", shared)):
                cell = row[header.index(column)]
                fill, text = wanted[(group, name)]
                if cell.value == "hidden":
                    continue
                assert cell.fill.fill_type == "solid"
                assert cell.fill.start_color.rgb[-6:].lower() == fill[1:]
                assert cell.font.color.rgb[-6:].lower() == text[1:]
                checked += 1
    assert checked == 18  # nine shown cells, each with a level and a sharedness
    key = list(book["Colour key"].iter_rows(values_only=True))
    assert ("Level (mean 1 to 5)", "Midpoint", "3.0 is the midpoint of the answer scale") in key
    assert any(r[1] == "0.31 to 0.50" and "concern" in r[2] for r in key)
    fills = [row[1].fill.start_color.rgb[-6:].lower()
             for row in book["Colour key"].iter_rows(min_row=2) if row[1].fill.fill_type]
    assert fills[:8] == [f[1:] for f in colours.LEVEL.fills]


def test_the_page_and_the_pdf_show_a_key_that_names_the_midpoint(
    facilitator_client: Any, reports_data: Any, system: Any
) -> None:
    page = facilitator_client.get(reverse("report_system", args=[system.pk])).content.decode()
    assert 'id="heat-key-midpoint"' in page and "3.0 is the midpoint of the answer scale" in page
    page = facilitator_client.get(reverse("report_system", args=[system.pk]),
                                  {"measure": "sharedness"}).content.decode()
    assert "above 0.50 counts as shared" in page
    html = exports.many_html(many_groups_report(system))
    assert "3.0 is the midpoint of the answer scale" in html
    assert all(fill in html for fill in colours.LEVEL.fills)
