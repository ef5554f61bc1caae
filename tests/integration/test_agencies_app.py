"""Outside agencies (issue 6) against the database: placement (manual and by rules) within capacity and the
evaluation rule (C8), recall at the end of the term (service and the EOD step) ending the agency's access,
commission from cash posted inside vs outside the placement window, the ranking, the pages by role, and
**agency isolation**: every route of the site and of the API that takes a case (or a loan, or a placement)
is enumerated from the URL resolver — a route added later is covered without touching this file — and
answers 404 to an agency user for another agency's case. Contacts an agency user logs go through the same
C8 check and count against the same daily caps as the institution's calls."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agencies_support import DAY, Book, agency_book, contract, pay, place
from qingshou import config
from qingshou.apps.agencies import services
from qingshou.apps.agencies.eod import RECALLED, RecallPlacements, recall_placements
from qingshou.apps.agencies.models import CommissionRow, Placement
from qingshou.apps.api.tokens import create_token
from qingshou.apps.audit.models import AuditEvent
from qingshou.apps.cases.models import Action, Case
from qingshou.apps.cases.services.contacts import ContactForm, record_contact
from qingshou.apps.cases.services.daily import COLLECTION, Skipped
from qingshou.apps.contacts.models import ContactAttempt, ContactParty
from qingshou.apps.eod.services.run import STORE_STEPS, EodContext, SharedInputs
from qingshou.cli import build
from qingshou.domain.agencies import AgencyError
from qingshou.store import Store
from workbench_book import local

pytestmark = [pytest.mark.db]

ClientFor = Callable[[Any], Client]


@pytest.fixture
def book(db: None) -> Book:
    return agency_book()


def case_of(book: Book, name: str) -> Case:
    return Case.objects.get(pk=book.cases[name].pk)


# --- placement, capacity, evaluation ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_supervisor_places_a_case_and_the_agency_sees_it(book: Book, client_for: ClientFor) -> None:
    client = client_for(book.users["ag1"])
    case = book.cases["B4"]
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 404
    placement = place(book, "B4", "AG1")
    assert placement.term_ends_on == DAY + timedelta(days=29)  # 30 days, the placing day included
    assert (placement.cohort, placement.bucket, placement.balance_fen) == ("2026-03", "M4", 9_000_000)
    assert case_of(book, "B4").agency_id == "AG1"
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 200
    portal = client.get(reverse("agencies:portal"))
    assert portal.status_code == 200
    assert f'data-placement="{placement.pk}"' in portal.text
    assert "张4" not in portal.text
    assert "13812340004" not in portal.text
    assert "138****0004" in portal.text
    assert AuditEvent.objects.filter(action="agency.place", target_id=str(placement.pk)).exists()
    with pytest.raises(AgencyError, match="placed already"):
        place(book, "B4", "AG2")


@pytest.mark.django_db
def test_capacity_is_respected(db: None) -> None:
    book = agency_book(capacity=1)
    place(book, "B4", "AG1")
    with pytest.raises(AgencyError, match="at capacity"):
        place(book, "B2", "AG1")
    assert place(book, "B2", "AG2").agency_id == "AG2"


@pytest.mark.django_db
def test_an_overdue_evaluation_blocks_placement_and_renewal(db: None) -> None:
    """C8: evaluated at least yearly — the contract started 2025-06-01 and was never evaluated: from
    2026-06-02 it takes no placements and cannot be renewed until evaluated."""
    book = agency_book(evaluated_on=None)
    with pytest.raises(AgencyError, match="evaluation_overdue"):
        place(book, "B4", "AG1", on=date(2026, 6, 2))
    contract_id = services.candidates(date(2026, 6, 2))[0].contract_id
    with pytest.raises(AgencyError, match="evaluation_overdue"):
        services.renew_contract(None, contract_id, date(2026, 6, 2), "AG1-2027", date(2027, 12, 31))
    services.evaluate(None, contract_id, date(2026, 6, 2), 80, True)
    assert place(book, "B4", "AG1", on=date(2026, 6, 3)).agency_id == "AG1"
    renewed = services.renew_contract(None, contract_id, date(2026, 6, 3), "AG1-2027", date(2027, 12, 31))
    assert renewed.renews_id == contract_id


@pytest.mark.django_db
def test_placement_by_rules_takes_the_days_proposals_by_performance(book: Book) -> None:
    for name in ("B2", "B4"):
        case = book.cases[name]
        Action.objects.create(
            as_of=DAY,
            case=case,
            borrower_id=case.borrower_id,
            loan_id=case.lead_loan_id,
            segment="late",
            path="agency",
            arm="champion",
            step="agency1",
            action=Action.Kind.AGENCY_PLACEMENT,
            priority=50,
            planned_at=local(9),
            outcome="allow",
        )
    # AG2 recovered half of an earlier placement's balance, AG1 has no history: AG2 is the champion
    old = place(book, "B1", "AG2", on=date(2026, 1, 5))
    pay("L1", date(2026, 1, 10), 250_000)
    services.recall(book.users["sup1"], old.pk, date(2026, 1, 20), "test")
    run = services.place_by_rules(book.users["sup1"], DAY, challenger_share=0)
    assert [(p.case_id, p.agency_id, p.arm, p.method) for p in run.placed] == [
        (book.cases["B4"].pk, "AG2", "champion", "rules"),  # largest balance first
        (book.cases["B2"].pk, "AG2", "champion", "rules"),
    ]
    assert run.unplaced == []
    everyone = services.place_by_rules(None, DAY + timedelta(days=1), case_ids=[book.cases["B3"].pk])
    assert [p.agency_id for p in everyone.placed] == ["AG2"]


# --- recall ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recall_at_the_end_of_the_term_ends_access(book: Book, client_for: ClientFor) -> None:
    placement = place(book, "B4", "AG1")
    client = client_for(book.users["ag1"])
    assert client.get(reverse("cases:case", args=[book.cases["B4"].pk])).status_code == 200
    assert services.recall_due(placement.term_ends_on - timedelta(days=1)) == []
    assert services.recall_due(placement.term_ends_on) == [placement.pk]
    placement.refresh_from_db()
    assert (placement.status, placement.recalled_on, placement.recall_reason) == (
        "recalled",
        placement.term_ends_on,
        "term_end",
    )
    assert case_of(book, "B4").agency_id is None
    assert_no_route_reaches(client, create_token("ag1", "t").key, book.cases["B4"])
    assert "data-placement" not in client.get(reverse("agencies:portal")).text


@pytest.mark.django_db
def test_a_supervisor_recalls_early_with_a_reason(book: Book) -> None:
    placement = place(book, "B4", "AG1")
    with pytest.raises(AgencyError, match="reason"):
        services.recall(book.users["sup1"], placement.pk, DAY + timedelta(days=3), " ")
    services.recall(book.users["sup1"], placement.pk, DAY + timedelta(days=3), "complaint")
    assert Placement.objects.get(pk=placement.pk).recalled_on == DAY + timedelta(days=3)
    with pytest.raises(AgencyError, match="placed again only after 2026-03-13"):
        place(book, "B4", "AG2", on=DAY + timedelta(days=3))
    assert place(book, "B4", "AG2", on=DAY + timedelta(days=4)).agency_id == "AG2"


@pytest.mark.django_db(transaction=True)
def test_the_eod_step_recalls_expired_and_closed_placements_in_sql(db: None) -> None:
    book = agency_book()
    expired = place(book, "B4", "AG1")
    closed = place(book, "B2", "AG2")
    still = place(book, "B1", "AG2")
    Case.objects.filter(pk=book.cases["B2"].pk).update(status="closed", closed_on=DAY + timedelta(days=5))
    day = expired.term_ends_on + timedelta(days=2)
    Placement.objects.filter(pk__in=[still.pk, closed.pk]).update(term_ends_on=day + timedelta(days=10))
    with Store(config.adbc_uri()) as store:
        with store.transaction():
            done = recall_placements(store, day)
        with store.transaction():
            again = recall_placements(store, day)
    assert done == {"term_end": [expired.pk], "case_closed": [closed.pk]}
    assert again == {"term_end": [], "case_closed": []}
    rows = {p.pk: p for p in Placement.objects.all()}
    assert (rows[expired.pk].recalled_on, rows[expired.pk].recall_reason) == (
        expired.term_ends_on,
        "term_end",
    )
    assert (rows[closed.pk].recalled_on, rows[closed.pk].recall_reason) == (day, "case_closed")
    assert rows[still.pk].status == "active"
    assert case_of(book, "B4").agency_id is None
    assert case_of(book, "B2").agency_id is None
    assert case_of(book, "B1").agency_id == "AG2"
    audit = AuditEvent.objects.filter(action="agency.recall").order_by("target_id")
    assert [(e.actor_name, e.detail["reason"]) for e in audit] == [
        ("system", "term_end"),
        ("system", "case_closed"),
    ]
    assert audit[0].detail["agency"] == "AG1"


@pytest.mark.django_db(transaction=True)
def test_the_recall_step_runs_after_write_cases_and_skips_an_old_backfill(tmp_path: Path) -> None:
    book = agency_book()
    placement = place(book, "B4", "AG1")
    names = [step.name for step in STORE_STEPS]
    assert names.index("recall placements") > names.index("write cases")
    step = next(s for s in STORE_STEPS if isinstance(s, RecallPlacements))
    with Store(config.adbc_uri()) as store:
        context = EodContext(
            as_of=placement.term_ends_on,
            run_id=0,
            engine="polars",
            kernel=None,  # type: ignore[arg-type]
            store=store,
            lake=tmp_path,
            shared=SharedInputs(),
            extras={COLLECTION: Skipped("backfill")},
        )
        with store.transaction():
            step(context)
        assert RECALLED not in context.extras
        assert case_of(book, "B4").agency_id == "AG1"
        context.extras.pop(COLLECTION)
        with store.transaction():
            step(context)
    assert context.extras[RECALLED] == {"term_end": [placement.pk], "case_closed": []}
    assert case_of(book, "B4").agency_id is None


@pytest.mark.django_db
def test_the_cli_places_computes_commission_and_ranks(book: Book) -> None:
    placed = invoke(
        "agencies", "place", "--as-of", DAY.isoformat(), "--case", str(book.cases["B4"].pk), "--json"
    )
    assert placed.exit_code == 0, placed.output
    agency = json.loads(placed.output)["placed"][0]["agency"]
    assert agency in {"AG1", "AG2"}  # neither has history: the arm (stable hash) decides
    pay("L4", DAY, 1_000_00)
    commission = invoke("agencies", "commission", "--month", "2026-03", "--json")
    assert commission.exit_code == 0, commission.output
    [row] = json.loads(commission.output)["agencies"]
    assert (row["agency"], row["recovered"], row["commission"]) == (agency, "1000.00", "200.00")  # M4: 20 %
    assert invoke("agencies", "commission", "--month", "March").exit_code == 2
    ranking = json.loads(invoke("agencies", "ranking", "--as-of", DAY.isoformat(), "--json").output)
    assert ranking["overall"][0]["recovery_rate"] == "0.0111"  # 1 000 / 90 000
    listed = json.loads(invoke("agencies", "list", "--as-of", DAY.isoformat(), "--json").output)
    assert {c["agency"]: (c["open_placements"], c["blocked"]) for c in listed["contracts"]} == {
        "AG1": (int(agency == "AG1"), None),
        "AG2": (int(agency == "AG2"), None),
    }
    recalled = invoke("agencies", "recall", "--as-of", (DAY + timedelta(days=29)).isoformat(), "--json")
    assert json.loads(recalled.output) == {"recalled": [Placement.objects.get().pk]}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(build(), list(args))


# --- commission and ranking ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_commission_counts_cash_posted_inside_the_placement_only(book: Book) -> None:
    placement = place(book, "B4", "AG1")  # 2026-03-10 … 2026-04-08, M4: 20 % to 10 000, 25 % above
    pay("L4", DAY - timedelta(days=1), 100_000_00)  # the day before: outside
    pay("L4", DAY, 6_000_00)  # the placing day: inside
    pay("L4", DAY + timedelta(days=5), 1_000_00, kind="waiver")  # not cash: never counts
    pay("L4", date(2026, 3, 31), 5_000_00)  # inside, March
    pay("L4", placement.term_ends_on, 2_000_00)  # the last day: inside, April
    pay("L4", placement.term_ends_on + timedelta(days=1), 50_000_00)  # after the term: outside
    pay("L1", DAY, 7_000_00)  # another borrower
    march = services.commission_statement(book.users["sup1"], "2026-03")
    assert [(r.placement_id, r.recovered_fen, r.recovered_before_fen, r.commission_fen) for r in march] == [
        (placement.pk, 11_000_00, 0, 2_250_00)  # 20 % of 10 000 + 25 % of 1 000
    ]
    april = services.commission_statement(book.users["sup1"], "2026-04")
    assert [(r.recovered_fen, r.recovered_before_fen, r.commission_fen) for r in april] == [
        (2_000_00, 11_000_00, 500_00)
    ]
    # a rerun replaces the month's rows (a late payment inside the window changes the statement)
    pay("L4", date(2026, 4, 1), 1_000_00)
    again = services.commission_statement(book.users["sup1"], "2026-04")
    assert [(r.recovered_fen, r.commission_fen) for r in again] == [(3_000_00, 750_00)]
    assert CommissionRow.objects.filter(month="2026-04").count() == 1
    assert services.commission_statement(None, "2026-05") == []
    with pytest.raises(AgencyError, match="YYYY-MM"):
        services.commission_statement(None, "2026-13")


@pytest.mark.django_db
def test_whole_amount_contracts_pay_the_band_rate_on_everything(db: None) -> None:
    book = agency_book(mode="whole")
    place(book, "B4", "AG1")
    pay("L4", DAY, 10_000_01)  # one fen above the first band: 25 % of all
    rows = services.commission_statement(None, "2026-03")
    assert [r.commission_fen for r in rows] == [2_500_00]


@pytest.mark.django_db
def test_ranking_by_cohort_and_complaints(book: Book, client_for: ClientFor) -> None:
    first = place(book, "B4", "AG1")  # balance 90 000
    second = place(book, "B2", "AG2")  # balance 15 000
    pay("L4", DAY + timedelta(days=1), 9_000_00)  # 10 %
    pay("L2", DAY + timedelta(days=1), 1_500_00)  # 10 %
    services.add_complaint(None, second.pk, DAY + timedelta(days=2), "called at night")
    result = services.ranking(DAY + timedelta(days=3))
    assert [
        (r.rank, r.result.agency_id, str(r.result.recovery_rate), r.result.complaints) for r in result.overall
    ] == [
        (1, "AG1", "0.1000", 0),
        (2, "AG2", "0.1000", 1),
    ]
    assert list(result.by_cohort) == ["2026-03"]
    assert first.cohort == "2026-03"
    page = client_for(book.users["risk_manager"]).get(reverse("agencies:ranking"))
    assert page.status_code == 200
    assert 'data-agency="AG2"' in page.text


# --- pages by role ---------------------------------------------------------------------------------------

PAGES = ("register", "published", "placements", "portal", "commission", "ranking")
#: role → the agency pages it may open (the others: 404).
ALLOWED = {
    "admin": {"register", "published", "placements", "commission", "ranking"},
    "sup1": {"published", "placements", "commission", "ranking"},
    "risk_manager": {"published", "placements", "commission", "ranking"},
    "c1": {"published"},
    "legal_officer": {"published"},
    "auditor": {"published", "placements"},
    "ag1": {"portal"},
    "field_agent": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_agency_pages_by_role(book: Book, client_for: ClientFor, username: str) -> None:
    client = client_for(book.users[username])
    for page in PAGES:
        expected = 200 if page in ALLOWED[username] else 404
        assert client.get(reverse(f"agencies:{page}")).status_code == expected, page


@pytest.mark.django_db
def test_the_published_list_shows_white_listed_contracts_in_force(db: None, client_for: ClientFor) -> None:
    book = agency_book()
    contract("AG2", "AG2-GREY", white_listed=False)
    text = client_for(book.users["c1"]).get(reverse("agencies:published")).text
    assert "91310000AG1-2026" in text
    assert "91310000AG2-GREY" not in text


@pytest.mark.django_db
def test_pages_place_and_recall(book: Book, client_for: ClientFor) -> None:
    sup = client_for(book.users["sup1"])
    case = book.cases["B4"]
    page = sup.get(reverse("cases:case", args=[case.pk]))
    assert 'id="place-form"' in page.text
    sup.post(reverse("agencies:place", args=[case.pk]), {"agency": "AG1", "placed_on": DAY.isoformat()})
    placement = Placement.objects.get(case=case)
    assert 'id="place-form"' not in sup.get(reverse("cases:case", args=[case.pk])).text
    assert f'data-placement="{placement.pk}"' in sup.get(reverse("agencies:placements")).text
    # the agency user sees the case but may neither recall nor place: 403
    ag1 = client_for(book.users["ag1"])
    assert ag1.post(reverse("agencies:recall", args=[placement.pk]), {"reason": "x"}).status_code == 403
    assert ag1.post(reverse("agencies:place_by_rules")).status_code == 403
    sup.post(reverse("agencies:recall", args=[placement.pk]), {"reason": "quality"})
    assert Placement.objects.get(pk=placement.pk).status == "recalled"
    assert ag1.get(reverse("cases:case", args=[case.pk])).status_code == 404


# --- agency isolation ------------------------------------------------------------------------------------


def routes() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every URL pattern of the site and the API: (name, route, converters)."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for item in patterns:
            if isinstance(item, URLResolver):
                inner = f"{namespace}{item.namespace}:" if item.namespace else namespace
                yield from walk(item.url_patterns, prefix + str(item.pattern), inner)
            elif isinstance(item, URLPattern):
                converters = getattr(item.pattern, "converters", {})
                yield f"{namespace}{item.name or ''}", prefix + str(item.pattern), dict(converters)

    yield from walk(get_resolver().url_patterns, "/", "")


#: Path parameters that name a case, a loan or a placement — what an agency user must never reach.
KEYS = {"case_id", "loan_id", "placement_id"}


def targets(case: Case, placement: Placement | None) -> list[tuple[str, str]]:
    """(name, url) of every route taking a case, loan or placement, filled with ``case``'s values (other
    parameters: 1)."""
    values = {
        "case_id": case.pk,
        "loan_id": case.lead_loan_id,
        "placement_id": placement.pk if placement else 0,
    }
    found = []
    for name, route, converters in routes():
        if not KEYS & set(converters):
            continue
        url = route
        for key, converter in converters.items():
            value = values.get(key, 1)
            url = url.replace(f"<{converter_name(converter)}:{key}>", str(value)).replace(
                f"<{key}>", str(value)
            )
        assert "<" not in url, (name, route)
        found.append((name, url))
    return found


def converter_name(converter: Any) -> str:
    from django.urls.converters import get_converters

    return next(name for name, known in get_converters().items() if type(known) is type(converter))


def assert_no_route_reaches(client: Client, key: str, case: Case, placement: Placement | None = None) -> None:
    """Every route of ``case`` (or its loan / placement) answers 404 to the client (405 for the method a
    route does not take; never 2xx, 3xx or 403). API routes get a well-formed contact body so that the
    view (not the body's validation) answers."""
    checked = targets(case, placement)
    names = {name for name, _ in checked}
    assert {"cases:case", "cases:contact", "api:get_case", "api:loan_quote", "agencies:place"} <= names
    party = ContactParty.objects.filter(borrower_id=case.borrower_id).first()
    body = {
        "party_id": party.pk if party else 1,
        "loan_id": case.lead_loan_id,
        "channel": "call",
        "result": "busy",
    }
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    for name, url in checked:
        api = url.startswith("/api/")
        answers = {
            "get": client.get(url, **auth).status_code,  # type: ignore[arg-type]
            "post": (
                client.post(url, body, content_type="application/json", **auth)  # type: ignore[arg-type]
                if api
                else client.post(url, {"reason": "x", "agency": "AG1"})
            ).status_code,
        }
        assert set(answers.values()) <= {404, 405}, (name, url, answers)
        assert 404 in answers.values(), (name, url, answers)


@pytest.mark.django_db
def test_an_agency_user_reaches_no_route_of_another_agencys_case(book: Book, client_for: ClientFor) -> None:
    mine = place(book, "B4", "AG1")
    theirs = place(book, "B2", "AG2")
    ag1 = client_for(book.users["ag1"])
    key = create_token("ag1", "isolation").key
    assert_no_route_reaches(ag1, key, case_of(book, "B2"), theirs)
    assert_no_route_reaches(ag1, key, case_of(book, "B1"))  # the institution's own case
    # not vacuous: the same routes reach ag1's own case
    own = case_of(book, "B4")
    for url in (
        reverse("cases:case", args=[own.pk]),
        reverse("cases:quote", args=[own.pk, own.lead_loan_id]),
        f"/api/cases/{own.pk}",
        f"/api/loans/{own.lead_loan_id}/status",
    ):
        assert ag1.get(url, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200, url
    # lists, search and exports show only the agency's own cases
    listed = ag1.get("/api/cases?limit=50", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert [item["id"] for item in listed["items"]] == [own.pk]
    # and never in bulk: an agency user pages as the portal does (50 rows), a larger page is refused
    for route in ("/api/cases?limit=51", "/api/actions?limit=500"):
        refused = ag1.get(route, HTTP_AUTHORIZATION=f"Bearer {key}")
        assert refused.status_code == 422, route
        assert refused.json()["field"] == "limit"
    assert f"#{book.cases['B2'].pk}" not in ag1.get(reverse("records:search"), {"q": "B2"}).text
    portal = ag1.get(reverse("agencies:portal")).text
    assert f'data-placement="{mine.pk}"' in portal
    assert f'data-placement="{theirs.pk}"' not in portal


@pytest.mark.django_db
def test_every_export_or_bulk_route_refuses_the_agency_role(book: Book, client_for: ClientFor) -> None:
    place(book, "B4", "AG1")
    ag1 = client_for(book.users["ag1"])
    bulk = [
        (name, route)
        for name, route, converters in routes()
        if not converters and any(word in route.lower() for word in ("export", "csv", "bulk", "download"))
    ]
    for name, route in bulk:
        assert ag1.get(route).status_code in {403, 404}, name
    for page in ("placements", "commission", "ranking", "register", "published"):
        assert ag1.get(reverse(f"agencies:{page}")).status_code == 404, page


# --- contacts: the same C8 check and caps ----------------------------------------------------------------


@pytest.mark.django_db
def test_agency_contacts_count_against_the_same_daily_caps(book: Book) -> None:
    """C8: at most 3 connected conversations per debtor per day across the institution and its agencies —
    two by the institution's collector, one by the agency, and the agency's next call is deferred."""
    case = book.cases["B4"]
    Case.objects.filter(pk=case.pk).update(collector=book.users["c1"])
    party = book.parties["B4"]
    call = ContactForm(party_id=party.pk, loan_id="L4", channel="call", result="connected")
    for minute in (0, 5):
        assert record_contact(book.users["c1"], case.pk, call, now=local(10, minute)).allowed
    place(book, "B4", "AG1")
    assert record_contact(book.users["ag1"], case.pk, call, now=local(11)).allowed
    refused = record_contact(book.users["ag1"], case.pk, call, now=local(11, 30))
    assert not refused.allowed
    assert (refused.attempt.outcome, refused.attempt.reason) == ("defer", "connected_call_cap")
    assert ContactAttempt.objects.filter(borrower_id="B4", result="connected").count() == 3


@pytest.mark.django_db
def test_the_commission_page_computes_and_shows_the_statement(book: Book, client_for: ClientFor) -> None:
    place(book, "B4", "AG1")
    pay("L4", DAY + timedelta(days=1), 12_000_00)  # M4: 20 % of 10 000 + 25 % of 2 000 = 2 500
    url = reverse("agencies:commission")
    assert client_for(book.users["risk_manager"]).post(url, {"month": "2026-03"}).status_code == 403
    sup = client_for(book.users["sup1"])
    assert sup.post(url, {"month": "2026-03"}).status_code == 302
    page = sup.get(url, {"month": "2026-03"})
    assert page.status_code == 200
    assert "2,500.00" in page.text
    assert "12,000.00" in page.text
    assert AuditEvent.objects.filter(action="agency.commission").count() == 1


@pytest.mark.django_db
def test_the_register_records_evaluations_and_the_placements_page_complaints(
    book: Book, client_for: ClientFor
) -> None:
    contract_row = services.candidates(DAY)[0]
    admin = client_for(book.users["admin"])
    url = reverse("agencies:evaluate", args=[contract_row.contract_id])
    assert (
        client_for(book.users["sup1"]).post(url, {"evaluated_on": "2026-03-01", "score": "70"}).status_code
        == 404
    )
    admin.post(url, {"evaluated_on": "2026-03-01", "score": "40"})  # not passed
    assert services.candidates(DAY)[0].evaluation.blocks == "evaluation_failed"
    assert "最近一次评估未通过" in admin.get(reverse("agencies:register")).text  # zh-CN by default
    admin.post(url, {"evaluated_on": "2026-03-02", "score": "101", "passed": "on"})  # refused: score
    assert services.candidates(DAY)[0].evaluation.blocks == "evaluation_failed"
    placement = place(book, "B4", "AG2")
    complaint_url = reverse("agencies:complaint", args=[placement.pk])
    assert (
        client_for(book.users["sup1"])
        .post(complaint_url, {"received_on": "2026-03-11", "summary": "x"})
        .status_code
        == 403
    )
    admin.post(complaint_url, {"received_on": "2026-03-11", "summary": "called a relative about the debt"})
    assert placement.complaints.get().summary == "called a relative about the debt"
    assert services.ranking(DAY + timedelta(days=2)).overall[0].result.complaints == 1


@pytest.mark.django_db
def test_the_cli_registers_a_contract_and_refuses_bad_tiers(book: Book, tmp_path: Path) -> None:
    raw = {
        "agency": "AG1",
        "number": "AG1-2027",
        "licence": "91310000X",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        "capacity": 5,
        "buckets": ["M4", "M5"],
        "tiers": {"mode": "whole", "buckets": {"*": [{"upto": None, "rate": "0.18"}]}},
    }
    good = tmp_path / "contract.json"
    good.write_text(json.dumps(raw), encoding="utf-8")
    created = invoke("agencies", "contract", str(good), "--json")
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["number"] == "AG1-2027"
    raw["number"] = "AG1-2028"
    raw["tiers"] = {
        "mode": "whole",
        "buckets": {"*": [{"upto": None, "rate": "0.18"}, {"upto": None, "rate": "0.2"}]},
    }
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    refused = invoke("agencies", "contract", str(bad))
    assert refused.exit_code == 2
    assert "tiers.buckets.*[1]: no band may follow the unlimited band" in refused.output
    evaluated = invoke("agencies", "evaluate", "AG1-2027", "--score", "90", "--passed", "--on", "2027-01-02")
    assert evaluated.exit_code == 0, evaluated.output
