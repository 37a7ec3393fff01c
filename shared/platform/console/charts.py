"""Bar charts drawn on the server as inline SVG: no script, nothing fetched, readable by a
screen reader (a title, and each bar's label and value as its own title)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 720
HEIGHT = 160
AXIS = 18
"""Pixels under the bars for the labels."""


def bar_chart(title: str, bars: Sequence[tuple[str, int | float]], *, every: int = 1) -> Markup:
    """An SVG of one bar per (label, value), scaled to the largest value; every `every`-th
    label is written under its bar (all are in the bars' tooltips)."""
    top = max((value for _label, value in bars), default=0) or 1
    step = WIDTH / max(len(bars), 1)
    plot = HEIGHT - AXIS
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" aria-label="{escape(title)}, highest {top:g}"><title>{escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(bars):
        height = plot * value / top
        x = index * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{plot - height:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{height:.1f}" fill="currentColor" opacity="0.7">'
            f"<title>{escape(label)}: {value:g}</title></rect>"
        )
        if index % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 4}" font-size="11" '
                f'text-anchor="middle" fill="currentColor">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape)
