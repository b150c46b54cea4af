"""The pipeline's live plots, drawn with Qt Charts: items/s per stage, queue depths, worker
utilisation and item latency (p50/p95) over the last minute.

Qt Charts is imported only when the plots are first shown (``PlotPanel.ensure_built``), so
the window's start-up does not pay for it until the pipeline's tab is opened. Everything
about the plotting library is in this module: moving to another is a change here only.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.gui.theme import Theme, current_theme
from app.scenes.pipeline.view import WINDOW_S, Series

if TYPE_CHECKING:
    from app.scenes.pipeline.view import Metrics

#: Each plot: its key in ``Metrics.series``, its title, the y unit, a fixed top (None: the
#: data's, rounded up), and a colour per line.
PLOTS: tuple[tuple[str, str, str, float | None, tuple[str, ...]], ...] = (
    ("rate", "Items/s (5 s average)", "items/s", None, ("#3577d4", "#8a5cc9", "#2e9d6a")),
    ("depth", "Queue depth", "items", None, ("#c48a12", "#1a9bb0")),
    ("utilisation", "Worker utilisation", "%", 100.0, ("#3577d4", "#8a5cc9", "#2e9d6a")),
    ("latency", "Item latency", "s", None, ("#3577d4", "#d4503f")),
)
STAGE_COLOURS = PLOTS[0][4]


def nice_ceiling(value: float) -> float:
    """The next 1, 2 or 5 times a power of ten at or above ``value`` (at least 1e-3)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        top = step * 10**exp
        if top >= value * 1.0001:
            return max(top, 1e-3)
    return 10 ** (exp + 1)


class PlotPanel(QWidget):
    """Four small charts side by side. Until ``ensure_built`` they are placeholders."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pipelinePlots")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self.charts: dict[str, Any] = {}  # key -> (QChart, [QLineSeries], QValueAxis x, y)
        self.views: list[QWidget] = []
        self._placeholders: list[QWidget] = []
        for col, (_key, title, _unit, _top, _colours) in enumerate(PLOTS):
            self.grid.setColumnStretch(col, 1)
            box = QLabel(f"{title}\n(shown with the tab)", self)
            box.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.setProperty("role", "caption")
            box.setMinimumHeight(self.fontMetrics().height() * 9)
            self.grid.addWidget(box, 0, col)
            self._placeholders.append(box)
        self.built = False

    def ensure_built(self) -> None:
        """Import Qt Charts and make the charts (once)."""
        if self.built:
            return
        from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis

        self.built = True
        for w in self._placeholders:
            self.grid.removeWidget(w)
            w.deleteLater()
        self._placeholders.clear()
        t = current_theme()
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() * 0.85, 6.0))
        for col, (key, title, unit, top, colours) in enumerate(PLOTS):
            chart = QChart()
            chart.setTitle(title)
            chart.setTitleFont(_bold(self.font()))
            chart.setTitleBrush(t.text)
            chart.setBackgroundBrush(t.card)
            chart.setBackgroundPen(QPen(t.card_edge))
            chart.setBackgroundRoundness(8)
            chart.setMargins(QMargins(2, 2, 2, 2))
            chart.layout().setContentsMargins(0, 0, 0, 0)
            chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
            chart.legend().setFont(small)
            chart.legend().setLabelColor(t.muted)
            chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
            x = QValueAxis()
            x.setRange(-WINDOW_S, 0)
            x.setTickCount(4)
            x.setLabelFormat("%d s")
            y = QValueAxis()
            y.setRange(0, top or 1)
            y.setTickCount(3)
            y.setLabelFormat("%.0f" if unit != "s" else "%.1f")
            for axis in (x, y):
                axis.setLabelsFont(small)
                axis.setLabelsColor(t.muted)
                axis.setGridLineColor(t.card_edge)
                axis.setLinePenColor(t.card_edge)
            chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
            chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
            lines = []
            for colour in colours:
                s = QLineSeries()
                s.setPen(QPen(QColor(colour), 2.0))
                chart.addSeries(s)
                s.attachAxis(x)
                s.attachAxis(y)
                lines.append(s)
            view = QChartView(chart, self)
            view.setObjectName(f"plot_{key}")
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            view.setMinimumHeight(self.fontMetrics().height() * 9)
            view.setAccessibleName(f"{title} over the last minute")
            self.grid.addWidget(view, 0, col)
            self.views.append(view)
            self.charts[key] = (chart, lines, x, y, unit, top)

    def show_metrics(self, metrics: Metrics, now: float, capacity: int) -> None:
        """Redraw every line from the view-model's per-second figures (queue depths on a
        scale that ends at the queues' capacity)."""
        if not self.built:
            return
        for key, lines in metrics.series(now).items():
            self._show(key, lines, capacity if key == "depth" else None)

    def _show(self, key: str, lines: list[Series], fixed: float | None) -> None:
        _chart, series, _x, y, unit, top = self.charts[key]
        top = fixed or top
        scale = 100.0 if unit == "%" else 1.0
        peak = 0.0
        for s, line in zip(series, lines, strict=False):
            if s.name() != line.name:
                s.setName(line.name)
            points = [QPointF(x, v * scale) for x, v in line.points]
            s.replace(points)
            if points:
                peak = max(peak, max(p.y() for p in points))
        ceiling = top if top is not None else nice_ceiling(peak)
        if y.max() != ceiling:
            y.setRange(0, ceiling)

    def restyle(self, t: Theme | None = None) -> None:  # pragma: no cover - follows the system
        t = t or current_theme()
        for chart, *_ in self.charts.values():
            chart.setBackgroundBrush(t.card)


def _bold(font: QFont) -> QFont:
    f = QFont(font)
    f.setBold(True)
    return f


def wrap(panel: PlotPanel, title: str) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel(title, objectName="sectionTitle"))
    layout.addWidget(panel, 1)
    return box


__all__ = ["PLOTS", "STAGE_COLOURS", "PlotPanel", "nice_ceiling", "wrap"]
