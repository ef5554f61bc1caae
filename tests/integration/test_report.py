"""The monthly report (issue 7): HTML, PDF and XLSX written from a ``MonthData``, and ``qingshou report`` end
to end on the demo-sized book of ``report_support``.

What is checked on every report written: every section in the HTML and the PDF, every table a sheet of the
XLSX holding exactly the table's values (money as exact yuan, ratios as fractions), every number of the
PDF's text traceable to the XLSX, the numbers of every table and figure in the PDF's text equal to the
metrics (``format.value_text``), the CJK font embedded in the PDF, the run recorded with the files' SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from qingshou.analytics.contract import CHARTS, SECTION_TITLES, TABLES, Figure, Kind, MonthData, Note
from qingshou.analytics.format import value_text
from qingshou.analytics.recommend import recommend
from qingshou.apps.reports.models import ReportRun
from qingshou.apps.reports.services import render
from qingshou.cli import build
from report_support import EMPTY_MONTH, MONTH_ENDS, ReportBook, hand_month, pricing_row, report_book

__all__ = ["report_book"]

#: Money (12,345.60) and percentages (1.23%) as ``format.value_text`` writes them.
NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})*\.\d{2}%?")
LIST_MARK = re.compile(r"^(?:\d+\.|•)\s*")


# --- reading a report back --------------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def embedded_fonts(path: Path) -> set[str]:
    """The base names of the PDF's fonts whose program is embedded (``FontFile2``: TrueType)."""
    found: set[str] = set()
    for page in PdfReader(path).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            holder = descendants[0].get_object() if descendants else font
            descriptor = holder.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                found.add(str(font["/BaseFont"]))
    return found


def shown(kind: Kind, value: Any) -> str:
    """A workbook value as the report shows it (money read back as yuan → fen)."""
    if value is None:
        return value_text(kind, None)
    if kind is Kind.FEN:
        return value_text(kind, int(Decimal(str(value)) * 100))
    if kind is Kind.RATE:
        return value_text(kind, Decimal(str(value)))
    if isinstance(value, datetime):
        value = value.date()
    return value_text(kind, value)


def workbook_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(path)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def workbook_texts(sheets: dict[str, list[tuple[Any, ...]]]) -> tuple[set[str], list[str]]:
    """Every value of the workbook as shown, and the sentences of the ``recommendations`` / ``notes`` sheets."""
    texts: set[str] = set()
    for key, spec in TABLES.items():
        for row in sheets[key][1:]:
            texts.update(shown(column.kind, value) for column, value in zip(spec.columns, row, strict=True))
    for row in sheets["figures"][1:]:
        texts.add(str(row[3]))
    sentences = []
    for row in sheets["recommendations"][1:]:
        texts.add(str(row[6]))
        sentences.append(str(row[2]))
    sentences += [str(row[0]) for row in sheets["notes"][1:]]
    return texts, sentences


def check_report(data: MonthData, files: dict[str, Path], lang: str) -> None:
    """Every property of a written report listed in the module docstring (but the run record)."""
    html = files["html"].read_text(encoding="utf-8")
    text = pdf_text(files["pdf"])
    sheets = workbook_rows(files["xlsx"])
    check_sections(html, text, lang == "zh")
    check_workbook(data, sheets, lang == "zh")
    check_pdf_numbers(data, text, sheets)
    # the CJK font is embedded
    assert any("WenQuanYi" in name for name in embedded_fonts(files["pdf"]))


def check_sections(html: str, text: str, zh: bool) -> None:
    # sections, in order, in the HTML and the PDF; every table's title
    positions = []
    for section, (title_zh, title_en) in SECTION_TITLES.items():
        title = title_zh if zh else title_en
        assert f'id="{section.value}"' in html
        assert title in html
        assert title in text, title
        positions.append(text.index(title, positions[-1] if positions else 0))
    for spec in TABLES.values():
        assert f'id="{spec.key}"' in html
        assert (spec.zh if zh else spec.en) in text
    assert html.count("data:image/png;base64,") == len(CHARTS)
    assert "<link" not in html


