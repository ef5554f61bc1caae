"""The synthetic loan book (`qingshou simulate`): files, determinism, schedules, payments and behaviour mix.

One book of 2,000 loans is drawn once per module and read back from its CSV files the way a loader would:
every check below looks at the files, not at the simulator's internals.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from qingshou.calendars import china_calendar
from qingshou.cli.simulate import simulate as simulate_command
from qingshou.domain.loan import LoanTerms, Payment, RepaymentMethod, ScheduledInstallment
from qingshou.domain.policy import ProductPolicy
from qingshou.domain.quote import quote_loan
from qingshou.domain.schedule import build_schedule
from qingshou.simulate import SimulationConfig, SimulationError, simulate_book
from qingshou.simulate.people import is_valid_id_number

AS_OF = date(2025, 6, 30)
LOANS = 2000

# The extract columns the loader reads, as the data format states them.
REQUIRED_COLUMNS = {
    "products": "product_id name kind day_count penalty_markup compound grace_days holiday_rule dpd_origin"
    " rounding waterfall allocation_direction prepayment",
    "borrowers": "borrower_id name id_number phone address region employer monthly_income credit_score",
    "loans": "loan_id borrower_id product_id principal annual_rate disbursed_on term_months repayment_method"
    " first_due_date branch channel accelerated_on",
    "installments": "loan_id seq due_date principal_due interest_due fee_due",
    "payments": "payment_id loan_id paid_on amount channel",
}
AMOUNT = re.compile(r"^\d+\.\d{2}$")


def read_rows(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("book")
    simulate_book(SimulationConfig(loans=LOANS, seed=7, as_of=AS_OF), folder, workers=1)
    return folder


@pytest.fixture(scope="module")
def tables(book: Path) -> dict[str, list[dict[str, str]]]:
    return {table: read_rows(book, table) for table in REQUIRED_COLUMNS}


def by_loan(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[row["loan_id"]].append(row)
    return grouped


def policy_of(row: dict[str, str]) -> ProductPolicy:
    """A products row as the domain's policy (the column allocation_direction is the field direction)."""
    params = {key: value for key, value in row.items() if key not in ("product_id", "allocation_direction")}
    return ProductPolicy.build(row["product_id"], direction=row["allocation_direction"], **params)


# --- files -------------------------------------------------------------------------------------------------


