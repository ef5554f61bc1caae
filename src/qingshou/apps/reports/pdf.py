"""The report as PDF (reportlab Platypus, A4 landscape), with the CJK font embedded.

The font is subfont 0 of Debian's ``wqy-microhei.ttc`` registered as a reportlab ``TTFont`` (reportlab
embeds a subset of every TrueType font it draws with). Numbers are drawn as plain table cells — never
wrapped — so the PDF's text reads back exactly as ``format.value_text`` wrote it; sentences and labels are
paragraphs wrapped the CJK way.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from qingshou.apps.reports.charts import CJK_FONT, DPI, SIZE, FontMissing
from qingshou.apps.reports.content import Document, RecommendationView, SectionView, TableView

FONT = "WQYMicroHei"
PAGE = landscape(A4)
MARGIN = 14 * mm
WIDTH = PAGE[0] - 2 * MARGIN


@cache
def register_font() -> str:
    """Register the CJK font with reportlab once (subfont 0 of the TTC); its name."""
    if not CJK_FONT.is_file():
        raise FontMissing(f"{CJK_FONT} is missing: install fonts-wqy-microhei (scripts/system-packages)")
    pdfmetrics.registerFont(TTFont(FONT, str(CJK_FONT), subfontIndex=0))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    return FONT


def _style(name: str, size: float, **options: Any) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=FONT, fontSize=size, leading=size * 1.35, wordWrap="CJK", **options)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    register_font()
    return {
        "title": _style("title", 20, spaceAfter=6),
        "meta": _style("meta", 9, textColor=colors.HexColor("#52606d"), spaceAfter=8),
        "h2": _style("h2", 15, textColor=colors.HexColor("#2f6db5"), spaceBefore=10, spaceAfter=6),
        "h3": _style("h3", 11.5, spaceBefore=8, spaceAfter=4),
        "body": _style("body", 9.5, spaceAfter=3),
        "small": _style("small", 8, textColor=colors.HexColor("#52606d"), spaceAfter=3),
        "cell": _style("cell", 7.5),
        "head": _style("head", 7.5, textColor=colors.HexColor("#1f2933")),
    }


def _p(text: str, style: str) -> Paragraph:
    return Paragraph(escape(text), _styles()[style])


GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#cbd2d9")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f4f8")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
)


def _grid(header: list[str], rows: list[list[Any]], widths: list[float], numeric: list[bool]) -> Table:
    """A table: header and label cells as paragraphs, numbers as plain right-aligned strings."""
    data: list[list[Any]] = [[_p(text, "head") for text in header]]
    for row in rows:
        data.append(
            [
                cell if is_number else _p(str(cell), "cell")
                for cell, is_number in zip(row, numeric, strict=True)
            ]
        )
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = TableStyle(GRID.getCommands())
    for index, is_number in enumerate(numeric):
        if is_number:
            style.add("ALIGN", (index, 1), (index, -1), "RIGHT")
    table.setStyle(style)
    return table


def _widths(numeric: tuple[bool, ...]) -> list[float]:
    """Label columns get twice a number column's width."""
    weights = [1.0 if is_number else 2.0 for is_number in numeric]
    unit = WIDTH / sum(weights)
    return [weight * unit for weight in weights]


def _table(view: TableView) -> list[Flowable]:
    parts: list[Flowable] = [_p(view.title, "h3"), _p(view.definition, "small")]
    if view.rows:
        parts.append(
            _grid(
                list(view.headers),
                [list(row) for row in view.rows],
                _widths(view.numeric),
                list(view.numeric),
            )
        )
    else:
        parts.append(_p(_("No data this month."), "small"))
    return parts


def _evidence(item: RecommendationView) -> Table:
    rows = [[figure.label, figure.text, f"{figure.table} {figure.row}".strip()] for figure in item.evidence]
    header = [_("evidence"), _("value"), _("table")]
    return _grid(header, rows, [WIDTH * 0.5, WIDTH * 0.15, WIDTH * 0.35], [False, True, False])


def _recommendations(items: tuple[RecommendationView, ...], *, with_evidence: bool) -> list[Flowable]:
    if not items:
        return [_p(_("No rule fired this month."), "small")]
    parts: list[Flowable] = []
    for number, item in enumerate(items, start=1):
        block: list[Flowable] = [_p(f"{number}. {item.sentence}", "body")]
        if with_evidence:
            block += [_evidence(item), Spacer(1, 4)]
        parts.append(KeepTogether(block))
    return parts


def _summary(document: Document, section: SectionView) -> list[Flowable]:
    parts: list[Flowable] = [_p(_("Headline figures"), "h3")]
    if section.figures:
        rows = [
            [figure.label, figure.text, f"{figure.table} {figure.row}".strip()] for figure in section.figures
        ]
        header = [_("figure"), _("value"), _("table")]
        parts.append(_grid(header, rows, [WIDTH * 0.5, WIDTH * 0.15, WIDTH * 0.35], [False, True, False]))
    else:
        parts.append(_p(_("No headline figures this month."), "small"))
    parts += [_p(note, "small") for note in document.notes]
    parts.append(_p(_("Top recommendations"), "h3"))
    parts += _recommendations(section.recommendations, with_evidence=False)
    return parts


def _appendix(section: SectionView) -> list[Flowable]:
    parts: list[Flowable] = [_p(_("Tables"), "h3")]
    for key, title, definition in section.definitions:
        parts.append(_p(f"{title} ({key}): {definition}", "small"))
    parts.append(_p(_("Formulas"), "h3"))
    rows = [[name, formula] for name, formula in section.formulas]
    parts.append(_grid([_("metric"), _("formula")], rows, [WIDTH * 0.3, WIDTH * 0.7], [False, False]))
    parts.append(_p(_("Full definitions and sources: docs/metrics.md."), "small"))
    return parts


def _chart(png: bytes) -> Image:
    width = WIDTH * 0.8
    return Image(io.BytesIO(png), width=width, height=width * SIZE[1] / SIZE[0])


def _section(document: Document, number: int, section: SectionView) -> list[Flowable]:
    parts: list[Flowable] = [_p(f"{number}. {section.title}", "h2")]
    if section.key == "summary":
        parts += _summary(document, section)
    for chart in section.charts:
        parts += [_chart(chart.png), _p(chart.title, "small")]
    if section.key == "recommendations":
        parts.append(_p(_("Recommendations and their evidence"), "h3"))
        parts += _recommendations(section.recommendations, with_evidence=True)
        parts.append(_p(_("Credit-policy findings"), "h3"))
        if section.policy:
            parts += [_p(f"• {item.sentence}", "body") for item in section.policy]
        else:
            parts.append(_p(_("No credit-policy finding this month."), "small"))
    for view in section.tables:
        parts += _table(view)
    if section.key == "appendix":
        parts += _appendix(section)
    return parts


def write(document: Document, path: Path) -> Path:
    """Write the PDF of ``document`` to ``path`` (call inside ``translation.override`` of its language)."""
    register_font()
    title = f"{document.title} {document.month}"

    def footer(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(MARGIN, 8 * mm, f"{title} · {doc.page}")
        canvas.restoreState()

    story: list[Flowable] = [
        _p(title, "title"),
        _p(
            f"{_('Month-end snapshot')}: {document.as_of} · {_('previous month-end')}: {document.previous_as_of}"
            f" · {_('Money in yuan')}",
            "meta",
        ),
    ]
    for number, section in enumerate(document.sections, start=1):
        if number > 1:
            story.append(PageBreak())
        story += _section(document, number, section)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="Qingshou",
        lang="en" if document.lang == "en" else "zh-CN",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return path


__all__ = ["DPI", "write"]