def check_workbook(data: MonthData, sheets: dict[str, list[tuple[Any, ...]]], zh: bool) -> None:
    # the XLSX: a sheet per table with exactly its values, plus figures and recommendations
    assert set(sheets) == {*TABLES, "figures", "recommendations", "notes"}
    for key, spec in TABLES.items():
        assert list(sheets[key][0]) == [column.zh if zh else column.en for column in spec.columns]
        expected = [
            tuple(_expected(column.kind, v) for column, v in zip(spec.columns, row, strict=True))
            for row in data.tables[key].frame.iter_rows()
        ]  # openpyxl writes floats with 16 significant digits; money, rates and counts are exact
        assert [
            tuple(_back(spec.columns[i].kind, v) for i, v in enumerate(row)) for row in sheets[key][1:]
        ] == expected, key
    assert [row[0] for row in sheets["figures"][1:]] == [figure.key for figure in data.figures]
    assert len(sheets["recommendations"]) - 1 == sum(len(item.evidence) for item in data.recommendations)


def check_pdf_numbers(data: MonthData, text: str, sheets: dict[str, list[tuple[Any, ...]]]) -> None:
    # the numbers of every table and figure in the PDF's text equal the metrics
    for key, table in data.tables.items():
        for row in table.frame.iter_rows():
            for column, value in zip(TABLES[key].columns, row, strict=True):
                if column.kind in (Kind.FEN, Kind.RATIO, Kind.RATE, Kind.COUNT) and value is not None:
                    assert value_text(column.kind, value) in text, (key, column.name, value)
    for figure in data.figures:
        assert value_text(figure.kind, figure.value) in text, figure
    for item in data.recommendations:
        for figure in item.evidence:
            assert value_text(figure.kind, figure.value) in text, figure
    # every number in the PDF's text is traceable to the XLSX
    values, sentences = workbook_texts(sheets)
    for line in text.splitlines():
        fragment = LIST_MARK.sub("", line.strip())  # "1. " / "• " before a recommendation
        for number in NUMBER.findall(line):
            assert number in values or any(fragment in sentence for sentence in sentences), (number, line)


def _expected(kind: Kind, value: Any) -> Any:
    """A contract value as the workbook must hold it (a rate's decimal string as its exact number)."""
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-15)
    if kind is Kind.RATE and value is not None:
        return Decimal(value)
    return value


def _back(kind: Kind, value: Any) -> Any:
    """A workbook value back in the contract's form (fen, date, a rate as an exact decimal)."""
    if value is None:
        return None
    if kind is Kind.RATE:
        return Decimal(str(value))
    if kind is Kind.FEN:
        assert isinstance(value, int | float)
        return int(Decimal(str(value)) * 100)
    if kind in (Kind.MONTH, Kind.DATE) and isinstance(value, datetime):
        return value.date()
    return value


# --- renderers on a hand-built month --------------------------------------------------------------------------


