"""Charts drawn as SVG on the server: no JavaScript, no chart library, nothing for the CSP to block.

Every chart is paired on the page with a table of the same numbers (the accessible form and
the CSV source), so the SVG is an image with a title and a one-line description. Colours are
presentation attributes (`fill=`), never `style=`, which the strict CSP forbids.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

__all__ = [
    "PALETTE",
    "Bar",
    "bar_chart",
    "column_chart",
    "legend",
    "small_multiples",
    "stacked_bar_chart",
]

# Colour-blind-safe (Okabe-Ito), each dark enough for white text nearby and >= 3:1 on white.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56b4e9", "#6b6b6b")
INK = "#1b2430"
GRID = "#d5dbe3"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _svg(width: int, height: int, title: str, desc: str, body: list[str], css: str) -> SafeString:
    uid = next(_ids)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {escape(css)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="chart-{uid}-t chart-{uid}-d">'
        f'<title id="chart-{uid}-t">{escape(title)}</title>'
        f'<desc id="chart-{uid}-d">{escape(desc)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 — every value is escaped


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, bold=False):
    weight = ' font-weight="700"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{INK}" '
        f'text-anchor="{anchor}"{weight}>{escape(text)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, label: str = "") -> str:
    tip = f"<title>{escape(label)}</title>" if label else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
        f'fill="{fill}">{tip}</rect>'
    )


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    desc: str = "",
    scale_max: int | None = None,
    colour: str = PALETTE[0],
    width: int = 380,
    css: str = "",
) -> SafeString:
    """Horizontal bars, label above, count at the end; `scale_max` shares a scale."""
    return stacked_bar_chart(
        [(bar.label, [bar.value]) for bar in bars],
        series=[""],
        title=title,
        desc=desc,
        scale_max=scale_max,
        colours=[colour],
        width=width,
        css=css,
    )


def stacked_bar_chart(
    rows: Sequence[tuple[str, Sequence[int]]],
    *,
    series: Sequence[str],
    title: str,
    desc: str = "",
    scale_max: int | None = None,
    colours: Sequence[str] = PALETTE,
    width: int = 380,
    css: str = "",
) -> SafeString:
    """Horizontal bars, each under its label (so labels never crowd the bars on a phone),
    split into one segment per series, with the row total at the end.
    """
    label_h, bar_h, gap, top, left = 16, 16, 9, 4, 2
    row = label_h + bar_h + gap
    height = top * 2 + max(len(rows), 1) * row
    totals = [sum(values) for _, values in rows]
    peak = max([scale_max or 0, *totals, 1])
    room = width - left - 40
    body = []
    for i, (label, values) in enumerate(rows):
        y = top + i * row
        body.append(_text(left, y + 12, label, size=13))
        x = float(left)
        for s, value in enumerate(values):
            if not value:
                continue
            length = room * value / peak
            name = f"{label}, {series[s]}: {value}" if series[s] else f"{label}: {value}"
            body.append(_rect(x, y + label_h, length, bar_h, colours[s % len(colours)], name))
            x += length
        body.append(_text(x + 5, y + label_h + 12.5, str(totals[i]), size=13, bold=True))
    if not rows:
        body.append(_text(left, top + 14, "No data for this selection.", size=13))
    return _svg(width, height, title, desc or title, body, css)


def small_multiples(
    panels: Sequence[tuple[str, Sequence[Bar]]],
    *,
    title: str,
    desc: str,
    colours: Sequence[str] = PALETTE,
) -> list[tuple[str, SafeString]]:
    """One bar chart per panel on a common scale, so bar lengths compare across panels.

    Returned as (panel title, svg) pairs for the template to lay out in a responsive grid.
    """
    peak = max([1, *(bar.value for _, bars in panels for bar in bars)])
    return [
        (
            name,
            bar_chart(
                bars,
                title=f"{title} — {name}",
                desc=desc,
                scale_max=peak,
                colour=colours[i % len(colours)],
                width=340,
                css="multiple",
            ),
        )
        for i, (name, bars) in enumerate(panels)
    ]


def column_chart(
    categories: Sequence[tuple[str, str]],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    title: str,
    desc: str = "",
    colours: Sequence[str] = PALETTE,
    height: int = 220,
) -> SafeString:
    """Stacked columns, one per category (e.g. month), one colour per series (e.g. kind).

    A category is (label, second line): e.g. ("Jan", "2026"), the second line may be blank.
    """
    left, bottom, top = 30, 36, 14
    step = 32 if len(categories) <= 18 else 22
    width = max(left + step * len(categories) + 8, 300)
    plot = height - bottom - top
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    peak = max([1, *totals])
    body = []
    for tick in sorted({0, peak // 2, peak}):
        y = top + plot - plot * tick / peak
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 4}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 5, y + 4, str(tick), anchor="end", size=11))
    bar = step - 8
    for i, (label, second) in enumerate(categories):
        x = left + i * step + 4
        y = top + plot
        for s, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = plot * value / peak
            y -= h
            tip = f"{label} {second}, {name}: {value}".replace("  ", " ")
            body.append(_rect(x, y, bar, h, colours[s % len(colours)], tip))
        middle = x + bar / 2
        if totals[i]:
            body.append(_text(middle, y - 3, str(totals[i]), anchor="middle", size=11))
        body.append(_text(middle, top + plot + 15, label, anchor="middle", size=11))
        if second:
            body.append(_text(middle, top + plot + 29, second, anchor="middle", size=11))
    if not categories:
        body.append(_text(left, top + 20, "No data for this selection.", size=13))
    return _svg(width, height, title, desc or title, body, "columns")


def legend(series_names: Sequence[str], colours: Sequence[str] = PALETTE) -> SafeString:
    """A key for a multi-series chart: HTML text (it wraps and scales) with SVG swatches."""
    items = "".join(
        f'<li><svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" '
        f'focusable="false"><rect width="14" height="14" fill="{colours[i % len(colours)]}"/>'
        f"</svg> {escape(name)}</li>"
        for i, name in enumerate(series_names)
    )
    return mark_safe(f'<ul class="legend" aria-label="Key">{items}</ul>')  # noqa: S308
