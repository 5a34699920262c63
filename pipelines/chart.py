"""Coverage over time as inline SVG: bars of articles per local day (or week, or month),
each bar a link to the articles it counts where the page has one (the web UI's chart,
`liputan report --html`). No script, no fonts or styles from elsewhere: the page shows the
same offline as anywhere."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape

WIDTH, PLOT_HEIGHT, LEFT, TOP, BOTTOM = 960, 110, 44, 18, 22
BAR = "#3b6ea5"


def default_period(span_days: int) -> str:
    """Days while a chart holds about a year of them, weeks up to five years, then months."""
    return "day" if span_days <= 400 else "week" if span_days <= 5 * 366 else "month"


def label(period: str, by: str) -> str:
    return f"week of {period}" if by == "week" else period


def bar_chart(counts: Mapping[str, int], periods: list[str], by: str, *, peak: int,
              title: str, href: Callable[[str], str] | None = None) -> str:
    """One chart: a bar per period (`periods`: every one, as research.timeline gives them;
    none drawn where the count is 0) scaled to `peak`, axis labels at the first period of
    each month (or year), and `title` above. `href` gives the link of a bar. Returns SVG
    markup, every text escaped."""
    peak = max(peak, 1)
    step = (WIDTH - LEFT - 8) / max(len(periods), 1)
    gap = step * 0.15 if step >= 3 else 0
    base = TOP + PLOT_HEIGHT
    total = sum(counts.get(p, 0) for p in periods)
    parts = [
        f'<svg class="coverage-chart" xmlns="http://www.w3.org/2000/svg" width="100%"'
        f' viewBox="0 0 {WIDTH} {base + BOTTOM}" role="img"'
        f' aria-label="{escape(title)}: {total:,} articles">',
        f'<text class="chart-title" x="{LEFT}" y="12">{escape(title)}: {total:,}'
        f" article{'s' if total != 1 else ''}</text>",
        f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - 8}" y2="{base}"/>',
        f'<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - 8}" y2="{TOP}"/>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{peak:,}</text>',
        f'<text class="tick" x="{LEFT - 4}" y="{base}" text-anchor="end">0</text>',
    ]
    previous: str | None = None
    for i, start in enumerate(periods):
        x = LEFT + i * step
        if previous is None or _new_period(previous, start, by):
            tick = start[:4] if by == "month" else start[:7]
            parts.append(f'<line class="tick" x1="{x:.1f}" y1="{base}" x2="{x:.1f}"'
                         f' y2="{base + 4}"/><text class="tick" x="{x:.1f}"'
                         f' y="{base + 16}">{tick}</text>')
        previous = start
        n = counts.get(start, 0)
        if not n:
            continue
        height = max(PLOT_HEIGHT * n / peak, 1.0)
        rect = (f'<rect class="bar" fill="{BAR}" x="{x + gap / 2:.2f}" y="{base - height:.2f}"'
                f' width="{max(step - gap, 0.6):.2f}" height="{height:.2f}"><title>'
                f"{escape(label(start, by))}: {n:,} article{'s' if n != 1 else ''}"
                "</title></rect>")
        parts.append(f'<a href="{escape(href(start))}">{rect}</a>' if href else rect)
    parts.append("</svg>")
    return "\n".join(parts)


def _new_period(previous: str, start: str, by: str) -> bool:
    """Whether `start` begins a new year (monthly bars) or month (daily, weekly)."""
    return start[:4] != previous[:4] if by == "month" else start[:7] != previous[:7]
