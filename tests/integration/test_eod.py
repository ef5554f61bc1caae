"""The EOD run around the kernel: lake partition, loan statuses, error rows, run record — on SQLite and
PostgreSQL (``-m db``). Issue 3: a rerun replaces the day exactly, a run that dies leaves the previous
state intact, a backfill writes one partition per day, a broken loan is an error row and the run goes on.

These tests drive the pipeline with the ``domain`` engine (the reference, loan by loan) on a small
simulated book, so they do not depend on the columnar kernel; test_eod_parity.py runs the kernel itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from django.test import Client
from eod_support import (
    BOOK_DAY,
    SimulatedBook,
    error_rows,
    lake,
    lake_entries,
    lake_files,
    load_book,
    runs,
    simulated_book,
    status_rows,
)
from polars.testing import assert_frame_equal

from qingshou import config
from qingshou.apps.eod.book import read_book
from qingshou.apps.eod.engines import EngineUnavailable, kernel_for
from qingshou.apps.eod.models import EodError, EodRun, LoanStatus
from qingshou.apps.eod.services.export import export_day
from qingshou.apps.eod.services.run import (
    STORE_STEPS,
    EodContext,
    InvalidRange,
    run_eod,
    run_range,
)
from qingshou.apps.loans.errors import FutureDate, NotFound
from qingshou.apps.loans.models import Borrower, Installment, Loan, Payment, Product
from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame
from qingshou.lake import StagedPartition, read_snapshot
from qingshou.store import Store

pytestmark = [pytest.mark.db, pytest.mark.django_db(transaction=True)]
__all__ = ["lake", "simulated_book"]  # fixtures

LOANS, SEED = 40, 3
DAY = BOOK_DAY


@pytest.fixture
def book(simulated_book: SimulatedBook, lake: Path) -> Path:
    """A small simulated book loaded into the test database; returns the lake root."""
    load_book(simulated_book(LOANS, SEED))
    return lake


def add_broken_loans() -> None:
    """Two loans whose data break invariants: a schedule whose principal does not sum to the loan's, and a
    payment dated before disbursement."""
    product, borrower = Product.objects.order_by("product_id").first(), Borrower.objects.first()
    assert product is not None
    assert borrower is not None
    for loan_id in ("ZZ-BROKEN-SCHEDULE", "ZZ-BROKEN-PAYMENT"):
        loan = Loan.objects.create(
            loan_id=loan_id, borrower=borrower, product=product, principal_fen=300_000,
            annual_rate=Decimal("0.12"), disbursed_on=date(2026, 1, 10), term_months=3,
            repayment_method="equal_principal",
        )  # fmt: skip
        short = 90_000 if loan_id == "ZZ-BROKEN-SCHEDULE" else 100_000
        for seq, due in enumerate((date(2026, 2, 10), date(2026, 3, 10), date(2026, 4, 10)), start=1):
            Installment.objects.create(
                loan=loan, seq=seq, due_date=due, principal_due_fen=short, interest_due_fen=3_000
            )
    Payment.objects.create(
        payment_id="PAY-EARLY", loan_id="ZZ-BROKEN-PAYMENT", paid_on=date(2026, 1, 1), amount_fen=1_000
    )


class Explode:
    """A store step that fails after the statuses and errors are written (inside the transaction)."""

    name, kind = "explode", "write_store"

    def __call__(self, context: EodContext) -> None:
        raise RuntimeError("injected failure in the store step")


def test_a_run_writes_the_lake_the_statuses_and_the_run_record(book: Path) -> None:
    """One day: a partition with one row per loan, one status per loan equal to its snapshot row, and a
    succeeded run record with counts and the four timings."""
    result = run_eod(DAY, "domain")
    snapshot = read_snapshot(book, DAY)
    assert snapshot.height == LOANS == result.snapshot_rows == result.loans_read
    assert snapshot.schema == pl.Schema(schema.SNAPSHOT)
    assert snapshot["loan_id"].is_sorted()
    assert lake_entries(book) == [f"as_of={DAY}"]
    columns = {
        name: dtype for name, dtype in schema.SNAPSHOT.items() if name not in ("borrower_id", "product_id")
    }
    stored = pl.DataFrame(status_rows(), schema=columns)
    assert_frame_equal(stored, snapshot.select(list(columns)))
    [run] = runs()
    assert (run.status, run.as_of, run.engine) == (EodRun.Status.SUCCEEDED, DAY, "domain")
    assert (run.loans_read, run.snapshot_rows, run.error_count) == (LOANS, LOANS, 0)
    assert run.delinquent_count == int(snapshot["delinquent"].sum()) == result.delinquent_count
    assert sum(run.buckets.values()) == LOANS
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert run.compute_seconds > 0
    assert run.read_store_seconds > 0
    assert run.write_lake_seconds > 0
    assert run.write_store_seconds > 0
    assert {"read book", "compute", "stage lake", "write statuses", "publish lake"} <= set(run.step_seconds)
    assert run.lake_path == str(book / "snapshots" / f"as_of={DAY}")
    assert result.exit_code == 0


def test_the_same_day_twice_gives_identical_outputs(book: Path) -> None:
    """Idempotence: the rerun's partition is byte-identical, the statuses and error rows are identical."""
    add_broken_loans()
    run_eod(DAY, "domain")
    files, statuses, errors = lake_files(book, DAY), status_rows(), error_rows()
    run_eod(DAY, "domain")
    assert lake_files(book, DAY) == files
    assert status_rows() == statuses
    assert error_rows() == errors
    assert len(errors) == 2
    assert [run.status for run in runs()] == [EodRun.Status.SUCCEEDED] * 2
    assert lake_entries(book) == [f"as_of={DAY}"]