def test_every_file_has_exactly_the_required_columns(book: Path) -> None:
    """Extract format: each of the five CSV files opens with the header the loader reads."""
    for table, columns in REQUIRED_COLUMNS.items():
        with (book / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert header == columns.split(), table


def test_same_seed_gives_byte_identical_files_whatever_the_workers(tmp_path: Path) -> None:
    """Same seed, same files: three chunks drawn in one process or in two give the same bytes."""
    config = SimulationConfig(loans=900, seed=11, as_of=AS_OF, chunk_loans=300)
    simulate_book(config, tmp_path / "one", workers=1)
    simulate_book(config, tmp_path / "two", workers=2)
    for table in REQUIRED_COLUMNS:
        one = (tmp_path / "one" / f"{table}.csv").read_bytes()
        assert one == (tmp_path / "two" / f"{table}.csv").read_bytes(), table


def test_another_seed_gives_another_book(tmp_path: Path) -> None:
    """The seed matters: seeds 1 and 2 draw different loans."""
    for seed in (1, 2):
        simulate_book(SimulationConfig(loans=50, seed=seed, as_of=AS_OF), tmp_path / str(seed), workers=1)
    assert (tmp_path / "1" / "loans.csv").read_bytes() != (tmp_path / "2" / "loans.csv").read_bytes()


def test_parquet_holds_the_same_text_as_csv_and_is_deterministic(tmp_path: Path) -> None:
    """Extract format: Parquet files carry the CSV's values as strings, byte-identical run to run."""
    for name, fmt in (("csv", "csv"), ("pq1", "parquet"), ("pq2", "parquet")):
        config = SimulationConfig(loans=120, seed=5, as_of=AS_OF, fmt=fmt)  # type: ignore[arg-type]
        simulate_book(config, tmp_path / name, workers=1)
    for table in REQUIRED_COLUMNS:
        parquet = tmp_path / "pq1" / f"{table}.parquet"
        assert parquet.read_bytes() == (tmp_path / "pq2" / f"{table}.parquet").read_bytes(), table
        from_csv = pl.read_csv(tmp_path / "csv" / f"{table}.csv", infer_schema=False)
        assert pl.read_parquet(parquet).equals(from_csv), table


def test_omitted_installments_change_nothing_else(tmp_path: Path) -> None:
    """Loader-side generation: a share of loans lacks installment rows; every other file is unchanged."""
    simulate_book(SimulationConfig(loans=400, seed=3, as_of=AS_OF), tmp_path / "all", workers=1)
    config = SimulationConfig(loans=400, seed=3, as_of=AS_OF, omit_installments=0.25)
    simulate_book(config, tmp_path / "some", workers=1)
    for table in ("products", "borrowers", "loans", "payments"):
        assert (tmp_path / "all" / f"{table}.csv").read_bytes() == (
            tmp_path / "some" / f"{table}.csv"
        ).read_bytes()
    with_rows = {row["loan_id"] for row in read_rows(tmp_path / "some", "installments")}
    assert 0.65 <= len(with_rows) / 400 <= 0.85
    full = by_loan(read_rows(tmp_path / "all", "installments"))
    kept = by_loan(read_rows(tmp_path / "some", "installments"))
    assert all(kept[loan_id] == full[loan_id] for loan_id in with_rows)


@pytest.mark.parametrize(
    ("field", "params"),
    [
        ("loans", {"loans": 0}),
        ("seed", {"seed": -1}),
        ("format", {"fmt": "xlsx"}),
        ("omit_installments", {"omit_installments": 1.5}),
        ("chunk_loans", {"chunk_loans": 0}),
    ],
)
def test_bad_configuration_names_the_field(field: str, params: dict[str, object]) -> None:
    """Bad input in a command raises a DomainError subclass naming the field."""
    arguments: dict[str, object] = {"loans": 10, "seed": 1, "as_of": AS_OF, **params}
    with pytest.raises(SimulationError) as caught:
        SimulationConfig(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


# --- products, borrowers, loans ------------------------------------------------------------------------------


def test_products_are_valid_policies_with_varied_parameters(tables: dict[str, list[dict[str, str]]]) -> None:
    """C2, C4, C5: every product row builds a ProductPolicy, and the shelf varies what products may vary."""
    policies = [policy_of(row) for row in tables["products"]]
    assert {policy.grace_days for policy in policies} == {0, 3}
    assert {policy.day_count for policy in policies} == {360, 365}
    assert {policy.holiday_rule.value for policy in policies} == {"none", "next_business_day"}
    assert {str(policy.penalty_markup) for policy in policies} <= {"0.3", "0.4", "0.5"}
    assert {policy.kind.value for policy in policies} == {"retail", "card", "non_retail"}
    assert any(policy.kind.value == "card" and policy.direction.value == "vertical" for policy in policies)
    assert any(policy.rounding.value == "down" for policy in policies)
    assert len({policy.waterfall for policy in policies}) > 1


def test_id_numbers_phones_and_incomes_are_well_formed(tables: dict[str, list[dict[str, str]]]) -> None:
    """Borrowers: 18-digit ID numbers with a valid GB 11643 check digit, 11-digit mobiles, yuan incomes."""
    borrowers = tables["borrowers"]
    assert all(is_valid_id_number(row["id_number"]) for row in borrowers)
    assert all(re.fullmatch(r"1[3-9]\d{9}", row["phone"]) for row in borrowers)
    assert all(AMOUNT.match(row["monthly_income"]) for row in borrowers)
    assert all(350 <= int(row["credit_score"]) <= 950 for row in borrowers)
    assert all("/" in row["region"] and row["address"].startswith(row["region"][:2]) for row in borrowers)
    assert len({row["borrower_id"] for row in borrowers}) == len(borrowers)


def test_borrowers_hold_one_or_several_loans(tables: dict[str, list[dict[str, str]]]) -> None:
    """Every loan's borrower is in the borrowers file; some borrowers hold several loans."""
    borrower_ids = {row["borrower_id"] for row in tables["borrowers"]}
    loans_per_borrower = Counter(row["borrower_id"] for row in tables["loans"])
    assert set(loans_per_borrower) == borrower_ids
    assert sum(1 for count in loans_per_borrower.values() if count > 1) >= 0.1 * len(borrower_ids)


def test_book_has_young_mid_term_and_matured_loans(tables: dict[str, list[dict[str, str]]]) -> None:
    """C1: as of as_of the book holds loans with nothing due yet, loans mid-term and matured loans."""
    stages: Counter[str] = Counter()
    for rows in by_loan(tables["installments"]).values():
        due = sum(1 for row in rows if date.fromisoformat(row["due_date"]) <= AS_OF)
        stages["young" if due == 0 else "matured" if due == len(rows) else "mid"] += 1
    assert all(stages[stage] >= 0.05 * LOANS for stage in ("young", "mid", "matured")), stages


def test_every_repayment_method_and_product_appears(tables: dict[str, list[dict[str, str]]]) -> None:
    """The product mix: all products and all four repayment methods occur in a 2,000-loan book."""
    assert {row["product_id"] for row in tables["loans"]} == {row["product_id"] for row in tables["products"]}
    assert {row["repayment_method"] for row in tables["loans"]} == {m.value for m in RepaymentMethod}


# --- schedules ------------------------------------------------------------------------------------------------


def terms_of(row: dict[str, str]) -> LoanTerms:
    return LoanTerms(
        loan_id=row["loan_id"],
        product_id=row["product_id"],
        principal=Decimal(row["principal"]),
        annual_rate=Decimal(row["annual_rate"]),
        disbursed_on=date.fromisoformat(row["disbursed_on"]),
        term_months=int(row["term_months"]),
        method=RepaymentMethod(row["repayment_method"]),
        first_due_date=date.fromisoformat(row["first_due_date"]) if row["first_due_date"] else None,
        accelerated_on=date.fromisoformat(row["accelerated_on"]) if row["accelerated_on"] else None,
        borrower_id=row["borrower_id"],
    )


def schedule_of(rows: list[dict[str, str]]) -> tuple[ScheduledInstallment, ...]:
    return tuple(
        ScheduledInstallment(
            int(row["seq"]),
            date.fromisoformat(row["due_date"]),
            Decimal(row["principal_due"]),
            Decimal(row["interest_due"]),
            Decimal(row["fee_due"]),
        )
        for row in rows
    )


def test_installments_sum_to_principal_per_loan(tables: dict[str, list[dict[str, str]]]) -> None:
    """C9: per loan, the installments' principal sums exactly to the loan's principal; amounts are fen."""
    installments = by_loan(tables["installments"])
    for loan in tables["loans"]:
        rows = installments[loan["loan_id"]]
        assert all(AMOUNT.match(row[column]) for row in rows for column in ("principal_due", "interest_due"))
        assert sum(Decimal(row["principal_due"]) for row in rows) == Decimal(loan["principal"])


def test_installments_are_the_domain_schedule(tables: dict[str, list[dict[str, str]]]) -> None:
    """The written schedule of every loan is exactly what the domain's build_schedule gives for its terms."""
    installments = by_loan(tables["installments"])
    for loan in tables["loans"]:
        assert schedule_of(installments[loan["loan_id"]]) == build_schedule(terms_of(loan))


# --- payments -------------------------------------------------------------------------------------------------


def test_payments_fall_after_disbursement_and_on_or_before_as_of(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    """C1: every payment is valued after the loan's disbursement and no later than as_of; ids are unique."""
    disbursed = {row["loan_id"]: date.fromisoformat(row["disbursed_on"]) for row in tables["loans"]}
    payments = tables["payments"]
    for row in payments:
        assert disbursed[row["loan_id"]] < date.fromisoformat(row["paid_on"]) <= AS_OF
        assert AMOUNT.match(row["amount"])
        assert Decimal(row["amount"]) > 0
    assert len({row["payment_id"] for row in payments}) == len(payments)


def test_accelerated_loans_were_long_in_default(tables: dict[str, list[dict[str, str]]]) -> None:
    """C7: a few loans are accelerated, each on or before as_of and 90+ days after an unpaid due date."""
    installments = by_loan(tables["installments"])
    accelerated = [row for row in tables["loans"] if row["accelerated_on"]]
    assert 0.002 * LOANS <= len(accelerated) <= 0.05 * LOANS
    for loan in accelerated:
        on = date.fromisoformat(loan["accelerated_on"])
        due_dates = [date.fromisoformat(row["due_date"]) for row in installments[loan["loan_id"]]]
        assert on <= AS_OF
        assert on < due_dates[-1]
        assert min(due_dates) + timedelta(days=90) <= on


@dataclass(frozen=True)
class LoanView:
    """One loan as the files show it: due dates, cumulative amounts due, payments in date order."""

    due_dates: list[date]
    installment_totals: list[Decimal]
    payments: list[tuple[date, Decimal]]
    grace_days: int

    def paid_by(self, day: date) -> Decimal:
        return sum((amount for paid_on, amount in self.payments if paid_on <= day), Decimal(0))

    def due_by(self, index: int) -> Decimal:
        return sum(self.installment_totals[: index + 1], Decimal(0))

    def days_to_settle(self, index: int, as_of: date) -> int:
        """Days from installment ``index``'s due date until cumulative payments covered it (or as_of)."""
        due, owed = self.due_dates[index], self.due_by(index)
        if self.paid_by(due) >= owed:
            return 0
        settled = next((day for day, _ in self.payments if day > due and self.paid_by(day) >= owed), as_of)
        return (settled - due).days

    def partly_paid_when_due(self, index: int) -> bool:
        """Between 20 % and 100 % of installment ``index`` was paid by its due date."""
        before = self.due_by(index - 1) if index else Decimal(0)
        paid = self.paid_by(self.due_dates[index]) - before
        return self.installment_totals[index] * Decimal("0.2") <= paid < self.installment_totals[index]


def behaviour_of(view: LoanView, as_of: date) -> str:
    """Classify a loan from payment totals vs amounts due (the order of the checks matters)."""
    due = [index for index, day in enumerate(view.due_dates) if day <= as_of]
    if not due:
        return "not_due"
    if view.payments and view.paid_by(as_of) >= view.due_by(len(view.due_dates) - 1):
        return "prepaid" if view.payments[-1][0] < view.due_dates[-1] - timedelta(days=31) else "on_time"
    long_due = [index for index in due if view.due_dates[index] <= as_of - timedelta(days=90)]
    if long_due and view.paid_by(as_of) < view.due_by(long_due[-1]):
        return "defaulted"
    if any(view.partly_paid_when_due(index) for index in due):
        return "partial"
    late = [days for days in (view.days_to_settle(index, as_of) for index in due) if days > view.grace_days]
    if any(days > 30 for days in late) and view.paid_by(as_of) >= view.due_by(due[-1]):
        return "cured"
    return "late" if late else "on_time"


def loan_views(tables: dict[str, list[dict[str, str]]]) -> dict[str, LoanView]:
    grace = {row["product_id"]: int(row["grace_days"]) for row in tables["products"]}
    payments = by_loan(tables["payments"])
    installments = by_loan(tables["installments"])
    views = {}
    for loan in tables["loans"]:
        rows = installments[loan["loan_id"]]
        views[loan["loan_id"]] = LoanView(
            due_dates=[date.fromisoformat(row["due_date"]) for row in rows],
            installment_totals=[
                Decimal(row["principal_due"]) + Decimal(row["interest_due"]) + Decimal(row["fee_due"])
                for row in rows
            ],
            payments=sorted(
                (date.fromisoformat(p["paid_on"]), Decimal(p["amount"])) for p in payments[loan["loan_id"]]
            ),
            grace_days=grace[loan["product_id"]],
        )
    return views


def test_behaviour_mix_has_plausible_shares(tables: dict[str, list[dict[str, str]]]) -> None:
    """C2, C3: payment totals vs amounts due show on-time, late, partial, cured, defaulted and prepaid loans.

    Shares are of the loans with something due by as_of; the ranges are broad on purpose (a lender's
    book: mostly paid on time, a minority late, a few per cent 90+ days in default).
    """
    counts = Counter(behaviour_of(view, AS_OF) for view in loan_views(tables).values())
    with_dues = LOANS - counts["not_due"]
    shares = {name: counts[name] / with_dues for name in counts}
    expected = {
        "on_time": (0.50, 0.85),
        "late": (0.05, 0.30),
        "partial": (0.01, 0.10),
        "cured": (0.005, 0.06),
        "defaulted": (0.01, 0.10),
        "prepaid": (0.02, 0.15),
    }
    for name, (low, high) in expected.items():
        assert low <= shares.get(name, 0.0) <= high, (name, shares)


def test_domain_quote_agrees_with_the_behaviour_seen_in_the_files(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    """C2–C5: on-time, prepaid and cured loans are current in the domain's quote; defaulted ones are 90+ DPD.

    Late payments carry an upper estimate of penalty and compound interest, and early payoffs pay the
    remaining schedule, so the domain's ledger must find nothing overdue on loans the files show settled.
    """
    policies = {row["product_id"]: policy_of(row) for row in tables["products"]}
    installments, payments = by_loan(tables["installments"]), by_loan(tables["payments"])
    views, calendar = loan_views(tables), china_calendar()
    seen: Counter[str] = Counter()
    for loan in tables["loans"][:400]:
        behaviour = behaviour_of(views[loan["loan_id"]], AS_OF)
        if behaviour not in ("on_time", "prepaid", "cured", "defaulted"):
            continue
        paid = [
            Payment(p["payment_id"], date.fromisoformat(p["paid_on"]), Decimal(p["amount"]))
            for p in payments[loan["loan_id"]]
        ]
        terms = terms_of(loan)
        schedule = schedule_of(installments[loan["loan_id"]])
        quote = quote_loan(terms, schedule, paid, (), policies[terms.product_id], calendar, AS_OF)
        if behaviour == "defaulted":
            assert quote.dpd > 90, (loan["loan_id"], quote.dpd)
        else:
            assert not quote.delinquent, (loan["loan_id"], behaviour, quote.dpd, quote.total_overdue)
        seen[behaviour] += 1
    assert all(seen[name] > 0 for name in ("on_time", "prepaid", "defaulted")), seen


# --- command line -------------------------------------------------------------------------------------------


def test_cli_writes_the_book_and_reports_rows_as_json(tmp_path: Path) -> None:
    """`qingshou simulate --json` writes the five files and reports the rows it wrote."""
    result = CliRunner().invoke(
        simulate_command,
        [
            "--loans",
            "30",
            "--seed",
            "4",
            "--as-of",
            "2025-06-30",
            "--out",
            str(tmp_path),
            "--quiet",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows"]["loans"] == 30
    assert summary["rows"]["payments"] == len(read_rows(tmp_path, "payments"))


def test_cli_refuses_a_bad_loan_count_with_exit_code_2(tmp_path: Path) -> None:
    """Bad input exits with code 2 and names the field."""
    result = CliRunner().invoke(
        simulate_command, ["--loans", "0", "--as-of", "2025-06-30", "--out", str(tmp_path), "--quiet"]
    )
    assert result.exit_code == 2
    assert "loans" in result.output
