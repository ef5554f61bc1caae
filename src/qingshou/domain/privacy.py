"""Masking of personal data for display (pure, stdlib only).

Pages show personal data masked by default; a permitted user reveals one field at a time (the reveal is
audited, ``qingshou.apps.accounts.services.reveal``). Every masker accepts any string: empty stays empty,
surrounding blanks are dropped, and a value too short to keep a recognisable part is masked entirely, so a
masker never shows more than it would of a normal value.

- ``mask_phone``: first 3 and last 4 digits, ``13812345678`` → ``138****5678``; 8 digits or fewer keep the
  last 2 (``****78``).
- ``mask_id_number``: first 6 (the region code) and last 4, ``110101199001011234`` → ``110101********1234``;
  10 characters or fewer are masked entirely.
- ``mask_address``: the administrative divisions down to the district or county are kept,
  ``北京市朝阳区建国路88号`` → ``北京市朝阳区****``; an address without Chinese divisions keeps only its last
  comma-separated part when it holds no digit (``12 Main St, Springfield`` → ``****, Springfield``), else
  nothing (``****``).
- ``mask_email``: first character of the local part and the domain, ``z.san@example.com`` → ``z***@example.com``.
- ``mask_name``: the family name (compound ones such as 欧阳 included), ``张三`` → ``张*``,
  ``欧阳修文`` → ``欧阳**``; a name in Latin letters keeps its first letter (``J***``).
- ``mask_contact_address``: the compact form of the compliance report for a contact's "number or address"
  (a phone, an e-mail or a postal address, whichever it is).
"""

from __future__ import annotations

import re
from typing import Final

STARS: Final = "****"

#: Compound family names (复姓) kept whole by ``mask_name``.
COMPOUND_SURNAMES: Final = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐", "宇文",
        "夏侯", "轩辕", "司徒", "司空", "端木", "澹台", "申屠", "西门", "南宫", "独孤", "万俟", "闻人",
        "呼延", "赫连", "钟离", "太史", "东郭", "百里", "第五", "单于", "拓跋", "完颜",
    }
)  # fmt: skip

_NAME = r"[^\s省市区县州盟旗0-9０-９]"
_PROVINCE = (
    rf"(?:北京市|天津市|上海市|重庆市|{_NAME}{{2,7}}?省|{_NAME}{{2,10}}?自治区|{_NAME}{{2,4}}?特别行政区)"
)
_CITY = rf"(?:{_NAME}{{1,10}}?(?:自治州|地区|盟|市))"
_DISTRICT = rf"(?:{_NAME}{{1,8}}?(?:区|县|旗|市))"
_DIVISIONS: Final = re.compile(rf"^(?:{_PROVINCE}{_CITY}?{_DISTRICT}?|{_CITY}{_DISTRICT}?)")
_SEPARATORS: Final = str.maketrans("", "", " -()")


def _digits(value: str) -> str:
    return value.strip().translate(_SEPARATORS)


def mask_phone(value: str) -> str:
    """A phone number: ``13812345678`` → ``138****5678``; 8 digits or fewer → ``****`` + the last 2."""
    digits = _digits(value)
    if not digits:
        return ""
    if len(digits) > 8:
        return digits[:3] + STARS + digits[-4:]
    if len(digits) > 2:
        return STARS + digits[-2:]
    return STARS


def mask_id_number(value: str) -> str:
    """An ID number: the first 6 and last 4 characters stay, one ``*`` per hidden character
    (``110101********1234``); 10 characters or fewer are all hidden."""
    text = value.strip()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_address(value: str) -> str:
    """A postal address kept down to the district or county: ``北京市朝阳区建国路88号`` → ``北京市朝阳区****``;
    other addresses keep only a digit-free last comma-separated part (the town)."""
    text = value.strip()
    if not text:
        return ""
    match = _DIVISIONS.match(text)
    if match:
        return match.group(0) + STARS
    tail = text.rpartition(",")[2].strip()
    return f"{STARS}, {tail}" if tail and tail != text and not any(ch.isdigit() for ch in tail) else STARS


def mask_email(value: str) -> str:
    """An e-mail address: ``z.san@example.com`` → ``z***@example.com``; without ``@`` → ``***``."""
    text = value.strip()
    if not text:
        return ""
    local, at, domain = text.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def _surname_length(text: str) -> int:
    return 2 if len(text) > 2 and text[:2] in COMPOUND_SURNAMES else 1


def mask_name(value: str) -> str:
    """A person's name: the family name and one ``*`` per hidden character (``张*``, ``欧阳**``); a Latin
    name keeps its first letter and hides the rest behind ``***``; a one-character name → ``*``."""
    text = value.strip()
    if not text:
        return ""
    if text.isascii():
        return text[:1] + "***" if len(text) > 1 else "*"
    if len(text) == 1:
        return "*"
    kept = _surname_length(text)
    return text[:kept] + "*" * (len(text) - kept)


def mask_contact_address(value: str) -> str:
    """The compliance report's compact form of a contact's number or address: an e-mail or a phone as
    above (a short number keeps its last 2 digits), a postal address its first 6 characters + ``***``."""
    text = value.strip()
    if "@" in text:
        return mask_email(text)
    digits = _digits(text)
    if digits.lstrip("+").isdigit():
        return digits[:3] + STARS + digits[-4:] if len(digits) > 7 else STARS + digits[-2:]
    return text[:6] + "***" if len(text) > 6 else "***"