def test_a_failure_in_the_store_step_leaves_the_previous_state_intact(book: Path) -> None:
    """The store transaction rolls back, the staged partition is discarded, the day's partition and every
    stored row stay as the previous run left them; the run is recorded as failed with the message."""
    add_broken_loans()
    run_eod(DAY, "domain")
    files, statuses, errors = lake_files(book, DAY), status_rows(), error_rows()
    delinquent = LoanStatus.objects.filter(delinquent=True).order_by("loan_id").first()
    assert delinquent is not None
    Payment.objects.create(payment_id="PAY-BIG", loan_id=delinquent.pk, paid_on=DAY, amount_fen=10**10)
    Payment.objects.filter(payment_id="PAY-EARLY").delete()

    with pytest.raises(RuntimeError, match="injected failure"):
        run_eod(DAY, "domain", store_steps=(*STORE_STEPS, Explode()))

    assert lake_files(book, DAY) == files
    assert lake_entries(book) == [f"as_of={DAY}"]
    assert status_rows() == statuses
    assert error_rows() == errors
    failed = runs()[-1]
    assert failed.status == EodRun.Status.FAILED
    assert "RuntimeError: injected failure in the store step" in failed.message
    assert failed.finished_at is not None
    # without the injected failure the same run changes the day: the failure really undid something
    run_eod(DAY, "domain")
    assert lake_files(book, DAY) != files
    assert LoanStatus.objects.get(pk=delinquent.pk).delinquent is False
    assert len(error_rows()) == 1


def test_a_failing_kernel_records_the_failure_and_writes_nothing(book: Path) -> None:
    """A kernel that raises: no partition, no status, no error row; the run is failed with the message."""

    def broken(book: Book, as_of: date, calendar: CalendarFrame, previous: pl.DataFrame | None) -> None:
        raise ZeroDivisionError("kernel bug")

    with pytest.raises(ZeroDivisionError):
        run_eod(DAY, "polars", kernel=broken)  # type: ignore[arg-type]
    assert lake_entries(book) == []
    assert status_rows() == []
    assert error_rows() == []
    [run] = runs()
    assert run.status == EodRun.Status.FAILED
    assert run.message == "ZeroDivisionError: kernel bug"
    assert run.read_store_seconds > 0


