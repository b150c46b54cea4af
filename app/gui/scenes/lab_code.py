"""The lab's code pane: an experiment's real source, highlighted, with a marker per thread.

Highlighting is Qt's own ``QSyntaxHighlighter`` fed by the standard library's ``tokenize``
(the source is fixed, so it is tokenized once): no extra dependency in the bundle. Each
line keeps its real line number from the experiment's file; a thread's marker sits on the
line its last ``lab.line`` record named, with a tag saying what it is doing.
"""

from __future__ import annotations

import difflib
import io
import keyword
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from app.gui.theme import Theme, current_theme
from app.scenes.lab.experiment import Source

_BUILTINS = frozenset({"True", "False", "None", "print", "len", "list", "dict", "max", "sorted", "range"})


@dataclass(frozen=True)
class Mark:
    """One thread's marker: where, who, and what it is doing."""

    line: int  # the line in the experiment's file
    label: str
    colour: QColor
    text: str  # what the tag says
    alarm: bool = False  # deadlocked or failed: the line turns red


def _formats(theme: Theme) -> dict[str, QTextCharFormat]:
    dark = theme.dark
    colours = {
        "keyword": "#c792ea" if dark else "#8a3fbf",
        "string": "#9ccc65" if dark else "#2e7d32",
        "comment": theme.muted.name(),
        "number": "#f78c6c" if dark else "#b35c00",
        "builtin": "#82aaff" if dark else "#1f6fb2",
        "def": "#82aaff" if dark else "#1f6fb2",
        "step": "#ffcb6b" if dark else "#a0620a",
    }
    out = {}
    for name, colour in colours.items():
        f = QTextCharFormat()
        f.setForeground(QColor(colour))
        if name in ("keyword", "def"):
            f.setFontWeight(QFont.Weight.DemiBold)
        if name == "comment":
            f.setFontItalic(True)
        out[name] = f
    return out


def spans(text: str) -> dict[int, list[tuple[int, int, str]]]:
    """Per line (0-based): (column, length, kind) of what to colour, from ``tokenize``."""
    out: dict[int, list[tuple[int, int, str]]] = {}
    lines = text.splitlines()

    def add(start: tuple[int, int], end: tuple[int, int], kind: str) -> None:
        (r0, c0), (r1, c1) = start, end
        for row in range(r0, r1 + 1):
            line = lines[row - 1] if row - 1 < len(lines) else ""
            a = c0 if row == r0 else 0
            b = c1 if row == r1 else len(line)
            if b > a:
                out.setdefault(row - 1, []).append((a, b - a, kind))

    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            name = tokenize.tok_name[tok.type]
            if tok.type == tokenize.COMMENT:
                add(tok.start, tok.end, "comment")
            elif tok.type == tokenize.STRING or name.startswith("FSTRING"):
                add(tok.start, tok.end, "string")
            elif tok.type == tokenize.NUMBER:
                add(tok.start, tok.end, "number")
            elif tok.type == tokenize.NAME:
                if previous in ("def", "class"):
                    add(tok.start, tok.end, "def")
                elif keyword.iskeyword(tok.string):
                    add(tok.start, tok.end, "keyword")
                elif tok.string in _BUILTINS:
                    add(tok.start, tok.end, "builtin")
                elif tok.string == "step":
                    add(tok.start, tok.end, "step")
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                previous = tok.string
    except (tokenize.TokenError, IndentationError):
        pass  # a fragment that does not tokenize to the end keeps what it had
    return out


class PythonHighlighter(QSyntaxHighlighter):
    """Colours a fixed Python text: tokenized once, each block painted from its spans."""

    def __init__(self, document: QTextDocument, theme: Theme) -> None:
        super().__init__(document)
        self._formats = _formats(theme)
        self._spans: dict[int, list[tuple[int, int, str]]] = {}

    def set_text(self, text: str) -> None:
        self._spans = spans(text)
        self.rehighlight()

    def highlightBlock(self, _text: str) -> None:  # noqa: N802 - Qt's name
        for col, length, kind in self._spans.get(self.currentBlock().blockNumber(), ()):
            self.setFormat(col, length, self._formats[kind])


class _Gutter(QWidget):
    def __init__(self, view: CodeView) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.view.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        self.view.paint_gutter(self, event)