def hand_built() -> MonthData:
    data = hand_month(
        (
            Figure(
                "provision_coverage", "拨备覆盖率", "provision coverage", Kind.RATIO, 1.2, "stock_by_class"
            ),
            Figure("balance", "贷款余额", "balance", Kind.FEN, 123_456_789, "stock_by_bucket"),
        ),
        stock_by_bucket=[
            {
                "bucket": "M0",
                "loans": 100,
                "balance_fen": 100_000_001,
                "overdue_fen": 0,
                "balance_share": 0.98,
            },
            {
                "bucket": "M1",
                "loans": 10,
                "balance_fen": 2_000_000,
                "overdue_fen": 150_005,
                "balance_share": 0.02,
            },
        ],
        roll_rates=[
            {"from_bucket": "M1", "to_bucket": "M2", "loans": 40, "balance_fen": 1_000, "rate": 0.35},
            {"from_bucket": "M1", "to_bucket": "M0", "loans": 60, "balance_fen": 2_000, "rate": 0.65},
        ],
        vintage=[
            {
                "vintage": date(2026, 1, 1),
                "months_on_book": m,
                "disbursed_fen": 100,
                "dpd30_ever_ratio": 0.01 * m,
            }
            for m in range(1, 4)
        ],
        cash_flow=[
            {
                "month": date(2026, m, 1),
                "contractual_fen": 1_000_000,
                "collected_fen": 800_000,
                "gap_fen": 200_000,
            }
            for m in range(1, 6)
        ],
        pricing=[
            pricing_row("A", "0.0800", "approve"),
            pricing_row("E", "0.2400", "decline", pd_=0.4, loss="0.2", required="0.2700"),
        ],
    )
    return replace(
        data,
        recommendations=recommend(data),
        notes=(Note("未提供拨备：不计算拨备覆盖率。", "reserves not supplied: coverage not computed."),),
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_hand_built_month_renders_every_section_table_and_figure(tmp_path: Path, lang: str) -> None:
    data = hand_built()
    assert data.recommendations
    files = render(data, tmp_path, lang)
    check_report(data, files, lang)
    assert all(files[f"chart:{key}"].read_bytes().startswith(b"\x89PNG") for key in CHARTS)
    text = pdf_text(files["pdf"])
    html = files["html"].read_text(encoding="utf-8")
    notes = [row[0] for row in workbook_rows(files["xlsx"])["notes"][1:]]
    if lang == "zh":
        assert "核心指标" in html
        assert "逾期贷款清收报告" in text
        assert "123.45%" not in text  # nothing invented: the coverage figure is 120.00%
        assert "120.00%" in text
        assert "未提供拨备：不计算拨备覆盖率。" in text  # the note in the report's language only
        assert "reserves not supplied" not in text + html
        assert notes == ["未提供拨备：不计算拨备覆盖率。"]
    else:
        assert "Headline figures" in html
        assert "Overdue loan collection report" in text
        assert "核心指标" not in html
        assert "reserves not supplied: coverage not computed." in text
        assert notes == ["reserves not supplied: coverage not computed."]
    # the pricing table's rates are exact decimals (C9), shown as percentages; the declined grade says so
    pricing = load_workbook(files["xlsx"])["pricing"]
    assert [Decimal(str(cell.value)) for cell in pricing["J"][1:]] == [Decimal("0.08"), Decimal("0.24")]
    assert pricing["J2"].number_format == "0.00%"
    assert ("拒绝（超出法定上限）" if lang == "zh" else "decline") in text
    # the workbook's money is exact yuan and formatted with two decimals; ratios are percentages
    sheet = load_workbook(files["xlsx"])["stock_by_bucket"]
    assert Decimal(str(sheet["C2"].value)) == Decimal("1000000.01")
    assert sheet["C2"].number_format == "#,##0.00"
    assert sheet["E2"].number_format == "0.00%"


def test_an_empty_month_still_renders(tmp_path: Path) -> None:
    data = hand_month()
    files = render(data, tmp_path, "zh")
    check_report(data, files, "zh")
    assert "本月无数据。" in pdf_text(files["pdf"])


# --- end to end on the demo-sized book ------------------------------------------------------------------------


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(build(), list(args))


@pytest.mark.db
@pytest.mark.django_db
def test_report_end_to_end(report_book: ReportBook, tmp_path: Path) -> None:
    from qingshou.analytics.month import build_month

    day = MONTH_ENDS[-1]
    result = run_cli(
        "report", "--month", f"{day:%Y-%m}", "--out", str(tmp_path), "--reserves", "1000000", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["status"] == "succeeded"
    run = ReportRun.objects.get()
    assert (run.month, run.as_of, run.lang, run.requested_by) == (day.replace(day=1), day, "zh", "cli")
    assert run.reserves_fen == 100_000_000
    for item in run.files:
        path = tmp_path / item["name"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"]
    stem = tmp_path / f"qingshou-report-{day:%Y-%m}-zh"
    files = {kind: Path(f"{stem}.{kind}") for kind in ("html", "pdf", "xlsx")}
    # the report's numbers are the metrics' numbers
    data = build_month(report_book.sources(day, reserves_fen=100_000_000))
    assert data.tables["stock_by_bucket"].frame.height > 0
    assert run.recommendations == summary["recommendations"]
    data = replace(data, recommendations=_recommendations_in(files["xlsx"], data))
    check_report(data, files, "zh")
    # the notes are in the report's language: 4 month-ends, so the PD is observed over 3 months
    text = pdf_text(files["pdf"])
    assert "违约概率（PD）仅基于 3 个月的历史观察（应为12个月）" in text
    assert "PD observed" not in text


def _recommendations_in(path: Path, data: MonthData) -> tuple[Any, ...]:
    """The run's recommendations (they compare with the previous month) are checked through the XLSX: the
    evidence rows there must each be in the PDF; the month's own tables and figures are rebuilt above."""
    from qingshou.analytics.contract import Recommendation

    rows = workbook_rows(path)["recommendations"][1:]
    found: dict[tuple[int, str, str], list[Figure]] = {}
    for priority, key, sentence, figure_key, label, _value, text, table, row in rows:
        figure = Figure(figure_key, label, label, Kind.LABEL, text, table, row or "")
        found.setdefault((priority, key, sentence), []).append(figure)
    return tuple(
        Recommendation(key, priority, s, s, tuple(figures)) for (priority, key, s), figures in found.items()
    )


@pytest.mark.db
@pytest.mark.django_db
def test_report_in_english(report_book: ReportBook, tmp_path: Path) -> None:
    day = MONTH_ENDS[-2]
    result = run_cli(
        "report", "--month", f"{day:%Y-%m}", "--out", str(tmp_path), "--lang", "en", "--no-compare"
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(tmp_path / f"qingshou-report-{day:%Y-%m}-en.pdf")
    for _zh, en in SECTION_TITLES.values():
        assert en in text
    assert "Headline figures" in text
    assert "PD observed over 2 month(s) of history (12 wanted)" in text
    assert "违约概率" not in text
    assert ReportRun.objects.get().lang == "en"


@pytest.mark.db
@pytest.mark.django_db
def test_a_month_without_snapshots_exits_2(report_book: ReportBook, tmp_path: Path) -> None:
    result = run_cli("report", "--month", f"{EMPTY_MONTH:%Y-%m}", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert f"no snapshot in {EMPTY_MONTH:%Y-%m}" in result.output
    assert not ReportRun.objects.exists()
    assert not list(tmp_path.iterdir())


@pytest.mark.db
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "expected YYYY-MM"),
        (["--month", "2026-06", "--reserves", "12.345"], "reserves"),
        (["--month", "2026-06", "--reserves", "-1"], "must not be negative"),
        (["--month", "2026-06", "--lang", "fr"], "fr"),
    ],
)
def test_bad_input_is_refused(report_book: ReportBook, tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli("report", "--out", str(tmp_path), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not ReportRun.objects.exists()


@pytest.mark.db
@pytest.mark.django_db
def test_unit_costs_from_the_settings_price_the_cost_to_collect(
    report_book: ReportBook, settings: Any
) -> None:
    """``QINGSHOU_UNIT_COSTS``: a contact at 6.00 yuan and a visit at 200.00 (twice the defaults) make the
    in-house staff time cost twice as much for the same contacts."""
    from qingshou.apps.reports.services import month_data

    def staff_fen() -> int:
        data = month_data(report_book.sources(MONTH_ENDS[-1]), compare=False)
        frame = data.tables["cost_to_collect"].frame
        return int(frame.filter(frame["category"] == "人工（联系）")["cost_fen"][0])

    settings.QINGSHOU_UNIT_COSTS = None
    default = staff_fen()
    assert default > 0
    settings.QINGSHOU_UNIT_COSTS = {"contact": "6.00", "visit": "200.00"}
    assert staff_fen() == 2 * default
