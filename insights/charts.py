"""Bar charts drawn on the server as SVG: role="img" with a <title> and a <desc> that says every number, and
the same numbers in a table beside each chart (templates/insights/_bar_chart.html). No script, no colour-only
meaning: a target is a dashed line named in the description, and met or not is said in words in the table."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LABEL_WIDTH = 230
BAR_AREA = 320
VALUE_WIDTH = 90
BAR_HEIGHT = 28
GAP = 14
TOP = 10


@dataclass(frozen=True)
class Bar:
    label: str
    shown: str
    y: int
    width: int
    text_y: int


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    desc: str
    bars: list[Bar]
    width: int
    height: int
    bar_x: int
    value_x: int
    target_x: int | None


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, Decimal | int | None, str]], *,
              scale: Decimal | int, target: Decimal | None = None, target_words: str = "") -> Chart:
    """`rows`: (label, value or None, the value as shown). Bars are scaled to `scale` (100 for percentages)."""
    bars = []
    for i, (label, value, shown) in enumerate(rows):
        y = TOP + i * (BAR_HEIGHT + GAP)
        width = 0 if not value or not scale else round(BAR_AREA * min(Decimal(value) / Decimal(scale), Decimal(1)))
        bars.append(Bar(label, shown, y, width, y + BAR_HEIGHT - 8))
    said = "；".join(f"{label}：{shown}" for label, _value, shown in rows)
    desc = f"{said}。{target_words}" if target_words else f"{said}。"
    target_x = None if target is None else LABEL_WIDTH + round(BAR_AREA * target / Decimal(scale))
    return Chart(chart_id, title, desc, bars, LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
                 TOP * 2 + len(rows) * (BAR_HEIGHT + GAP), LABEL_WIDTH, LABEL_WIDTH + BAR_AREA + 8, target_x)
