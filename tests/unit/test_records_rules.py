"""Rules of the records app without a database (issue 5): a file's type is read from its bytes (never its
name), the size caps, the search's normalisation and the masking of the audited query (never the full phone
or ID number), and the retention calendar (same calendar day N years earlier; bad settings named)."""

from __future__ import annotations

import io
import wave
import zipfile
from datetime import date
from typing import Any

import pytest
from django.utils import translation
from PIL import Image

from qingshou.apps.records.content import XLSX, ContentError, check_upload, sniff
from qingshou.apps.records.retention import RetentionError, policy, years_before
from qingshou.apps.records.search import masked_query, normal_id_number, normal_phone


def image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (1, 2, 3)).save(buffer, fmt)
    return buffer.getvalue()


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 10)
    return buffer.getvalue()


def archive(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name in names:
            out.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (image("PNG"), "image/png"),
        (image("JPEG"), "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nbroken", None),  # a PNG signature Pillow cannot open
        (image("GIF"), None),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00", "audio/mpeg"),  # an MPEG-1 layer III frame header
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
        (b"\x00\x00\x00\x20ftypqt  \x00\x00\x00\x00", None),  # a QuickTime movie is not a recording
        (wav(), "audio/wav"),
        (archive("[Content_Types].xml", "xl/workbook.xml"), XLSX),
        (archive("[Content_Types].xml", "word/document.xml"), None),  # a DOCX
        (b"PK\x03\x04 not really a zip", None),
        (b"plain text named contract.pdf", None),
        (b"", None),
    ],
)
def test_the_type_is_read_from_the_bytes(content: bytes, expected: str | None) -> None:
    assert sniff(io.BytesIO(content)) == expected


@pytest.mark.parametrize(
    ("content", "size", "recording", "code"),
    [
        (b"%PDF-1.4", 0, False, "empty"),
        (b"%PDF-1.4", 21 * 1024 * 1024, False, "too_large"),
        (b"text", 4, False, "file_type"),
        (b"%PDF-1.4", 8, True, "not_audio"),
        (b"ID3\x04\x00", 5, False, "audio_kind"),
    ],
)
def test_an_upload_is_refused_with_a_reason_naming_the_file(
    content: bytes, size: int, recording: bool, code: str
) -> None:
    with pytest.raises(ContentError) as refused:
        check_upload("合同.pdf", size, io.BytesIO(content), recording=recording)
    assert refused.value.code == code
    assert "合同.pdf" in str(refused.value)


def test_the_caps_come_from_the_settings(settings: Any) -> None:
    settings.QINGSHOU_DOCUMENTS = {"max_bytes": 10, "recording_max_bytes": 1000}
    with translation.override("en"), pytest.raises(ContentError, match="at most 10"):
        check_upload("a.pdf", 11, io.BytesIO(b"%PDF-1.4 ...."), recording=False)
    assert check_upload("a.wav", 500, io.BytesIO(wav()), recording=True) == "audio/wav"


@pytest.mark.parametrize(
    ("query", "phone"),
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("(010) 6512-3456", "01065123456"),
    ],
)
def test_a_phone_query_is_normalised_as_stored(query: str, phone: str) -> None:
    assert normal_phone(query) == phone


def test_an_id_number_query_upper_cases_the_check_character() -> None:
    assert normal_id_number(" 11010119900101123x ") == "11010119900101123X"


@pytest.mark.parametrize(
    ("query", "matched", "kept"),
    [
        ("13812345678", ("phone",), "138****5678"),
        ("13812345678", (), "138****5678"),  # not found: still masked by its shape
        ("11010119900101123x", ("id_number",), "110101********123X"),
        ("张三丰", ("name",), "张**"),
        ("张三丰", (), "张**"),
        ("L-000123", ("loan_id",), "L-000123"),  # ids are not personal data
        ("4711", ("case_id",), "4711"),
        ("L-000123", (), "L***"),  # an unknown query is masked as a name would be
    ],
)
def test_the_audited_query_is_masked_unless_it_matched_only_an_id(
    query: str, matched: tuple[str, ...], kept: str
) -> None:
    assert masked_query(query, matched) == kept


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2029, 6, 1), 2, date(2027, 6, 1)),
        (date(2028, 2, 29), 3, date(2025, 2, 28)),
        (date(2029, 1, 1), 3, date(2026, 1, 1)),
    ],
)
def test_retention_periods_are_whole_calendar_years(day: date, years: int, expected: date) -> None:
    assert years_before(day, years) == expected


def test_the_default_policy_follows_rules_cn_6_6(settings: Any) -> None:
    """§6.6: recordings and collection records ≥ 2 years; notices and documents 3 (limitation, C7)."""
    settings.QINGSHOU_RETENTION = {}
    found = policy()
    assert found.years == {
        "contact_attempts": 2,
        "recordings": 2,
        "promises": 2,
        "visits": 2,
        "documents": 3,
        "notices": 3,
    }
    assert min(found.years.values()) >= 2


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"audit": 5}, "unknown record type 'audit'"),
        ({"notices": 0}, "notices"),
        ({"notices": "3"}, "notices"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_retention_settings_are_named(settings: Any, config: dict[str, Any], message: str) -> None:
    settings.QINGSHOU_RETENTION = config
    with pytest.raises(RetentionError, match=message):
        policy()
