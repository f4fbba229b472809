"""Server-rendered SVG charts for the back office: no JavaScript, no CDN, readable without the
picture (each chart has a title, a description naming every value, and the values as text)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 170
BAR_WIDTH = 300
VALUE_WIDTH = 80


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(
    rows: Sequence[tuple[str, float]], *, title: str, unit: str = "", chart_id: str
) -> SafeString:
    """A horizontal bar chart of (label, value) rows, longest bar for the largest value."""
    if not rows:
        return format_html('<p class="chart-empty">{}: no data yet.</p>', title)
    top = max(value for _, value in rows) or 1
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    suffix = f" {unit}" if unit else ""
    description = "; ".join(f"{label}: {_number(value)}{suffix}" for label, value in rows)
    bars = format_html_join(
        "",
        '<g><text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="2" class="bar"></rect>'
        '<text x="{}" y="{}" dominant-baseline="middle">{}</text></g>',
        (
            (
                LABEL_WIDTH - 8,
                GAP + index * (BAR_HEIGHT + GAP) + BAR_HEIGHT / 2,
                label,
                LABEL_WIDTH,
                GAP + index * (BAR_HEIGHT + GAP),
                round(BAR_WIDTH * value / top, 1) if value > 0 else 0,
                BAR_HEIGHT,
                LABEL_WIDTH + (BAR_WIDTH * value / top if value > 0 else 0) + 6,
                GAP + index * (BAR_HEIGHT + GAP) + BAR_HEIGHT / 2,
                f"{_number(value)}{suffix}",
            )
            for index, (label, value) in enumerate(rows)
        ),
    )
    return format_html(
        '<svg class="chart" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{bars}</svg>',
        id=chart_id,
        w=width,
        h=height,
        title=title,
        desc=description,
        bars=bars,
    )
