"""Small pieces of presentation shared by pages and reports: bars and plain sentences."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

# Colours of the five agreement points, from strong disagreement (dark red) to strong
# agreement (NHS blue); each meets 3:1 contrast against white for graphical objects.
SCALE_COLOURS = ("#8a1538", "#d5281b", "#aeb7bd", "#41b6e6", "#005eb8")


def distribution_bar(row: Any) -> Markup:
    """An inline SVG stacked bar of one item's answers, labelled for screen readers."""
    total = sum(row.counts)
    shares = [count / total if total else 0.0 for count in row.counts]
    labels = []
    parts = []
    x = 0.0
    for index, share in enumerate(shares):
        colour = SCALE_COLOURS[index % len(SCALE_COLOURS)]
        width = share * 100
        if width > 0:
            parts.append(
                f'<rect x="{x:.3f}" y="0" width="{width:.3f}" height="10" fill="{colour}"/>'
            )
        x += width
        labels.append(f"{round(share * 100)}% answered {index + 1}")
    label = escape("; ".join(labels))
    return Markup(  # noqa: S704 - every interpolated value is a number or escaped
        f'<svg class="tl-dist" viewBox="0 0 100 10" preserveAspectRatio="none" width="160" '
        f'height="16" role="img" aria-label="{label}">{"".join(parts)}'
        f'<rect x="0" y="0" width="100" height="10" fill="none" stroke="#4c6272" '
        f'stroke-width="0.5"/></svg>'
    )


REASONS = {
    "rated_well_not_shared": (
        "{name} is rated well on average, but the group does not agree about it "
        "(sharedness {rwg}): some see it as strong and others do not. Agreeing on it "
        "comes before building on it."
    ),
    "not_shared": (
        "The group disagrees most about {name} (sharedness {rwg}), so people are likely "
        "working from different pictures of it."
    ),
    "lowest_level": (
        "{name} has the lowest rating of the five conditions ({mean} out of 5), and the group "
        "broadly agrees that it needs work."
    ),
    "strength": (
        "All five conditions are rated well and shared. {name} is the least strong of them "
        "and the place to keep investing."
    ),
}


def focus_sentence(focus: Any, scale: Any) -> str:
    template = REASONS.get(focus.reason, REASONS["lowest_level"])
    return template.format(
        name=scale.name, rwg=f"{focus.sharedness:.2f}", mean=f"{focus.level:.2f}"
    )
