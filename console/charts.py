"""Chart geometry for server-rendered SVG: the numbers come in, coordinates go out.

The templates ``console/chart_*.html`` draw them; no chart library, no script. Every
chart also carries its figures as a table for screen readers and for printing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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


# Column charts have axes: ticks of the value on the left, dates below, a legend above.
AXIS_FONT = 13  # drawing units; the chart is drawn at about its own width, so about 13px
AXIS_CHARACTER_WIDTH = 7.6
LEGEND_HEIGHT = 26
X_LABELS_HEIGHT = 22
MOST_X_LABELS = 8
TICKS = 4
MOST_BAR_WIDTH = 48


@dataclass(frozen=True)
class Tick:
    position: float  # y of a value tick, x of a date
    text: str


@dataclass(frozen=True)
class LegendEntry:
    label: str
    tone: str
    x: float
    text_x: float


@dataclass(frozen=True)
class Series:
    """One kind of column: its legend, its CSS tone, its values and how the page shows each."""

    label: str
    tone: str
    values: Sequence[float]
    shown: Sequence[str]


@dataclass(frozen=True)
class ColumnChart:
    bars: list[Bar]
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    baseline_y: float
    y_ticks: list[Tick]
    x_labels: list[Tick]
    legend: list[LegendEntry]
    legend_y: float
    peak: str = ""  # the largest value, as shown
    peak_value: float = 0  # the same as a number, to choose the plural form of its sentence

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)

    @property
    def tick_x(self) -> float:
        return self.plot_left - 6

    @property
    def swatch_y(self) -> float:
        return self.legend_y - 10


def nice_step(peak: float, ticks: int = TICKS) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` steps up to ``peak``."""
    if peak <= 0:
        return 1
    rough = peak / ticks
    power = 10 ** math.floor(math.log10(rough))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= rough)


def columns(labels: Sequence[str], series: Sequence[Series], *, tick_text: Callable[[float], str],
            width: int = WIDTH, height: int = 240, whole_ticks: bool = True) -> ColumnChart:
    """Columns per label (a date), one per series side by side, over a value axis with round ticks.

    ``tick_text`` writes a tick's value as the page shows it (a count, or Rp with the money
    filter); ``whole_ticks`` keeps a count's ticks on whole numbers.
    """
    peak_value = max((value for one in series for value in one.values), default=0)
    step = nice_step(float(peak_value))
    if whole_ticks:
        step = max(1, math.ceil(step))
    top_value = step * max(1, math.ceil(float(peak_value) / step)) if peak_value else step * TICKS
    tick_values = [step * n for n in range(0, round(top_value / step) + 1)]
    tick_texts = [tick_text(value) for value in tick_values]
    plot_left = round(max(len(text) for text in tick_texts) * AXIS_CHARACTER_WIDTH + 12, 1)
    plot_right = width - 8
    plot_top = LEGEND_HEIGHT + 8
    baseline = height - X_LABELS_HEIGHT
    usable = baseline - plot_top
    count = max(len(labels), 1)
    slot = (plot_right - plot_left) / count
    gap = min(6, slot * 0.25)
    # Columns stay slim when there are few of them, centred in their slot.
    bar_width = min((slot - gap) / max(len(series), 1), MOST_BAR_WIDTH)
    inset = (slot - bar_width * max(len(series), 1)) / 2
    bars = []
    for index, label in enumerate(labels):
        for place, one in enumerate(series):
            value = float(one.values[index])
            length = usable * max(value, 0) / top_value
            x = plot_left + index * slot + inset + place * bar_width
            bars.append(Bar(label=f"{label} · {one.label}", value=value, shown=one.shown[index], x=round(x, 1),
                            y=round(baseline - length, 1), width=round(max(bar_width - 1, 1), 1),
                            height=round(length, 1), tone=one.tone))
    y_ticks = [Tick(position=round(baseline - usable * value / top_value, 1), text=text)
               for value, text in zip(tick_values, tick_texts, strict=True)]
    every = math.ceil(count / MOST_X_LABELS)
    x_labels = [Tick(position=round(plot_left + index * slot + slot / 2, 1), text=label)
                for index, label in enumerate(labels) if index % every == 0]
    legend, x = [], plot_left
    for one in series:
        legend.append(LegendEntry(label=one.label, tone=one.tone, x=round(x, 1), text_x=round(x + 18, 1)))
        x += 18 + len(str(one.label)) * AXIS_CHARACTER_WIDTH + 24
    shown_peak = next((one.shown[index] for one in series for index, value in enumerate(one.values)
                       if value == peak_value), "0")
    return ColumnChart(bars=bars, width=width, height=height, plot_left=plot_left, plot_right=plot_right,
                       plot_top=plot_top, baseline_y=baseline, y_ticks=y_ticks, x_labels=x_labels, legend=legend,
                       legend_y=LEGEND_HEIGHT / 2 + 4, peak=shown_peak, peak_value=peak_value)
