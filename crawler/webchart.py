"""Coverage over time as inline SVG, drawn on the server: bars of articles per local day
(or week, or month), each bar a link to the articles it counts. No script, no fonts or
styles from elsewhere: the page shows the same offline as anywhere."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from html import escape

BUCKETS = ("day", "week", "month")
WIDTH, PLOT_HEIGHT, LEFT, TOP, BOTTOM = 960, 110, 44, 18, 22
BAR = "#3b6ea5"


def parse_day(value: str | None) -> date | None:
    """The date of a local day string (YYYY-MM-DD...), None when it is not one."""
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def bucket_of(day: date, by: str) -> date:
    """The first day of the bucket holding `day`: itself, its week's Monday, its month's 1st."""
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: date, by: str) -> date:
    if by == "week":
        return start + timedelta(days=7)
    if by == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def default_bucket(days: Iterable[date]) -> str:
    """Days while a chart holds about a year of them, weeks up to five years, then months."""
    days = list(days)
    if not days:
        return "day"
    span = (max(days) - min(days)).days
    return "day" if span <= 400 else "week" if span <= 5 * 366 else "month"


def calendar(days: Iterable[date], by: str) -> list[date]:
    """Every bucket from the first day's to the last day's, empty ones included."""
    days = list(days)
    if not days:
        return []
    out, current, last = [], bucket_of(min(days), by), bucket_of(max(days), by)
    while current <= last:
        out.append(current)
        current = next_bucket(current, by)
    return out


def count_by_bucket(counts: Mapping[date, int], by: str) -> Counter[date]:
    out: Counter[date] = Counter()
    for day, n in counts.items():
        out[bucket_of(day, by)] += n
    return out


def label(start: date, by: str) -> str:
    if by == "month":
        return start.strftime("%Y-%m")
    if by == "week":
        return f"week of {start.isoformat()}"
    return start.isoformat()


def bar_chart(counts: Mapping[date, int], buckets: list[date], by: str, *, peak: int,
              title: str, href: Callable[[date], str]) -> str:
    """One chart: a bar per bucket (none where the count is 0) scaled to `peak`, axis
    labels at the first bucket of each month (or year), and `title` above. `href` gives the
    link of a bar. Returns SVG markup, every text escaped."""
    peak = max(peak, 1)
    step = (WIDTH - LEFT - 8) / max(len(buckets), 1)
    gap = step * 0.15 if step >= 3 else 0
    base = TOP + PLOT_HEIGHT
    total = sum(counts.get(b, 0) for b in buckets)
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
    previous: date | None = None
    for i, start in enumerate(buckets):
        x = LEFT + i * step
        if previous is None or _new_period(previous, start, by):
            tick = start.strftime("%Y") if by == "month" else start.strftime("%Y-%m")
            parts.append(f'<line class="tick" x1="{x:.1f}" y1="{base}" x2="{x:.1f}"'
                         f' y2="{base + 4}"/><text class="tick" x="{x:.1f}"'
                         f' y="{base + 16}">{tick}</text>')
        previous = start
        n = counts.get(start, 0)
        if not n:
            continue
        height = max(PLOT_HEIGHT * n / peak, 1.0)
        parts.append(
            f'<a href="{escape(href(start))}"><rect class="bar" fill="{BAR}"'
            f' x="{x + gap / 2:.2f}" y="{base - height:.2f}" width="{max(step - gap, 0.6):.2f}"'
            f' height="{height:.2f}"><title>{escape(label(start, by))}: {n:,}'
            f" article{'s' if n != 1 else ''}</title></rect></a>")
    parts.append("</svg>")
    return "\n".join(parts)


def _new_period(previous: date, start: date, by: str) -> bool:
    if by == "month":
        return start.year != previous.year
    return (start.year, start.month) != (previous.year, previous.month)
