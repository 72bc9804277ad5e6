"""Chart geometry for server-rendered SVG: the numbers come in, coordinates go out.

The templates in ``templates/charts/`` draw them; no chart library, no script. Every
chart also carries its figures as a table for screen readers and for printing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The drawing's own units; the SVG scales to the width of its box. Bars are drawn narrow
# so that their labels stay readable in half a tablet's width.
WIDTH = 600
BARS_WIDTH = 420
LABEL_WIDTH = 160
VALUE_WIDTH = 70
ROW_HEIGHT = 26
BAR_HEIGHT = 16
# A generous width of one character of a label at the charts' 15px font: the label column
# widens for the longest label, since Indonesian ones ("Bukan pengguna Livin'") run longer.
CHARACTER_WIDTH = 8.5


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the page shows it
    x: float
    y: float
    width: float
    height: float
    tone: str = ""  # a CSS modifier: ok, warn, err, off, info
    text_y: float = 0  # where a label or value on the bar's line sits
    end_x: float = 0  # just past the bar's end


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_x: float = 0
    baseline_y: float = 0
    points: str = ""  # a sparkline's polyline
    peak: str = ""  # the largest value, as shown
    peak_value: float = 0  # the same as a number, to choose the plural form of its sentence

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def horizontal_bars(items: Sequence[tuple[str, float, str, str]]) -> Chart:
    """One bar per (label, value, shown, tone), longest for the largest value; every label shown whole."""
    peak = max((value for _label, value, _shown, _tone in items), default=0) or 1
    track = BARS_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    longest = max((len(str(label)) for label, _value, _shown, _tone in items), default=0)
    label_width = max(LABEL_WIDTH, round(longest * CHARACTER_WIDTH) + 12)
    bars = []
    for row, (label, value, shown, tone) in enumerate(items):
        length = round(max(track * max(value, 0) / peak, 1 if value else 0), 1)
        y = row * ROW_HEIGHT + 5
        bars.append(Bar(label=label, value=value, shown=shown, x=label_width, y=y, width=length, height=BAR_HEIGHT,
                        tone=tone, text_y=y + BAR_HEIGHT - 2, end_x=round(label_width + length + 6, 1)))
    return Chart(bars=bars, width=label_width + track + VALUE_WIDTH, height=max(len(items), 1) * ROW_HEIGHT + 4,
                 label_x=label_width - 8)


def columns(items: Sequence[tuple[str, float, str]], *, height: int = 120) -> Chart:
    """One column per (label, value, shown), left to right, with a line through their tops (a sparkline)."""
    peak_value = max((value for _label, value, _shown in items), default=0)
    peak = peak_value or 1
    count = max(len(items), 1)
    slot = WIDTH / count
    gap = min(4, slot * 0.2)
    top_margin = 6
    usable = height - top_margin
    bars, points = [], []
    for index, (label, value, shown) in enumerate(items):
        length = usable * max(value, 0) / peak
        x = index * slot
        bars.append(Bar(label=label, value=value, shown=shown, x=round(x + gap / 2, 1), y=round(height - length, 1),
                        width=round(slot - gap, 1), height=round(length, 1)))
        points.append(f"{round(x + slot / 2, 1)},{round(height - length, 1)}")
    shown_peak = next((shown for _label, value, shown in items if value == peak_value), "0")
    return Chart(bars=bars, width=WIDTH, height=height, baseline_y=height, points=" ".join(points), peak=shown_peak,
                 peak_value=peak_value)
