"""Bar charts of finished jobs per minute, drawn as SVG geometry for the templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

WIDTH: Final = 600
HEIGHT: Final = 120


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    peak: int
    total: int


def minute_chart(
    totals: list[int], failures: list[int], *, width: int = WIDTH, height: int = HEIGHT
) -> Chart:
    """Stacked bars per minute: successes below, failures and cancellations on top.

    ``totals[i]`` counts every job finished in minute ``i`` (oldest first),
    ``failures[i]`` the ones among them that failed or were cancelled.
    """
    slots = len(totals)
    peak = max(totals, default=0)
    step = width / slots if slots else width
    scale = (height - 2) / peak if peak else 0.0
    bars: list[Bar] = []
    for i, (total, failed) in enumerate(zip(totals, failures, strict=True)):
        if total == 0:
            continue
        minutes_ago = slots - 1 - i
        label = f"{minutes_ago} min ago: {total} finished, {failed} failed or cancelled"
        ok_height = (total - failed) * scale
        failed_height = failed * scale
        x = i * step + step * 0.1
        bar_width = step * 0.8
        if ok_height:
            bars.append(Bar(x, height - ok_height, bar_width, ok_height, "ok", label))
        if failed_height:
            top = height - ok_height - failed_height
            bars.append(Bar(x, top, bar_width, failed_height, "failed", label))
    return Chart(width, height, bars, peak, sum(totals))
