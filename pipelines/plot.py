"""Coverage over time as a picture: articles per period, one stacked bar per outlet.

matplotlib's Agg backend (no display), imported only when a plot is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Protocol


class PeriodCount(Protocol):
    period: str
    outlet: str | None
    articles: int


def pivot(counts: Sequence[PeriodCount]) -> tuple[list[str], dict[str, list[int]]]:
    """(periods in order, outlet -> its count for each period): the table a chart draws.
    Counts with no outlet (outlets together) are under "all"."""
    periods = sorted({c.period for c in counts})
    position = {p: i for i, p in enumerate(periods)}
    series: dict[str, list[int]] = {}
    for count in counts:
        row = series.setdefault(count.outlet or "all", [0] * len(periods))
        row[position[count.period]] += count.articles
    return periods, dict(sorted(series.items(), key=lambda kv: -sum(kv[1])))


def plot_timeline(counts: Sequence[PeriodCount], target: Path | IO[bytes], *,
                  title: str = "Articles per day", fmt: str | None = None) -> None:
    """Draw `counts` as stacked bars to a PNG or SVG file (by `fmt` or the file's
    extension)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    periods, series = pivot(counts)
    fig, ax = plt.subplots(figsize=(min(12.0, max(6.0, 0.3 * len(periods) + 2)), 4), dpi=100)
    bottom = [0] * len(periods)
    for outlet, values in series.items():
        ax.bar(range(len(periods)), values, bottom=bottom, label=outlet, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(periods) // 20)  # at most ~20 labels, readable
    ax.set_xticks(range(0, len(periods), step), periods[::step], rotation=60, ha="right",
                  fontsize=8)
    ax.set_ylabel("articles")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title)
    if len(series) > 1:
        ax.legend(fontsize=8, loc="upper left", ncols=2)
    fig.tight_layout()
    if fmt is None and isinstance(target, Path):
        fmt = target.suffix.lstrip(".").lower()
    fig.savefig(target, format=fmt or "png")
    plt.close(fig)
