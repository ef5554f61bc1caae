"""``qingshou plan …``: the day's plan, the strategy's (greedy) against the optimised one (issue 8).

* ``qingshou plan run --day D [--time-limit 10] [--capacity resource=N …] [--json]``: candidates from the
  day's allowed actions, both plans within the capacity (``QINGSHOU_PLAN_CAPACITY``, or ``--capacity``
  overrides, ``N`` or ``none``), both stored (``qs_plan_run``, ``qs_plan_item``; a rerun replaces them); a table
  of value, cost, net, chosen, use per resource, status and gap, and the gain.
* ``qingshou plan show --day D [--json]``: the stored runs of a day.

Money in yuan (JSON: decimal strings). Exit codes: 0; 2 bad arguments or settings; 4 no stored plan for the
day (``show``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import click

from qingshou.cli import fail, setup_django
from qingshou.cli.quote import as_date
from qingshou.cli.render import console, print_json, table, yuan

EXIT_NOT_FOUND = 4

LABELS = {
    "collector_minutes": "催收员分钟 collector minutes",
    "sms": "短信 SMS",
    "emails": "邮件 e-mails",
    "letters": "信函 letters",
    "field_visits": "外访 field visits",
    "agency_slots": "委外名额 agency slots",
    "calls": "电话任务 calls",
}


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _money_json(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key.endswith("_fen") and isinstance(value, int):
            out[key.removesuffix("_fen")] = f"{_yuan(value):.2f}"
        else:
            out[key] = value
    return out


def _capacity_overrides(values: tuple[str, ...]) -> dict[str, int | None]:
    overrides: dict[str, int | None] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep:
            raise click.BadParameter(
                f"{item!r}: expected resource=N or resource=none", param_hint="--capacity"
            )
        if raw.strip().lower() in {"none", "unlimited"}:
            overrides[name.strip()] = None
            continue
        try:
            overrides[name.strip()] = int(raw)
        except ValueError:
            raise click.BadParameter(f"{item!r}: N must be a whole number", param_hint="--capacity") from None
    return overrides


def _comparison(rows: list[dict[str, Any]]) -> Any:
    """The two runs side by side (rows: run dicts with fen and ``used``)."""
    headers = ["", *[str(row["label"]) for row in rows]]
    lines: list[tuple[object, ...]] = [
        ("预期回收 expected recovery", *[yuan(_yuan(row["value_fen"])) for row in rows]),
        ("成本 cost", *[yuan(_yuan(row["cost_fen"])) for row in rows]),
        ("预期净回收 expected net", *[yuan(_yuan(row["net_fen"])) for row in rows]),
        ("行动 actions chosen", *[f"{row['chosen']} / {row['candidates']}" for row in rows]),
    ]
    for key, label in LABELS.items():
        lines.append((label, *[str(row["used"].get(key, 0)) for row in rows]))
    lines.append(("状态 status", *[str(row["status"]) for row in rows]))
    lines.append(("上界 bound", *[yuan(_yuan(row["bound_fen"])) for row in rows]))
    lines.append(("差距 gap", *[f"{row['gap_ppm'] / 10_000:.4f}%" for row in rows]))
    lines.append(("用时 seconds", *[f"{row['seconds']:.2f}" for row in rows]))
    return table("计划对比 plan vs strategy", headers, lines, right=len(rows))


@click.group("plan")
def plan() -> None:
    """The optimised daily plan (优化行动计划) against the strategy's plan."""


@plan.command("run")
@click.option(
    "--day", required=True, callback=as_date, help="The day whose planned actions to plan (YYYY-MM-DD)."
)
@click.option("--time-limit", "time_limit", type=float, default=None, help="Solver time limit in seconds.")
@click.option(
    "--capacity", "capacity", multiple=True, help="Override a capacity: resource=N or resource=none."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def run(day: date, time_limit: float | None, capacity: tuple[str, ...], as_json: bool) -> None:
    """Plan a day both ways, store both runs, and compare them."""
    setup_django()
    from qingshou import config
    from qingshou.apps.planning.services import PlanningError, PlanSettings, default_capacity, plan_day
    from qingshou.risk.optimise import Capacity, OptimiseError
    from qingshou.store import Store

    if time_limit is not None and time_limit <= 0:
        fail(click.BadParameter("must be > 0", param_hint="--time-limit"))
    try:
        plan_settings = PlanSettings.from_settings()
        limits = default_capacity(plan_settings)
        overrides = _capacity_overrides(capacity)
        if overrides:
            Capacity.from_mapping(overrides)  # names and values checked
            limits = replace(limits, **overrides)
        out = console(stderr=True)
        with out.status("规划中 planning …"), Store(config.adbc_uri()) as store:
            plans = plan_day(
                day,
                store=store,
                capacity=limits,
                time_limit_s=time_limit,
                plan_settings=plan_settings,
                actor="cli",
            )
    except (PlanningError, OptimiseError, TypeError, click.BadParameter) as error:
        fail(error)
        return
    data = plans.as_dict()
    if as_json:
        print_json(
            {
                "day": data["day"],
                "capacity": data["capacity"],
                "greedy": _money_json(data["greedy"]),
                "optimised": _money_json(data["optimised"]),
                "gain": f"{_yuan(plans.gain_fen):.2f}",
            }
        )
        return
    show_out = console()
    rows = [
        {**data["greedy"], "label": "策略 strategy (greedy)"},
        {**data["optimised"], "label": "优化 optimised"},
    ]
    show_out.print(f"{day.isoformat()} 候选行动 candidates: {plans.greedy.candidates}")
    show_out.print(_comparison(rows))
    show_out.print(f"增益 gain (optimised − strategy): {yuan(_yuan(plans.gain_fen))}")


@plan.command("show")
@click.option("--day", required=True, callback=as_date, help="The day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(day: date, as_json: bool) -> None:
    """The stored plans of a day."""
    setup_django()
    from qingshou.apps.planning.services import stored_runs

    runs = stored_runs(day)
    if not runs:
        fail(
            LookupError(f"no stored plan for {day.isoformat()} (run: qingshou plan run --day {day})"),
            EXIT_NOT_FOUND,
        )
        return
    rows = [
        {
            "method": run.method,
            "status": run.status,
            "candidates": run.candidates,
            "chosen": run.chosen,
            "value_fen": run.value_fen,
            "cost_fen": run.cost_fen,
            "net_fen": run.net_fen,
            "bound_fen": run.bound_fen,
            "gap_ppm": run.gap_ppm,
            "used": run.used,
            "capacity": run.capacity,
            "seconds": run.seconds,
        }
        for run in runs
    ]
    gain = sum(row["net_fen"] if row["method"] == "optimised" else -row["net_fen"] for row in rows)
    if as_json:
        print_json(
            {"day": day.isoformat(), "runs": [_money_json(row) for row in rows], "gain": f"{_yuan(gain):.2f}"}
        )
        return
    out = console()
    labels = {"greedy": "策略 strategy (greedy)", "optimised": "优化 optimised"}
    out.print(_comparison([{**row, "label": labels.get(row["method"], row["method"])} for row in rows]))
    if len(rows) == 2:
        out.print(f"增益 gain (optimised − strategy): {yuan(_yuan(gain))}")


COMMANDS: list[Any] = [plan]