class CodeView(QPlainTextEdit):
    """Read-only source with real line numbers and thread markers."""

    def __init__(self, parent: QWidget | None = None, name: str = "codeView") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), 9.5))
        self.setFont(font)
        self.theme = current_theme()
        self.highlighter = PythonHighlighter(self.document(), self.theme)
        self.gutter = _Gutter(self)
        self.file_lines: list[int] = []  # block number -> file line (0: a separator)
        self.sources: tuple[Source, ...] = ()
        self.marks: list[Mark] = []
        self.changed: set[int] = set()  # file lines the other variant does not have
        self.change_colour = self.theme.accent
        self.blockCountChanged.connect(lambda _n: self._margins())
        self.updateRequest.connect(self._scrolled)
        self._margins()

    # -- content -------------------------------------------------------------------------------
    def show_sources(self, sources: Sequence[Source]) -> None:
        """The functions' real text, one after the other, each with its file's line numbers."""
        self.sources = tuple(sources)
        lines: list[str] = []
        self.file_lines = []
        for i, src in enumerate(self.sources):
            if i:
                lines.append("")
                self.file_lines.append(0)
            lines.extend(src.lines)
            self.file_lines.extend(range(src.first_line, src.first_line + len(src.lines)))
        text = "\n".join(lines)
        self.setPlainText(text)
        self.highlighter.set_text(text)
        self.marks = []
        self._margins()
        self._refresh()

    def mark_changes(self, other: Sequence[Source], colour: QColor) -> None:
        """Flag the lines that differ from ``other`` (the other variant), as a diff would."""
        mine = [
            (n, line) for n, line in zip(self.file_lines, self.toPlainText().split("\n"), strict=False) if n
        ]
        theirs = [line for src in other for line in src.lines]
        a, b = [_norm(line) for _, line in mine], [_norm(line) for line in theirs]
        same: set[int] = set()
        for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
            same.update(range(block.a, block.a + block.size))
        self.changed = {mine[i][0] for i in range(len(mine)) if i not in same and a[i]}
        self.change_colour = colour
        self.gutter.update()

    def block_of(self, file_line: int) -> int:
        """The block showing ``file_line`` (-1 when it is not shown)."""
        try:
            return self.file_lines.index(file_line)
        except ValueError:
            return -1

    def set_marks(self, marks: Sequence[Mark]) -> None:
        marks = [m for m in marks if self.block_of(m.line) >= 0]
        if marks == self.marks:
            return
        self.marks = list(marks)
        self._refresh()

    def marks_on(self, file_line: int) -> list[Mark]:
        return [m for m in self.marks if m.line == file_line]

    # -- drawing ----------------------------------------------------------------------------------
    def _unit(self) -> float:
        return QFontMetricsF(self.font()).height()

    def gutter_width(self) -> int:
        fm = QFontMetricsF(self.font())
        digits = max(len(str(max(self.file_lines, default=0))), 3)
        return int(fm.horizontalAdvance("9") * digits + self._unit() * 2.9)

    def _margins(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        r = self.contentsRect()
        self.gutter.setGeometry(QRect(r.left(), r.top(), self.gutter_width(), r.height()))

    def _scrolled(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def _refresh(self) -> None:
        selections = []
        for m in self.marks:
            block = self.document().findBlockByNumber(self.block_of(m.line))
            sel = QTextEdit.ExtraSelection()
            tint = QColor(self.theme.tones["crashed"] if m.alarm else m.colour)
            tint.setAlpha(70 if m.alarm else 45)
            sel.format.setBackground(tint)
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = self.textCursor()
            cursor.setPosition(block.position())
            sel.cursor = cursor
            selections.append(sel)
        self.setExtraSelections(selections)
        self.gutter.update()
        self.viewport().update()

    def paint_gutter(self, gutter: QWidget, event: QPaintEvent) -> None:
        p = QPainter(gutter)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.theme
        p.fillRect(event.rect(), t.canvas)
        u = self._unit()
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        width = gutter.width()
        while block.isValid() and top <= event.rect().bottom():
            height = self.blockBoundingRect(block).height()
            n = block.blockNumber()
            line = self.file_lines[n] if n < len(self.file_lines) else 0
            marks = self.marks_on(line) if line else []
            if line:
                p.setPen(t.text if marks else t.muted)
                p.setFont(self.font())
                p.drawText(
                    QRectF(0, top, width - u * 0.7, height),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    str(line),
                )
            if line in self.changed:  # a diff bar: this line is what the other variant does not have
                p.fillRect(QRectF(width - u * 0.35, top, u * 0.2, height), self.change_colour)
            for i, m in enumerate(marks[:3]):  # a dot per thread on the line
                r = u * 0.36
                cx, cy = u * 0.55 + i * u * 0.55, top + height / 2
                p.setPen(QPen(t.canvas, 1.2))
                p.setBrush(t.tones["crashed"] if m.alarm else m.colour)
                p.drawEllipse(QRectF(cx - r, cy - r, 2 * r, 2 * r))
            block = block.next()
            top += height
        p.end()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self.marks:
            return
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetricsF(self.font())
        u = fm.height()
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.92)
        sfm = QFontMetricsF(small)
        p.setFont(small)
        offset = self.contentOffset()
        margin = self.document().documentMargin()
        for line in sorted({m.line for m in self.marks}):
            block = self.document().findBlockByNumber(self.block_of(line))
            geo = self.blockBoundingGeometry(block).translated(offset)
            if geo.bottom() < 0 or geo.top() > self.viewport().height():
                continue
            tags = []  # threads at the same line doing the same thing share a tag
            for m in self.marks_on(line):
                same = next(
                    (i for i, (_, o) in enumerate(tags) if (o.text, o.alarm) == (m.text, m.alarm)), -1
                )
                if same < 0:
                    tags.append(([m.label], m))
                else:
                    tags[same][0].append(m.label)
            tags = [
                (f"◀ {', '.join(who)} · {m.text}" if m.text else f"◀ {', '.join(who)}", m) for who, m in tags
            ]
            widths = [sfm.horizontalAdvance(text) + u * 0.8 for text, _ in tags]
            total = sum(widths) + u * 0.4 * (len(tags) - 1)
            # After the line's text, or against the right edge when the line is long (over it).
            after = offset.x() + margin + fm.horizontalAdvance(block.text().rstrip()) + u * 1.2
            x = max(min(after, self.viewport().width() - total - u * 0.4), u * 0.4)
            for (text, m), w in zip(tags, widths, strict=True):
                r = QRectF(x, geo.top() + geo.height() * 0.1, w, geo.height() * 0.8)
                fill = QColor(self.theme.tones["crashed"] if m.alarm else m.colour)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(fill)
                p.drawRoundedRect(r, r.height() / 2, r.height() / 2)
                p.setPen(QColor("#ffffff"))
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)
                x += w + u * 0.4
        p.end()


def _norm(line: str) -> str:
    """A line as the other variant would have it: names without _wrong/_right, no comment."""
    code = re.sub(r"_(wrong|right)\b", "", line.split("  #", 1)[0])
    return code.strip()


__all__ = ["CodeView", "Mark", "PythonHighlighter", "spans"]
