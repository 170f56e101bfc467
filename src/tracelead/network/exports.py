"""The relationships network as a report: a PDF (WeasyPrint) with a picture of the network
and its figures, and an Excel workbook with the figures and the ties between
organisations and sectors.

Both are anonymised whoever asks for them, because files travel: the picture is drawn
over organisations (the smaller ones merged, as on the viewers' page), coloured by sector,
and every count of people or ties under the disclosure threshold reads "fewer than N".
The picture is SVG drawn here, with positions from :func:`.selectors.layout`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from html import escape
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from markupsafe import Markup

from tracelead.academy.models import Academy, Programme
from tracelead.reports.exports import (
    CONTENT_TYPES,
    Export,
    _print_css,
    _sheet,
    _workbook_bytes,
    html_to_pdf,
    template_helpers,
)

from . import selectors
from .selectors import Figures, GroupedNetwork, Network

FORMATS = ("pdf", "xlsx")
WIDTH = 640
HEIGHT = 440
# Room around the circles for their labels (centred under them).
MARGIN_X = 95
MARGIN_Y = 36
LABEL_CHARS = 32


# --- The picture ----------------------------------------------------------------------------


def _radius(people: int | None, threshold: int) -> float:
    # A group whose count is hidden is drawn the size of one at the threshold.
    return 5 + 2.2 * math.sqrt(max(people or 0, threshold))


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1].rstrip() + "…"


def network_svg(network: Network, grouped: GroupedNetwork) -> str:
    """The network over organisations as SVG: a circle per organisation sized by its
    people and coloured by its sector, a line per pair with ties, thicker for more (in
    the bands of :func:`.selectors.tie_band`), and a legend of the sectors."""
    threshold = grouped.threshold
    positions = selectors.layout([g.key for g in grouped.groups],
                                 [(e.a, e.b) for e in grouped.edges
                                  for _ in range(min(e.ties, 50))], size=1.0)
    people = grouped.people_shown()
    inner_w, inner_h = WIDTH - 2 * MARGIN_X, HEIGHT - 2 * MARGIN_Y

    def at(key: str) -> tuple[float, float]:
        x, y = positions[key]
        return MARGIN_X + x * inner_w, MARGIN_Y + y * inner_h

    parts: list[str] = []
    for e in grouped.edges:
        (x1, y1), (x2, y2) = at(e.a), at(e.b)
        width = 0.6 + 1.1 * selectors.tie_band(e.ties, threshold)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="#768692" stroke-opacity="0.55" stroke-width="{width:.1f}"/>')
    for g in grouped.groups:
        x, y = at(g.key)
        r = _radius(people[g.key], threshold)
        colour = selectors.sector_colour(g.sector) if g.sector else selectors.MIXED_COLOUR
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" '
                     'stroke="#ffffff" stroke-width="1.5"/>')
    for g in grouped.groups:
        x, y = at(g.key)
        r = _radius(people[g.key], threshold)
        parts.append(f'<text x="{x:.1f}" y="{y + r + 10:.1f}" text-anchor="middle" '
                     f'font-size="8.5" fill="#212b32">{escape(_short(g.label))}</text>')
    sectors = sorted({g.sector for g in grouped.groups},
                     key=lambda s: (s == "", selectors.SECTOR_ORDER.get(s, 99)))
    legend_y = HEIGHT + 10
    columns = 3
    rows = math.ceil(len(sectors) / columns) or 1
    for n, code in enumerate(sectors):
        lx = 10 + (n % columns) * (WIDTH // columns)
        ly = legend_y + (n // columns) * 18
        colour = selectors.sector_colour(code) if code else selectors.MIXED_COLOUR
        label = selectors.sector_label(code) if code else "Several sectors"
        parts.append(f'<circle cx="{lx + 6}" cy="{ly + 6}" r="6" fill="{colour}"/>'
                     f'<text x="{lx + 17}" y="{ly + 10}" font-size="10" fill="#212b32">'
                     f'{escape(_short(label))}</text>')
    total_h = legend_y + rows * 18 + 8
    title = "The relationships network over organisations, coloured by sector"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {total_h}" '
            f'width="{WIDTH}" height="{total_h}" role="img" aria-label="{escape(title)}" '
            'font-family="Arial, Helvetica, sans-serif">'
            f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#f0f4f5"/>'
            + "".join(parts) + "</svg>")


# --- The report -----------------------------------------------------------------------------


def _scope_words(network: Network) -> str:
    who = (f"people enrolled on {network.programme.name}" if network.programme
           else "everyone in the academy")
    return (f"{who} · {network.start:%-d %B %Y} to {network.end:%-d %B %Y}")


def network_html(network: Network, figures: Figures, grouped: GroupedNetwork,
                 tables: Mapping[str, Any]) -> str:
    academy = network.academy
    return render_to_string("network/network_print.jinja", {
        **template_helpers(), "mode": "print", "named": False,
        "title": f"Relationships network: {academy.name}",
        "subtitle": f"{academy.system.name} · {_scope_words(network)}",
        "academy": academy, "network": network, "figures": figures, "tables": tables,
        "picture": Markup(network_svg(network, grouped)),  # noqa: S704 - our SVG, text escaped
        "print_css": Markup(_print_css()),  # noqa: S704 - our own file
        "generated_on": timezone.localdate(), "rule_of_thumb": selectors.RULE_OF_THUMB,
    })


_NUMBER = re.compile(r"^\d{1,3}(,\d{3})*$")


def _cell(text: str) -> Any:
    """Whole numbers as numbers, so that the workbook can add them up; the rest as text
    ("fewer than 5", "58%")."""
    return int(text.replace(",", "")) if _NUMBER.match(text) else text


def network_xlsx(network: Network, figures: Figures, tables: Mapping[str, Any]) -> bytes:
    from openpyxl import Workbook

    from tracelead.core.safety import safe_cell

    f = figures
    book = Workbook()
    sheet = book.active
    sheet.title = "Summary"
    facts: list[tuple[str, Any]] = [
        ("Academy", network.academy.name), ("System", network.academy.system.name),
        ("People in the network",
         f"enrolled on {network.programme.name}" if network.programme else "everyone"),
        ("New ties counted from", network.start.isoformat()),
        ("To", network.end.isoformat()),
        ("Counts under this many read 'fewer than'", f.threshold),
        ("People", _cell(f.people)), ("Ties", _cell(f.ties)), ("Density", f.density),
        ("Components (connected groups)", _cell(f.components)),
        ("People in the largest connected group", _cell(f.largest_component)),
        ("People with no ties (isolates)", _cell(f.isolates)),
        ("Share of ties across organisations", f.cross_organisation_share),
        ("Share of ties across sectors", f.cross_sector_share),
        ("New ties (met at an event or worked together)", _cell(f.new_ties)),
        ("New ties per person", f.new_ties_per_person),
        ("New ties per person a month", f.new_ties_per_person_per_month),
        ("Rule of thumb: new people a month", selectors.RULE_OF_THUMB),
        ("Share of people with at least one new tie", f.share_with_new_tie),
        ("Ties before the start", _cell(f.growth_start)), ("Ties at the end", _cell(f.growth_end)),
        ("Ties added", _cell(f.growth_added)),
        ("Brokers (top of betweenness)", _cell(f.broker_count)),
        ("Betweenness", "exact" if f.exact else "estimated from sampled pivots"),
        ("People who bridge sectors", _cell(f.bridge_count)),
    ]
    sheet.append([safe_cell(f"Relationships network: {network.academy.name}")])
    for key, value in facts:
        sheet.append([key, safe_cell(value)])
    sheet.append([])
    for sentence in f.summary:
        sheet.append([safe_cell(sentence)])
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 40
    _sheet(book, "Sectors present", ["sector", "status", "people"],
           [[s.label, s.status, _cell(s.people)] for s in f.sectors])
    _sheet(book, "New ties by event",
           ["date", "event", "programme", "attendees_with_a_new_tie", "new_ties"],
           [[e.on, e.title, e.programme, _cell(e.attendees_with_new_tie), _cell(e.new_ties)]
            for e in f.per_event])
    _sheet(book, "Brokers by sector", ["sector", "brokers"],
           [[label, _cell(n)] for label, n in f.broker_sectors])
    _sheet(book, "Bridges by sector", ["sector", "people_who_bridge_sectors"],
           [[label, _cell(n)] for label, n in f.bridge_sectors])
    for grouping, title in (("organisation", "Organisations"), ("sector", "Sectors")):
        rows, pairs = tables[grouping]
        # No total of ties to other groups: with the pairs below, it would give away a
        # pair's count shown as "fewer than N".
        _sheet(book, title, [grouping, "sector", "people", f"ties_within_the_{grouping}",
                             f"{grouping}s_reached"],
               [[r.label, r.sector, _cell(r.people), _cell(r.within), r.reached]
                for r in rows])
        _sheet(book, f"Ties between {grouping}s", [grouping, f"other_{grouping}", "ties"],
               [[p.a, p.b, _cell(p.ties)] for p in pairs])
    return _workbook_bytes(book)


def export_network(academy: Academy, fmt: str, *, programme: Programme | None = None,
                   start: dt.date | None = None, end: dt.date | None = None,
                   today: dt.date | None = None) -> Export:
    """The anonymised network report as a file."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    network = selectors.network_for(academy, programme=programme, start=start, end=end,
                                    today=today)
    threshold = selectors.network_threshold(academy)
    figures = selectors.figures(network, named=False, threshold=threshold)
    groupings: tuple[selectors.Grouping, ...] = ("organisation", "sector")
    grouped = {g: selectors.grouped_network(network, grouping=g, threshold=threshold)
               for g in groupings}
    tables: dict[str, Any] = {
        g: selectors.group_tables(network, grouped[g], threshold=threshold) for g in grouped}
    content = render_network(network, figures, grouped, tables, fmt)
    return Export(content, filename(academy, network.end, fmt), CONTENT_TYPES[fmt])


def filename(academy: Academy, day: dt.date, fmt: str) -> str:
    return f"tracelead-{slugify(academy.name) or 'academy'}-network-{day.isoformat()}.{fmt}"


def render_network(network: Network, figures: Figures,
                   grouped: Mapping[Any, GroupedNetwork], tables: Mapping[Any, Any],
                   fmt: str) -> bytes:
    """The anonymised report's file, from figures already decided (live for facilitators,
    or as a publication stores them)."""
    if fmt == "pdf":
        return html_to_pdf(network_html(network, figures, grouped["organisation"], tables))
    return network_xlsx(network, figures, tables)