def test_a_failed_publish_after_the_commit_is_recorded_and_a_rerun_repairs_it(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented window: the store committed, the lake swap failed — the run says so (failed, with
    the reason), the lake keeps the previous partition, and rerunning the day publishes it."""
    run_eod(DAY - timedelta(days=1), "domain")

    def refuse(self: StagedPartition) -> Path:
        raise OSError("rename refused")

    with monkeypatch.context() as patch:
        patch.setattr(StagedPartition, "publish", refuse)
        with pytest.raises(OSError, match="rename refused"):
            run_eod(DAY, "domain")
    failed = runs()[-1]
    assert failed.status == EodRun.Status.FAILED
    assert failed.message.startswith("the store committed but the lake partition was not published")
    assert lake_entries(book) == [f"as_of={DAY - timedelta(days=1)}"]
    assert set(LoanStatus.objects.values_list("as_of", flat=True)) == {DAY}  # the store did commit
    run_eod(DAY, "domain")
    assert lake_entries(book) == [f"as_of={DAY - timedelta(days=1)}", f"as_of={DAY}"]


def test_a_broken_loan_is_an_error_row_and_the_run_goes_on(book: Path) -> None:
    """Issue 3: a loan whose data break an invariant gets an EodError (loan, code, message) and no status;
    every other loan is computed; the run succeeds with exit code 3."""
    add_broken_loans()
    result = run_eod(DAY, "domain")
    assert (result.snapshot_rows, result.error_count, result.loans_read) == (LOANS, 2, LOANS + 2)
    assert result.exit_code == 3
    [(day, loan_id, code, message), (_, other, other_code, _)] = error_rows()
    assert (day, loan_id, code) == (DAY, "ZZ-BROKEN-PAYMENT", "invalid_ledger")
    assert (other, other_code) == ("ZZ-BROKEN-SCHEDULE", "invalid_schedule")
    assert "before" in message
    assert not LoanStatus.objects.filter(loan__loan_id__startswith="ZZ-").exists()
    assert LoanStatus.objects.count() == LOANS
    assert EodError.objects.filter(run_id=result.run_id).count() == 2
    assert runs()[-1].error_count == 2


def test_a_loan_stored_without_installments_gets_the_domain_schedule(book: Path) -> None:
    """As the quote selector does, a loan without installment rows is scheduled by ``build_schedule``."""
    Installment.objects.filter(loan_id="L000000001").delete()
    run_eod(DAY, "domain")
    assert LoanStatus.objects.filter(pk="L000000001").exists()
    assert error_rows() == []


def test_backfill_writes_one_partition_per_day_chained_by_the_previous_snapshot(book: Path) -> None:
    """``run_range`` runs the days in order; each day's changes are against the day before."""
    first = DAY - timedelta(days=2)
    results = run_range(first, DAY, "domain")
    days = [first, first + timedelta(days=1), DAY]
    assert [r.as_of for r in results] == days
    assert lake_entries(book) == [f"as_of={day}" for day in days]
    assert [(r.status, r.as_of) for r in runs()] == [(EodRun.Status.SUCCEEDED, day) for day in days]
    before, last = read_snapshot(book, days[1]), read_snapshot(book, DAY)
    joined = last.join(before, on="loan_id", suffix="_before")
    assert joined.height == LOANS
    assert (joined["previous_dpd"] == joined["dpd_before"]).all()
    assert (joined["previous_bucket"] == joined["bucket_before"]).all()
    assert read_snapshot(book, first)["previous_dpd"].null_count() == LOANS
    assert set(LoanStatus.objects.values_list("as_of", flat=True)) == {DAY}


def test_a_backfill_never_overwrites_a_newer_status(book: Path) -> None:
    """Running an older day after a newer one writes its partition but leaves the newer statuses."""
    run_eod(DAY, "domain")
    statuses = status_rows()
    older = date(2026, 3, 31)
    run_eod(older, "domain")
    assert status_rows() == statuses
    assert read_snapshot(book, older)["as_of"].unique().to_list() == [older]


def test_an_empty_range_and_a_future_day_are_refused_before_anything_is_recorded(book: Path) -> None:
    with pytest.raises(InvalidRange):
        run_range(DAY, DAY - timedelta(days=1), "domain")
    with pytest.raises(FutureDate):
        run_eod(date(2026, 7, 2), "domain")
    with pytest.raises(EngineUnavailable):
        run_eod(DAY, "abacus")
    assert runs() == []
    assert lake_entries(book) == []


def test_snapshot_export_writes_the_day_as_one_file(book: Path, tmp_path: Path) -> None:
    """``export_day`` writes the lake's day to one Parquet file; a day never run is ``NotFound``."""
    run_eod(DAY, "domain")
    out = tmp_path / "exports" / "snapshot.parquet"
    result = export_day(DAY, out)
    assert (result.rows, result.out) == (LOANS, out)
    assert_frame_equal(pl.read_parquet(out), read_snapshot(book, DAY))
    with pytest.raises(NotFound, match="2026-06-01"):
        export_day(date(2026, 6, 1), out)


def test_c9_the_book_reads_rates_exactly_as_integers_times_1e8(book: Path) -> None:
    """C9: DECIMAL(12, 8) rates become integers × 10⁸ through text, never float: 0.0435 → 4350000,
    0.12345678 → 12345678; the penalty markup likewise."""
    Loan.objects.filter(pk="L000000001").update(annual_rate=Decimal("0.0435"))
    Loan.objects.filter(pk="L000000002").update(annual_rate=Decimal("0.12345678"))
    Product.objects.update(penalty_markup=Decimal("0.33333333"))
    with Store(config.adbc_uri()) as store:
        read = read_book(store)
    rates = dict(read.book.loans.select("loan_id", "annual_rate_e8").iter_rows())
    assert (rates["L000000001"], rates["L000000002"]) == (4_350_000, 12_345_678)
    assert set(read.book.products["penalty_markup_e8"]) == {33_333_333}
    assert read.book.loans.height == LOANS
    assert read.book.installments.height == Installment.objects.count()
    assert read.errors.height == 0


def test_the_engines_are_imported_only_when_chosen() -> None:
    """``domain`` is always there; an unknown name is refused with the list of engines."""
    assert callable(kernel_for("domain"))
    with pytest.raises(EngineUnavailable, match="polars, domain, spark"):
        kernel_for("abacus")


def test_the_admin_shows_the_eod_records_read_only(book: Path, admin_client: Client) -> None:
    """Runs, errors and statuses are written by the run service only: view, never add."""
    add_broken_loans()
    result = run_eod(DAY, "domain")
    assert admin_client.get("/admin/eod/eodrun/").status_code == 200
    assert admin_client.get(f"/admin/eod/eodrun/{result.run_id}/change/").status_code == 200
    assert admin_client.get("/admin/eod/eoderror/").status_code == 200
    assert admin_client.get("/admin/eod/loanstatus/").status_code == 200
    assert admin_client.get("/admin/eod/loanstatus/L000000001/change/").status_code == 200
    assert admin_client.get("/admin/eod/eodrun/add/").status_code == 403
    assert admin_client.get("/admin/eod/loanstatus/add/").status_code == 403


def test_a_rerun_removes_the_days_status_of_a_loan_that_now_fails(book: Path) -> None:
    """A rerun replaces the day exactly: a loan computed by the first run and broken before the rerun has
    an error row and no status of that day any more; its status of an earlier day is not touched."""
    run_eod(DAY - timedelta(days=1), "domain")
    run_eod(DAY, "domain")
    Installment.objects.filter(loan_id="L000000003", seq=1).update(principal_due_fen=1)
    Installment.objects.filter(loan_id="L000000004", seq=1).update(principal_due_fen=1)
    LoanStatus.objects.filter(pk="L000000004").update(as_of=DAY + timedelta(days=1))  # a newer day's status
    run_eod(DAY, "domain")
    assert not LoanStatus.objects.filter(pk="L000000003").exists()
    assert LoanStatus.objects.get(pk="L000000004").as_of == DAY + timedelta(days=1)
    assert [row[1] for row in error_rows()] == ["L000000003", "L000000004"]
    assert LoanStatus.objects.count() == LOANS - 1
