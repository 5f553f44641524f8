"""Charts as SVG, drawn on the server. Pure: numbers in, markup out.

No script and no ``style`` attributes (the pages' CSP forbids inline style); colours come
from presentation attributes and classes that ``reports.css`` may refine. Each chart is
an image with a title and a description for screen readers, and every value is also
written as text on the chart, so nobody needs to read a bar's length. The pages put the
same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

BAR = "#2f6db5"
AXIS = "#5c6670"
TEXT = "#1d2329"
FONT = 12


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None  # None: no value that day (nothing to measure), drawn as a gap


def _plain(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def _svg(ident: str, title: str, desc: str, width: int, height: int, body: list[str]) -> str:
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"'
            f' width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
            f' aria-labelledby="{ident}-title {ident}-desc" font-size="{FONT}"'
            f' font-family="sans-serif">',
            f'<title id="{ident}-title">{escape(title)}</title>',
            f'<desc id="{ident}-desc">{escape(desc)}</desc>',
            *body,
            "</svg>",
        ]
    )


def _text(x: float, y: float, content: str, *, anchor: str = "start", cls: str = "") -> str:
    klass = f" class={quoteattr(cls)}" if cls else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{TEXT}"{klass}>'
        f"{escape(content)}</text>"
    )


def bar_chart(
    ident: str,
    *,
    title: str,
    desc: str,
    points: Sequence[Point],
    show: Callable[[float], str] = _plain,
    width: int = 560,
) -> str:
    """Horizontal bars, one per label (agents, products, kinds): long labels fit."""
    row, label_width, value_width, top = 26, 180, 90, 8
    height = top * 2 + row * max(1, len(points))
    scale_width = width - label_width - value_width
    peak = max((p.value or 0 for p in points), default=0) or 1
    body: list[str] = []
    for n, point in enumerate(points):
        y = top + n * row
        value = point.value or 0
        length = scale_width * value / peak
        body.append(_text(label_width - 8, y + row * 0.65, point.label[:28], anchor="end"))
        body.append(
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{length:.1f}"'
            f' height="{row - 8}" fill="{BAR}"/>'
        )
        shown = show(value) if point.value is not None else "–"
        body.append(_text(label_width + length + 6, y + row * 0.65, shown, cls="value"))
    body.append(
        f'<line x1="{label_width}" y1="{top}" x2="{label_width}" y2="{height - top}"'
        f' stroke="{AXIS}"/>'
    )
    return _svg(ident, title, desc, width, height, body)


def column_chart(
    ident: str,
    *,
    title: str,
    desc: str,
    points: Sequence[Point],
    show: Callable[[float], str] = _plain,
    width: int = 520,
    height: int = 220,
) -> str:
    """Vertical columns in order (days, scores 1 to 5). With many columns only some labels
    are written under the axis and the values stay in the table, so nothing overlaps."""
    left, bottom, top = 8, 28, 22
    count = max(1, len(points))
    slot = (width - left * 2) / count
    plot = height - bottom - top
    peak = max((p.value or 0 for p in points), default=0) or 1
    label_every = max(1, round(count / 12))
    write_values = slot >= 26
    base = height - bottom
    body = [f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="{AXIS}"/>']
    for n, point in enumerate(points):
        x = left + n * slot
        middle = x + slot / 2
        if point.value is not None:
            size = plot * point.value / peak
            body.append(
                f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{base - size:.1f}"'
                f' width="{slot * 0.7:.1f}" height="{size:.1f}" fill="{BAR}">'
                f"<title>{escape(point.label)}: {escape(show(point.value))}</title></rect>"
            )
            if write_values:
                body.append(
                    _text(middle, base - size - 4, show(point.value), anchor="middle", cls="value")
                )
        if n % label_every == 0:
            body.append(_text(middle, base + 16, point.label, anchor="middle", cls="label"))
    return _svg(ident, title, desc, width, height, body)
