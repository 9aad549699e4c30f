"""Charts as SVG drawn on the server: no JavaScript, no CDN. Colours come from CSS classes, so
the dark theme applies; every chart has a <title> and its numbers in a table beside it."""

from __future__ import annotations

from html import escape

from warroom.app.dashboard import Series

W, H = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 24, 48


def _scale(values: list[float]) -> float:
    """The axis' top: the smallest 1, 2 or 5 times a power of ten at or above every value."""
    top = max(values, default=0.0)
    if top <= 0:
        return 1.0
    nice = (step * 10.0**power for power in range(-2, 12) for step in (1, 2, 5))
    return next((n for n in nice if n >= top), top)


def _axis(top: float, unit: str) -> list[str]:
    out = []
    for i in range(5):
        value = top * i / 4
        y = TOP + (H - TOP - BOTTOM) * (1 - i / 4)
        label = f"{value:g}"
        out.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    out.append(f'<text class="tick" x="{LEFT}" y="12">{escape(unit)}</text>')
    return out


def _labels(labels: list[str], x_of: list[float]) -> list[str]:
    every = max(1, len(labels) // 8)
    out = []
    for i, (label, x) in enumerate(zip(labels, x_of, strict=True)):
        if i % every:
            continue
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    return out


def chart(series: Series) -> str:
    """One column: bars. Two or more (p50, p90): lines with points."""
    labels = [label for label, _ in series.rows]
    columns = len(series.columns)
    values = [v for _, row in series.rows for v in row if v is not None]
    top = _scale(values)
    plot_w = W - LEFT - RIGHT
    plot_h = H - TOP - BOTTOM
    n = max(1, len(labels))
    step = plot_w / n
    x_of = [LEFT + step * (i + 0.5) for i in range(len(labels))]

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(series.title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(series.title)}</title>",
        *_axis(top, series.unit),
    ]
    if not series.rows:
        parts.append(
            f'<text class="tick" x="{W / 2}" y="{H / 2}" text-anchor="middle">no data yet</text>'
        )
    elif columns == 1:
        width = max(2.0, step * 0.7)
        for x, (label, row) in zip(x_of, series.rows, strict=True):
            value = row[0] or 0.0
            parts.append(
                f'<rect class="bar" x="{x - width / 2:.1f}" y="{y(value):.1f}" '
                f'width="{width:.1f}" height="{plot_h - (y(value) - TOP):.1f}">'
                f"<title>{escape(label)}: {value:g}</title></rect>"
            )
    else:
        for c, name in enumerate(series.columns):
            points = [(x, row[c]) for x, (_, row) in zip(x_of, series.rows, strict=True)]
            path = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in points if v is not None)
            if path:
                parts.append(f'<polyline class="line s{c}" points="{path}"/>')
            for x, v in points:
                if v is not None:
                    parts.append(
                        f'<circle class="dot s{c}" cx="{x:.1f}" cy="{y(v):.1f}" r="3">'
                        f"<title>{escape(name)}: {v:g}</title></circle>"
                    )
            parts.append(
                f'<text class="legend s{c}" x="{LEFT + 8 + 60 * c}" y="{H - 8}">'
                f"■ {escape(name)}</text>"
            )
    parts.extend(_labels(labels, x_of))
    parts.append("</svg>")
    return "".join(parts)
