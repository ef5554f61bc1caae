"""Search from the top bar: one box, exact matches only, among the cases the user may see.

What a query is compared with (all of them at once; a query may match several ways):

| field | how |
| --- | --- |
| case id | the query as an integer = ``qs_case.id`` (primary key) |
| loan id | = ``qs_loan.loan_id`` (primary key) → its borrower |
| borrower id | = ``qs_borrower.borrower_id`` (primary key) |
| phone | the query without blanks, dashes, brackets and a leading ``+86`` / ``86`` = ``qs_borrower.phone`` (an 11-digit mobile also as stored with ``+86`` / ``86``) |
| ID number | the query without blanks, its ``x`` upper-cased = ``qs_borrower.id_number`` |
| name | the query without surrounding blanks = ``qs_borrower.name`` |

**Exact, never by prefix.** There is no ``LIKE`` / ``contains`` / ``startswith`` over personal data: a prefix
search would let anyone with the box enumerate phone and ID numbers digit by digit (``138`` → ``1381`` …).
Only the full number finds the borrower.

**Fast on the 1M book.** Every comparison is an equality on an indexed column: the three ids are primary keys;
phone, ID number and name need ``qs_borrower`` indexes on those columns (``qs_borrower_phone_idx``,
``qs_borrower_id_number_idx``, ``qs_borrower_name_idx``: proposed in the Borrower model of apps.loans, which this
app does not own — without them those three lookups are a scan of ``qs_borrower``). The borrower ids found by
these few point lookups are then matched against ``qs_case.borrower_id`` (the foreign-key index) within the
user's scope (``accounts.scoping.visible_cases``), so no query scans the book; the lookups are separate
statements rather than one ``OR`` across joined tables, which planners turn into a scan.

**Scoped, masked, audited.** Results are only cases of ``visible_cases(user)`` (a borrower whose cases are all
out of scope is not found — the page says "no results", as for a borrower that does not exist); names and
phones are masked (``domain.privacy``); each search is one audit event ``search`` whose detail holds the query
masked by its shape (phone, ID number or name; case, loan and borrower ids are not personal data and stay
clear when they matched as such), how it matched and the number of results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from django.db import transaction
from django.db.models import Q

from qingshou.apps.accounts.scoping import visible_cases
from qingshou.apps.audit.services import client_ip, record
from qingshou.apps.cases.models import Case
from qingshou.apps.loans.models import Borrower, Loan
from qingshou.domain.privacy import mask_id_number, mask_name, mask_phone

#: At most this many cases on the results page.
LIMIT: Final = 50
MAX_QUERY: Final = 100
_PHONE_NOISE: Final = str.maketrans("", "", " -()\u3000")
_ID_NUMBER: Final = re.compile(r"^(?:\d{15}|\d{17}[\dX])$")
_PHONE: Final = re.compile(r"^\d{5,15}$")


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The cases found (at most ``LIMIT``, newest first), how the query matched, and whether more exist."""

    query: str
    cases: list[Case]
    matched: tuple[str, ...]
    more: bool


def normal_phone(query: str) -> str:
    """A phone number as the loader stores it: blanks, dashes and brackets dropped, a ``+86`` / ``0086``
    country prefix dropped from an 11-digit mobile number."""
    text = query.strip().translate(_PHONE_NOISE)
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) - len(prefix) == 11:
            return text[len(prefix) :]
    return text


def normal_id_number(query: str) -> str:
    """An ID number: blanks dropped, the check character ``x`` upper-cased."""
    return query.strip().replace(" ", "").upper()


def masked_query(query: str, matched: tuple[str, ...] = ()) -> str:
    """The query as the audit trail keeps it: clear when it matched only as a case / loan / borrower id,
    else masked by its shape (ID number, phone, or a name)."""
    personal = {"phone", "id_number", "name"}
    if matched and not personal.intersection(matched):
        return query
    if _ID_NUMBER.match(normal_id_number(query)):
        return mask_id_number(normal_id_number(query))
    if _PHONE.match(normal_phone(query)):
        return mask_phone(normal_phone(query))
    return mask_name(query)


def _borrowers(query: str) -> tuple[set[str], list[str]]:
    """Borrower ids the query names, by point lookups on indexed columns; and how it matched."""
    found: set[str] = set()
    matched: list[str] = []

    def add(kind: str, ids: list[str]) -> None:
        if ids:
            found.update(ids)
            matched.append(kind)

    add("loan_id", list(Loan.objects.filter(loan_id=query).values_list("borrower_id", flat=True)))
    add("borrower_id", list(Borrower.objects.filter(borrower_id=query).values_list("borrower_id", flat=True)))
    phone = normal_phone(query)
    if _PHONE.match(phone):
        phones = {phone, query.strip()}
        if len(phone) == 11:  # a mobile number may be stored with its country code
            phones |= {f"+86{phone}", f"86{phone}"}
        add(
            "phone",
            list(Borrower.objects.filter(phone__in=phones).values_list("borrower_id", flat=True)[:LIMIT]),
        )
    id_number = normal_id_number(query)
    if _ID_NUMBER.match(id_number):
        numbers = {id_number, id_number.lower()}
        add(
            "id_number",
            list(
                Borrower.objects.filter(id_number__in=numbers).values_list("borrower_id", flat=True)[:LIMIT]
            ),
        )
    name = query.strip()
    if not name.isdigit():
        add("name", list(Borrower.objects.filter(name=name).values_list("borrower_id", flat=True)[:LIMIT]))
    return found, matched


def search(user: Any, query: str, request: Any = None) -> SearchResult:
    """The cases in ``user``'s scope the query names exactly (see the module's table); audited."""
    query = query.strip()[:MAX_QUERY]
    if not query:
        return SearchResult(query="", cases=[], matched=(), more=False)
    borrower_ids, matched = _borrowers(query)
    condition = Q(borrower_id__in=sorted(borrower_ids)) if borrower_ids else Q(pk__in=[])
    if query.isdigit() and len(query) <= 18:
        condition |= Q(pk=int(query))
    cases = list(
        visible_cases(user)
        .filter(condition)
        .select_related("borrower", "collector", "team", "agency")
        .order_by("-opened_on", "-id")[: LIMIT + 1]
    )
    if query.isdigit() and any(case.pk == int(query) for case in cases):
        matched.insert(0, "case_id")
    result = SearchResult(query=query, cases=cases[:LIMIT], matched=tuple(matched), more=len(cases) > LIMIT)
    with transaction.atomic():
        record(
            user,
            "search",
            "records.search",
            {
                "query": masked_query(query, result.matched),
                "matched": list(result.matched),
                "results": len(result.cases),
            },
            ip=client_ip(request) if request is not None else None,
        )
    return result
