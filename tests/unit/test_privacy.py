"""Masking of personal data (``qingshou.domain.privacy``): what each masker keeps, and that short, empty or
odd values never show more than a normal one."""

from __future__ import annotations

import pytest

from qingshou.domain.privacy import (
    mask_address,
    mask_contact_address,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        (" 138-1234-5678 ", "138****5678"),
        ("+8613812345678", "+86****5678"),
        ("010-62345678", "010****5678"),
        ("62345678", "****78"),
        ("110", "****10"),
        ("12", "****"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_phone(value: str, expected: str) -> None:
    assert mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("110101199001011234", "110101********1234"),
        ("11010119900101123X", "110101********123X"),
        ("110101900101123", "110101*****1123"),
        ("1234567890", "**********"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_id_number(value: str, expected: str) -> None:
    assert mask_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("上海市浦东新区某路1号", "上海市浦东新区****"),
        ("广东省深圳市南山区科技园南区", "广东省深圳市南山区****"),
        ("广西壮族自治区南宁市青秀区民族大道", "广西壮族自治区南宁市青秀区****"),
        ("湖北省恩施土家族苗族自治州恩施市舞阳大道", "湖北省恩施土家族苗族自治州恩施市****"),
        ("江苏省昆山市玉山镇1号", "江苏省昆山市****"),
        ("北京市朝阳区建国门外大街市场", "北京市朝阳区****"),
        ("12 Main Street, Springfield", "****, Springfield"),
        ("12 Main Street, 10001", "****"),
        ("某小区3栋", "****"),
        ("", ""),
    ],
)
def test_mask_address_keeps_the_divisions_down_to_the_district(value: str, expected: str) -> None:
    assert mask_address(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("z.san@example.com", "z***@example.com"),
        ("a@b.cn", "a***@b.cn"),
        ("@example.com", "***@example.com"),
        ("not-an-email", "***"),
        ("", ""),
    ],
)
def test_mask_email(value: str, expected: str) -> None:
    assert mask_email(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳修文", "欧阳**"),
        ("欧阳修", "欧阳*"),
        ("欧阳", "欧*"),
        ("司马相如", "司马**"),
        ("王", "*"),
        ("John Smith", "J***"),
        ("J", "*"),
        ("", ""),
    ],
)
def test_mask_name_keeps_the_family_name(value: str, expected: str) -> None:
    assert mask_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812341234", "138****1234"),
        ("z.san@example.com", "z***@example.com"),
        ("上海市浦东新区某路1号", "上海市浦东新***"),
        ("12345", "****45"),
        ("短地址", "***"),
    ],
)
def test_c8_mask_contact_address_is_the_report_form(value: str, expected: str) -> None:
    """C8 report: the compact form of a contact's number or address (unchanged from issue 4)."""
    assert mask_contact_address(value) == expected


@pytest.mark.parametrize(
    "masker", [mask_phone, mask_id_number, mask_address, mask_email, mask_name, mask_contact_address]
)
@pytest.mark.parametrize("value", ["13812345678", "110101199001011234", "北京市朝阳区建国路88号", "张三丰"])
def test_masked_value_never_contains_the_whole_value(masker: object, value: str) -> None:
    assert callable(masker)
    assert value not in masker(value)
