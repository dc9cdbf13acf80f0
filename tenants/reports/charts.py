"""Geometry for the dashboards' SVG charts, drawn by ``templates/tenants/reports/_charts.html``.

Charts are server-rendered SVG: no script, no CDN, they print, and they carry a <title>, a
<desc> and the numbers themselves printed beside every bar (colour is never the only signal;
each chart also has its table). Sizes are in SVG user units; the SVG scales to its box.
"""

from dataclasses import dataclass, field

LABEL_WIDTH = 150
VALUE_WIDTH = 110
BAR_AREA = 240
ROW_HEIGHT = 32
PADDING = 8
FONT = 15  # SVG units; the charts are drawn close to 1:1 on a desktop page


def text_width(text: str, size: float = FONT) -> float:
    """About how wide ``text`` is at ``size``: CJK characters are square, others about half."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.58 for ch in text)


def fit(text: str, width: float, size: float = FONT) -> str:
    """``text`` shortened with "…" to fit ``width``."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


@dataclass
class Segment:
    css: str  # a class: "bar--red", "bar--blue"...
    x: float
    width: float
    label: str


@dataclass
class Row:
    label: str  # shortened to fit; the table under the chart has it in full
    text: str  # the number(s) printed beside the bar
    y: float
    segments: list = field(default_factory=list)
    end: float = 0  # where the bar ends: the text starts after it
    href: str | None = None


@dataclass
class HBarChart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    rows: list
    label_width: int = LABEL_WIDTH
    legend: list = field(default_factory=list)  # [(css, label)]


def hbar(chart_id, title, desc, items, *, legend=None, value_width=VALUE_WIDTH) -> HBarChart:
    """``items``: [(label, [(css, value, segment label)], text, href)]: one bar per item,
    split into segments (one segment for a plain bar)."""
    biggest = max((sum(max(v, 0) for _c, v, _l in parts) for _l, parts, _t, _h in items), default=0)
    scale = BAR_AREA / biggest if biggest > 0 else 0
    rows = []
    for index, (label, parts, text, href) in enumerate(items):
        y = PADDING + index * ROW_HEIGHT
        x = LABEL_WIDTH
        segments = []
        for css, value, part_label in parts:
            width = max(value, 0) * scale
            if width > 0:
                segments.append(Segment(css, round(x, 1), round(max(width, 1.5), 1), part_label))
            x += width
        rows.append(Row(fit(label, LABEL_WIDTH - 14), text, y, segments, round(x, 1), href))
    height = PADDING * 2 + max(len(items), 1) * ROW_HEIGHT
    return HBarChart(chart_id, title, desc, LABEL_WIDTH + BAR_AREA + value_width, height, rows,
                     legend=legend or [])


@dataclass
class Column:
    label: str  # "05", under the column
    text: str  # the value, above it
    sublabel: str  # the year, under the first column and under each January
    x: float
    y: float
    height: float
    full_label: str  # "2025-05", for the table and the tooltip


@dataclass
class ColumnChart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    baseline: float
    columns: list
    column_width: float


COLUMN_WIDTH = 34
COLUMN_GAP = 8
PLOT_HEIGHT = 150
TOP = 26
BOTTOM = 48


def columns(chart_id, title, desc, items) -> ColumnChart:
    """``items``: [(short label, value, text, full label)] in time order."""
    biggest = max((max(v or 0, 0) for _l, v, _t, _f in items), default=0)
    scale = PLOT_HEIGHT / biggest if biggest > 0 else 0
    cols = []
    for index, (label, value, text, full) in enumerate(items):
        height = max(value or 0, 0) * scale
        x = COLUMN_GAP + index * (COLUMN_WIDTH + COLUMN_GAP)
        sublabel = full[:4] if index == 0 or full.endswith("-01") else ""
        cols.append(Column(label, text, sublabel, x, TOP + PLOT_HEIGHT - height, round(height, 1), full))
    width = COLUMN_GAP + max(len(items), 1) * (COLUMN_WIDTH + COLUMN_GAP)
    return ColumnChart(chart_id, title, desc, width, TOP + PLOT_HEIGHT + BOTTOM,
                       TOP + PLOT_HEIGHT, cols, COLUMN_WIDTH)
