"""The heatmap's colours: one diverging scheme for level and sharedness, in one place.

The web page (Vega-Lite), the PDF (the same spec drawn by vl-convert) and the workbook
(openpyxl fills) all colour a cell by asking :func:`heat_class` which class its value
falls in, and take that class's fill and text colour from here. Nothing else in the code
base chooses a heatmap colour, so the three cannot drift apart.

The scheme is ColorBrewer's RdYlBu (Brewer, Harrower and Hirsch), a diverging scheme that
ColorBrewer marks as safe for the common forms of colour-blindness: warm colours (red,
orange, pale yellow) for values below the midpoint, read as a concern, and blues at and
above it, read as good. Colour is never the only carrier: every cell also shows its value.

Classes are fixed intervals rather than a continuous ramp, so that a colour means the same
range of values wherever it appears and the key can list them in words.

* Level (mean from 1 to 5) has eight classes half a point wide, judged on the mean rounded
  to one decimal as it is printed in the cell; 3.0, the middle of the answer scale, is the
  midpoint.
* Sharedness (rwg(j) from 0 to 1) has five classes, the agreement bands of LeBreton and
  Senter (2008) as :func:`tracelead.analysis.agreement.agreement_band` names them; the
  midpoint is 0.50, the line above which a condition counts as shared.

References
----------
Brewer, C. A., Harrower, M. and the Pennsylvania State University (2013). ColorBrewer 2.0,
https://colorbrewer2.org (scheme RdYlBu, 8 classes).

LeBreton, J. M. and Senter, J. L. (2008). Answers to 20 questions about interrater
reliability and interrater agreement. Organizational Research Methods, 11(4), 815-852.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tracelead.analysis.agreement import SHARED_ABOVE, agreement_band

# ColorBrewer RdYlBu, 8 classes, from most concern to best.
RDYLBU_8 = ("#d73027", "#f46d43", "#fdae61", "#fee090",
            "#e0f3f8", "#abd9e9", "#74add1", "#4575b4")
DARK_TEXT = "#212b32"  # NHS text colour
LIGHT_TEXT = "#ffffff"
# A hidden cell: a neutral grey off the red-yellow-blue path, with the word "hidden".
HIDDEN_FILL = "#aeb7bd"


@dataclass(frozen=True)
class HeatClass:
    """One class of a heatmap scale: its label, fill and the text colour that reads on it."""

    label: str
    fill: str
    text: str
    below_midpoint: bool


@dataclass(frozen=True)
class HeatScale:
    """A diverging scale of classes, from most concern (first) to best (last)."""

    measure: str
    title: str
    midpoint: float
    midpoint_label: str
    classes: tuple[HeatClass, ...]

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.classes]

    @property
    def fills(self) -> list[str]:
        return [c.fill for c in self.classes]

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.classes]


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of a ``#rrggbb`` colour (sRGB, linearised).

    L = 0.2126 R + 0.7152 G + 0.0722 B on the linearised channels (WCAG 2.2, "relative
    luminance").
    """
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05), the lighter colour on top."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_on(fill: str) -> str:
    """White or NHS dark text, whichever contrasts more with ``fill``."""
    if contrast_ratio(fill, LIGHT_TEXT) > contrast_ratio(fill, DARK_TEXT):
        return LIGHT_TEXT
    return DARK_TEXT


def _classes(labels: tuple[str, ...], fills: tuple[str, ...], n_below: int
             ) -> tuple[HeatClass, ...]:
    return tuple(HeatClass(label, fill, text_on(fill), i < n_below)
                 for i, (label, fill) in enumerate(zip(labels, fills, strict=True)))


LEVEL = HeatScale(
    measure="level",
    title="Level (mean 1 to 5)",
    midpoint=3.0,
    midpoint_label="3.0 is the midpoint of the answer scale",
    classes=_classes(
        ("1.0 to 1.4", "1.5 to 1.9", "2.0 to 2.4", "2.5 to 2.9",
         "3.0 to 3.4", "3.5 to 3.9", "4.0 to 4.4", "4.5 to 5.0"),
        RDYLBU_8, 4),
)

# Sharedness uses five of the same eight colours, so that both heatmaps read alike.
SHAREDNESS = HeatScale(
    measure="sharedness",
    title="Sharedness (rwg(j), 0 to 1)",
    midpoint=SHARED_ABOVE,
    midpoint_label=f"above {SHARED_ABOVE:.2f} counts as shared",
    classes=_classes(
        ("0.00 to 0.30", "0.31 to 0.50", "0.51 to 0.70", "0.71 to 0.90", "0.91 to 1.00"),
        (RDYLBU_8[0], RDYLBU_8[2], RDYLBU_8[4], RDYLBU_8[6], RDYLBU_8[7]), 2),
)

SCALES = {"level": LEVEL, "sharedness": SHAREDNESS}
_BANDS = ("lack of agreement", "weak agreement", "moderate agreement", "strong agreement",
          "very strong agreement")


def heat_scale(measure: str) -> HeatScale:
    """The scale for ``measure`` ("level" or "sharedness")."""
    if measure not in SCALES:
        raise ValueError(f"measure must be one of {', '.join(SCALES)}; got {measure!r}")
    return SCALES[measure]


def heat_class(measure: str, value: float | None) -> int | None:
    """The index of the class ``value`` falls in (0 = most concern), None if no value.

    Level: ``floor((round(value, 1) - 1) / 0.5)``, clipped to 0..7, so 2.96 (printed 3.0)
    is in "3.0 to 3.4". Sharedness: the agreement band's position (upper bounds .30, .50,
    .70, .90 inclusive), values clipped to [0, 1] first.

    Examples
    --------
    >>> heat_class("level", 2.94), heat_class("level", 2.96), heat_class("level", 5.0)
    (3, 4, 7)
    >>> heat_class("sharedness", 0.50), heat_class("sharedness", 0.51)
    (1, 2)
    """
    scale = heat_scale(measure)
    if value is None or math.isnan(value):
        return None
    if scale is LEVEL:
        shown = round(value, 1)
        # Work in tenths so that 1.5, 2.0, ... fall on the right side of each boundary.
        return min(max(int(round(shown * 10) - 10) // 5, 0), len(LEVEL.classes) - 1)
    return _BANDS.index(agreement_band(min(max(value, 0.0), 1.0)))


def heat_fill(measure: str, value: float | None) -> str:
    """The fill of ``value``'s class, or the hidden grey when there is no value."""
    index = heat_class(measure, value)
    return HIDDEN_FILL if index is None else heat_scale(measure).classes[index].fill


def heat_text(measure: str, value: float | None) -> str:
    """The text colour that reads on ``heat_fill(measure, value)``."""
    index = heat_class(measure, value)
    return DARK_TEXT if index is None else heat_scale(measure).classes[index].text
