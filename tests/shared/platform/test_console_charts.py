"""The server-drawn bar chart: bars to scale, every text escaped, a name for screen readers."""

from __future__ import annotations

import re

from shared.platform.console.charts import HEIGHT, bar_chart


def heights(svg: str) -> list[float]:
    return [float(found) for found in re.findall(r'<rect [^>]*height="([0-9.]+)"', svg)]


def test_bars_are_drawn_to_scale_with_their_values_as_titles() -> None:
    svg = str(bar_chart("Batches <per> hour", [("07:00", 2), ("08:00", 8), ("09:00", 0)]))

    tallest, *_ = sorted(heights(svg), reverse=True)
    assert heights(svg) == [tallest / 4, tallest, 0.0]
    assert tallest < HEIGHT
    assert 'aria-label="Batches &lt;per&gt; hour, highest 8"' in svg
    assert "<title>08:00: 8</title>" in svg
    assert "<per>" not in svg


def test_an_empty_or_all_zero_chart_draws_flat_bars() -> None:
    assert heights(str(bar_chart("Nothing", []))) == []
    assert heights(str(bar_chart("Quiet", [("a", 0), ("b", 0)]))) == [0.0, 0.0]


def test_only_every_nth_label_is_written_under_the_bars() -> None:
    svg = str(bar_chart("Day", [(f"{hour:02d}:00", hour) for hour in range(24)], every=6))

    assert re.findall(r"<text [^>]*>([^<]+)</text>", svg) == ["00:00", "06:00", "12:00", "18:00"]
