"""``qingshou agencies …``: outside collection agencies (委外, issue 6).

| command | what |
| --- | --- |
| ``list [--json]`` | agencies with their contracts, evaluation state and open placements |
| ``contract FILE [--json]`` | register a contract from a JSON file (``services.ContractInput`` fields, ISO dates, tiers) |
| ``evaluate CONTRACT --score N --passed/--failed [--on D]`` | record an evaluation (C8) |
| ``place [--as-of D] [--case ID …] [--challenger-share BP] [--json]`` | place the day's proposals (or the given cases) by rules |
| ``recall [--as-of D] [--json]`` | recall the placements whose term ended (or whose case closed) by the day |
| ``commission --month YYYY-MM [--json]`` | compute and store the month's commission statement |
| ``ranking [--as-of D] [--json]`` | the agency ranking, overall and per cohort |

Run as the operator (actor ``system`` in the audit trail). Exit codes: 0, 2 bad input or a refused rule.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from qingshou.cli import exit_code_for, fail, setup_django
from qingshou.cli.eod import optional_date
from qingshou.cli.render import console, print_json, table, yuan
from qingshou.domain.money import from_fen, money_str


def _today(as_of: date | None) -> date:
    from qingshou import clock

    return as_of or clock.today()


@click.group("agencies")
def agencies() -> None:
    """Outside collection agencies: contracts, placements, recall, commission, ranking."""


@agencies.command("list")
@click.option(
    "--as-of", "as_of", callback=optional_date, help="Evaluation state on this day (default: today)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_agencies(as_of: date | None, as_json: bool) -> None:
    """Agencies with their contracts."""
    setup_django()
    from qingshou.apps.agencies import services
    from qingshou.apps.agencies.models import AgencyContract

    day = _today(as_of)
    counts = services.open_placements_by_agency()
    rows: list[dict[str, Any]] = []
    for contract in AgencyContract.objects.select_related("agency", "renews").order_by(
        "agency_id", "-starts_on"
    ):
        state = services.evaluation_state(contract, day)
        rows.append(
            {
                "agency": contract.agency_id,
                "name": contract.agency.name,
                "contract": contract.number,
                "white_listed": contract.white_listed,
                "starts_on": contract.starts_on.isoformat(),
                "ends_on": contract.ends_on.isoformat(),
                "capacity": contract.capacity,
                "open_placements": counts.get(contract.agency_id, 0),
                "evaluation_due_on": state.due_on.isoformat(),
                "blocked": state.blocks,
            }
        )
    if as_json:
        print_json({"as_of": day.isoformat(), "contracts": rows})
        return
    console().print(
        table(
            "委外机构 agencies",
            [
                "机构 agency",
                "合同 contract",
                "白名单 white list",
                "期限 term",
                "在案/容量 open/cap",
                "评估 evaluation",
            ],
            [
                (
                    f"{r['agency']} {r['name']}",
                    r["contract"],
                    "是" if r["white_listed"] else "否",
                    f"{r['starts_on']} – {r['ends_on']}",
                    f"{r['open_placements']}/{r['capacity']}",
                    r["blocked"] or f"due {r['evaluation_due_on']}",
                )
                for r in rows
            ],
        )
    )


@agencies.command("contract")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def add_contract(file: Path, as_json: bool) -> None:
    """Register a contract from a JSON file."""
    setup_django()
    from qingshou.apps.agencies import services
    from qingshou.domain.errors import DomainError

    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
        data = services.ContractInput(
            agency_id=str(raw["agency"]),
            number=str(raw["number"]),
            licence=str(raw["licence"]),
            starts_on=date.fromisoformat(raw["starts_on"]),
            ends_on=date.fromisoformat(raw["ends_on"]),
            capacity=int(raw["capacity"]),
            tiers=raw["tiers"],
            qualifications=str(raw.get("qualifications", "")),
            white_listed=bool(raw.get("white_listed", True)),
            buckets=tuple(raw.get("buckets", ())),
            term_days=int(raw.get("term_days", 90)),
        )
    except (ValueError, KeyError, TypeError) as error:
        fail(ValueError(f"{file}: {error!r}"))
        return
    try:
        contract = services.create_contract(None, data)
    except DomainError as error:
        fail(error, exit_code_for(error))
        return
    if as_json:
        print_json({"id": contract.pk, "number": contract.number, "agency": contract.agency_id})
        return
    console().print(f"合同 contract {contract.number} ({contract.agency_id}) registered, id {contract.pk}")


@agencies.command("evaluate")
@click.argument("contract")
@click.option("--score", type=click.IntRange(0, 100), required=True, help="Score 0–100.")
@click.option("--passed/--failed", required=True, help="The outcome.")
@click.option("--on", "on", callback=optional_date, help="Evaluation day (default: today).")
@click.option("--notes", default="", help="Notes.")
def evaluate(contract: str, score: int, passed: bool, on: date | None, notes: str) -> None:
    """Record an evaluation of CONTRACT (its number)."""
    setup_django()
    from qingshou.apps.agencies import services
    from qingshou.apps.agencies.models import AgencyContract
    from qingshou.domain.errors import DomainError

    found = AgencyContract.objects.filter(number=contract).first()
    if found is None:
        fail(ValueError(f"no contract {contract!r}"))
        return
    try:
        services.evaluate(None, found.pk, _today(on), score, passed, notes)
    except DomainError as error:
        fail(error, exit_code_for(error))
        return
    console().print(f"评估 evaluation of {contract} recorded")


@agencies.command("place")
@click.option("--as-of", "as_of", callback=optional_date, help="Placement day (default: today).")
@click.option(
    "--case", "cases", type=int, multiple=True, help="Only these cases (default: the day's proposals)."
)
@click.option("--challenger-share", default=2000, show_default=True, help="Challenger share, basis points.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def place(as_of: date | None, cases: tuple[int, ...], challenger_share: int, as_json: bool) -> None:
    """Place cases with agencies by rules, capacity and past performance."""
    setup_django()
    from qingshou.apps.agencies import services
    from qingshou.domain.errors import DomainError

    try:
        run = services.place_by_rules(
            None, _today(as_of), case_ids=list(cases) or None, challenger_share=challenger_share
        )
    except DomainError as error:
        fail(error, exit_code_for(error))
        return
    result = run.as_json()
    if as_json:
        print_json(result)
        return
    out = console()
    out.print(
        table(
            "委外分案 placed",
            ["案件 case", "机构 agency", "组 arm", "到期 term end"],
            [(r["case"], r["agency"], r["arm"], r["term_ends_on"]) for r in result["placed"]],
        )
    )
    for row in result["unplaced"]:
        out.print(f"未分 unplaced case {row['case']}: {row['reason']}")


@agencies.command("recall")
@click.option("--as-of", "as_of", callback=optional_date, help="The day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def recall(as_of: date | None, as_json: bool) -> None:
    """Recall the placements whose term ended (or whose case closed) by the day."""
    setup_django()
    from qingshou.apps.agencies import services

    ids = services.recall_due(_today(as_of))
    if as_json:
        print_json({"recalled": ids})
        return
    console().print(f"收回 recalled {len(ids)} placements")


@agencies.command("commission")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def commission(month: str, as_json: bool) -> None:
    """Compute and store the commission statement of a month."""
    setup_django()
    from qingshou.apps.agencies import services
    from qingshou.domain.errors import DomainError

    try:
        services.commission_statement(None, month)
    except DomainError as error:
        fail(error, exit_code_for(error))
        return
    totals = [
        {
            "agency": t["agency_id"],
            "placements": t["placements"],
            "recovered": money_str(from_fen(t["recovered_fen"])),
            "commission": money_str(from_fen(t["commission_fen"])),
        }
        for t in services.statement_totals(month)
    ]
    if as_json:
        print_json({"month": month, "agencies": totals})
        return
    console().print(
        table(
            f"佣金 commission {month}",
            ["机构 agency", "案件 placements", "回款 recovered", "佣金 commission"],
            [
                (t["agency"], t["placements"], yuan(Decimal(t["recovered"])), yuan(Decimal(t["commission"])))
                for t in totals
            ],
            right=3,
        )
    )


@agencies.command("ranking")
@click.option("--as-of", "as_of", callback=optional_date, help="Recoveries up to this day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def ranking(as_of: date | None, as_json: bool) -> None:
    """The agency ranking: recovery rate by cohort, complaints."""
    setup_django()
    from qingshou.apps.agencies import services

    result = services.ranking(_today(as_of)).as_json()
    if as_json:
        print_json(result)
        return
    console().print(
        table(
            "委外排名 ranking",
            ["名次 rank", "机构 agency", "案件 placements", "回收率 recovery rate", "投诉 complaints"],
            [
                (r["rank"], r["agency"], r["placements"], r["recovery_rate"], r["complaints"])
                for r in result["overall"]
            ],
        )
    )


COMMANDS: list[click.Command] = [agencies]
