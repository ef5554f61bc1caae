"""Letters as PDF with ReportLab: a batch file for printing, one letter per page, CJK font embedded.

The font is WenQuanYi Micro Hei (``/usr/share/fonts/truetype/wqy/wqy-microhei.ttc``, face 0) registered as a
TrueType font, so ReportLab embeds the subset of glyphs used (``/FontFile2`` in the file) and the letter
prints the same everywhere — no reliance on a viewer's CID font such as STSong-Light. Each letter carries
what C8 requires: the borrower's name, the figures table (overdue principal, interest, penalty, compound
interest, days overdue, total due), how to pay, how to object and the institution's contact, plus the
rendered body, the date, the outbox reference and a box where the seal is stamped.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT_PATH: Final = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_NAME: Final = "WenQuanYiMicroHei"
SEAL_LABEL: Final = "（机构盖章处 seal）"


@dataclass(frozen=True, slots=True)
class Letter:
    """One letter, every text already rendered and formatted (money, dates)."""

    reference: str
    addressee: str
    address: str
    title: str
    body: str
    figures: tuple[tuple[str, str], ...]
    how_to_pay: str
    how_to_object: str
    contact: str
    institution: str
    dated: str


def register_font(path: Path = FONT_PATH) -> str:
    """Register the CJK TrueType font once; return its name."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        if not path.is_file():
            raise FileNotFoundError(f"CJK font not found: {path} (install fonts-wqy-microhei)")
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    return FONT_NAME


class SealBox(Flowable):  # type: ignore[misc]
    """An empty dashed box where the institution stamps its seal, labelled."""

    def __init__(self, font: str, size: float = 40 * mm) -> None:
        super().__init__()
        self.font = font
        self.width = self.height = size

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setDash(3, 3)
        canvas.rect(0, 0, self.width, self.height)
        canvas.setFont(self.font, 9)
        canvas.drawCentredString(self.width / 2, self.height / 2, SEAL_LABEL)
        canvas.restoreState()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1, spaceAfter=8),
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=13, textColor=colors.grey),
        "right": ParagraphStyle("right", parent=base, alignment=2),
    }


def _paragraphs(text: str, style: ParagraphStyle) -> list[Flowable]:
    return [Paragraph(escape(line), style) for line in text.splitlines() if line.strip()]


def _figures_table(letter: Letter, font: str) -> Table:
    table = Table([list(row) for row in letter.figures], colWidths=(60 * mm, 60 * mm))
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 10.5),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ]
        )
    )
    return table


def letter_flowables(letter: Letter, font: str) -> list[Flowable]:
    """The content of one page, top to bottom."""
    style = _styles(font)
    story: list[Flowable] = [
        Paragraph(escape(f"{letter.addressee} 收"), style["body"]),
        *_paragraphs(letter.address, style["body"]),
        Spacer(1, 6 * mm),
        Paragraph(escape(letter.title), style["title"]),
        *_paragraphs(letter.body, style["body"]),
        Spacer(1, 4 * mm),
        _figures_table(letter, font),
        Spacer(1, 4 * mm),
        Paragraph(escape(f"还款方式 How to pay：{letter.how_to_pay}"), style["body"]),
        Paragraph(escape(f"异议渠道 How to object：{letter.how_to_object}"), style["body"]),
        Paragraph(escape(f"联系方式 Contact：{letter.contact}"), style["body"]),
        Spacer(1, 8 * mm),
        Paragraph(escape(letter.institution), style["right"]),
        Paragraph(escape(letter.dated), style["right"]),
        Spacer(1, 4 * mm),
        SealBox(font),
        Spacer(1, 6 * mm),
        Paragraph(escape(f"编号 Ref: {letter.reference}"), style["small"]),
    ]
    return story


def render_letters(letters: Sequence[Letter]) -> bytes:
    """One PDF, one letter per page, in the order given (an empty batch is refused)."""
    if not letters:
        raise ValueError("a letter batch needs at least one letter")
    font = register_font()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title="催收函 Demand letters",
        author=letters[0].institution,
    )
    story: list[Flowable] = []
    for index, letter in enumerate(letters):
        if index:
            story.append(PageBreak())
        # A long body is shrunk to fit: never more than one page per letter.
        story.append(
            KeepInFrame(document.width, document.height, letter_flowables(letter, font), mode="shrink")
        )
    document.build(story)
    return buffer.getvalue()


def write_letters(letters: Sequence[Letter], path: Path) -> Path:
    """Write the batch PDF to ``path`` (its folder is created); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_letters(letters))
    return path
