"""Letters as PDF (C8): a batch file, one letter per page, the CJK font embedded, every C8 field on the page.

pypdf is not installed, so the PDF is checked in its bytes: pages are the ``/Type /Page`` objects, the font
is embedded when a ``/FontFile2`` stream exists and the page fonts name our TrueType face (not a CID font
such as STSong-Light that a viewer would have to supply). The text drawn is checked on the flowables the
page is built from (the glyphs in the file are subset indices, not readable text).
"""

from __future__ import annotations

import re

from reportlab.platypus import Paragraph, Table

from qingshou.channels.letters import FONT_NAME, SEAL_LABEL, Letter, SealBox, letter_flowables, render_letters

FIGURES = (
    ("逾期本金 Overdue principal", "1,033.33 元"),
    ("利息 Interest", "12.50 元"),
    ("罚息 Penalty interest", "3.01 元"),
    ("复利 Compound interest", "0.09 元"),
    ("逾期天数 Days overdue", "37 天"),
    ("合计应还 Total due", "1,048.93 元"),
)


def letter(name: str, body: str = "您的贷款已逾期，请尽快还款。") -> Letter:
    return Letter(
        reference=f"2026-11-28|demand/{name}|letter|北京市",
        addressee=name,
        address="北京市朝阳区建国路 1 号",
        title="逾期贷款催收函",
        body=body,
        figures=FIGURES,
        how_to_pay="手机银行还款",
        how_to_object="15 日内致电客服提出异议",
        contact="客服热线 400-000-0000",
        institution="清收示范银行",
        dated="2026年11月28日",
    )


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_c8_batch_pdf_has_one_page_per_letter() -> None:
    pdf = render_letters([letter("张三"), letter("李四"), letter("王五")])
    assert pdf.startswith(b"%PDF-")
    assert pages(pdf) == 3
    assert re.search(rb"/Count\s+3\b", pdf)


def test_c8_a_long_letter_still_fits_one_page() -> None:
    pdf = render_letters([letter("张三", "您的贷款已逾期，请尽快还款。\n" * 120), letter("李四")])
    assert pages(pdf) == 2


def test_cjk_font_is_embedded_not_a_viewer_cid_font() -> None:
    pdf = render_letters([letter("张三")])
    assert b"/FontFile2" in pdf
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+" + FONT_NAME.encode(), pdf), "a subset of our TrueType face"
    assert b"STSong" not in pdf
    assert b"UniGB-UCS2-H" not in pdf


def test_c8_each_page_carries_every_required_field_and_a_seal_box() -> None:
    """C8: name, the six figures, how to pay, how to object, contact — and the seal placeholder."""
    story = letter_flowables(letter("张三"), FONT_NAME)
    text = "\n".join(item.getPlainText() for item in story if isinstance(item, Paragraph))
    [table] = [item for item in story if isinstance(item, Table)]
    cells = [tuple(row) for row in table._cellvalues]
    assert cells == [tuple(row) for row in FIGURES]
    for expected in (
        "张三 收",
        "手机银行还款",
        "15 日内致电客服提出异议",
        "客服热线 400-000-0000",
        "清收示范银行",
    ):
        assert expected in text
    [seal] = [item for item in story if isinstance(item, SealBox)]
    assert SEAL_LABEL.startswith("（机构盖章处")
    assert seal.width > 0
    assert seal.height > 0


def test_an_empty_batch_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="at least one letter"):
        render_letters([])
