"""``qingshou trial``: replay the simulator's delinquent borrowers against two strategies (issue 8).

Arm A runs the strategy of ``--a`` (default: the packaged default strategy) with the plain plan (greedy, by
priority); arm B runs ``--b`` (default: A's strategy) with the plain plan, or with the optimised plan
(``--optimised-b``). Both arms get the same borrowers, the same daily capacity and the same random draws
(``qingshou.risk.harness``, docs/trial.md). Prints both arms and the paired difference B − A with 95 %
intervals; ``--out DIR`` also writes ``trial.json`` and ``trial.png`` (cumulative recovery by day, and the
cumulative net difference).
Exit codes: 0 done; 2 unusable input (a strategy file with errors, a bad capacity, a bad number).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from qingshou.cli import EXIT_USAGE, fail
from qingshou.cli.render import console, print_json, step_progress, table
from qingshou.domain.strategy import Strategy
from qingshou.risk.evaluation import Interval
from qingshou.risk.harness import Arm, TrialConfig, TrialResult, draw_population, run_trial
from qingshou.risk.optimise import RESOURCES, Capacity, OptimiseError

#: Short names accepted by ``--capacity`` for the ``Capacity`` fields.
CAPACITY_ALIASES = {
    "minutes": "collector_minutes",
    "sms": "sms",
    "email": "emails",
    "emails": "emails",
    "letter": "letters",
    "letters": "letters",
    "visit": "field_visits",
    "visits": "field_visits",
    "agency": "agency_slots",
    "agencies": "agency_slots",
    **{name: name for name in RESOURCES},
}
DEFAULT_CAPACITY = "minutes=2400,sms=1000,visits=5"
_UNLIMITED = ("none", "unlimited", "-")
_MAX_BORROWERS = 200_000
_MAX_DAYS = 365


def parse_capacity(text: str) -> Capacity:
    """``minutes=2400,sms=1000,visits=5`` → ``Capacity`` (resources not named are unlimited; a limit of
    ``none`` or ``unlimited`` too). ``click.BadParameter`` names the item and the reason."""
    limits: dict[str, int | None] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        resource = CAPACITY_ALIASES.get(name.strip().lower())
        if not sep or resource is None:
            known = ", ".join(sorted(CAPACITY_ALIASES))
            raise click.BadParameter(f"{item!r}: expected RESOURCE=LIMIT with RESOURCE one of {known}")
        if resource in limits:
            raise click.BadParameter(f"{item!r}: {resource} given twice")
        value = value.strip().lower()
        if value in _UNLIMITED:
            limits[resource] = None
        elif value.isdigit():
            limits[resource] = int(value)
        else:
            raise click.BadParameter(f"{item!r}: the limit must be a whole number ≥ 0 or 'none'")
    try:
        return Capacity.from_mapping(limits)
    except OptimiseError as error:
        raise click.BadParameter(str(error)) from None


def _strategy(path: Path | None) -> Strategy:
    """The strategy of a YAML file (every problem with its line on error), or the packaged default."""
    from qingshou.apps.strategy.documents import default_text, parse_text

    text = default_text() if path is None else path.read_text(encoding="utf-8")
    return parse_text(text)


def _load(path: Path | None, option: str) -> Strategy:
    from qingshou.apps.strategy.documents import StrategyFileError

    try:
        return _strategy(path)
    except StrategyFileError as error:
        fail(ValueError(f"{option} {path}: {error}"))
    except (OSError, UnicodeDecodeError) as error:
        fail(ValueError(f"{option} {path}: cannot read the file ({error})"))
    raise AssertionError("unreachable")  # pragma: no cover


def _money(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value) / 100:,.2f}"


def _interval_text(name: str, interval: Interval) -> tuple[str, str, str]:
    ends = (interval.estimate, interval.low, interval.high)
    if name.endswith("_fen"):
        return _money(ends[0]), _money(ends[1]), _money(ends[2])
    if name == "cure_rate":
        return f"{ends[0]:+.2%}", f"{ends[1]:+.2%}", f"{ends[2]:+.2%}"
    return f"{ends[0]:+,.1f}", f"{ends[1]:+,.1f}", f"{ends[2]:+,.1f}"


_LABELS = {
    "recovered_fen": "回收 recovered",
    "cost_fen": "成本 cost",
    "net_fen": "净回收 net",
    "cures": "结清 cures",
    "cure_rate": "结清率 cure rate",
}
_CHANNEL_LABELS = {
    "call": "电话 calls",
    "sms": "短信 sms",
    "email": "邮件 e-mails",
    "letter": "信函 letters",
    "field_visit": "外访 visits",
    "agency_placement": "委外 agency",
    "legal_review": "法务 legal",
}


def _arm_values(result: TrialResult, name: str) -> tuple[str, str]:
    if name.endswith("_fen"):
        return _money(getattr(result.a, name)), _money(getattr(result.b, name))
    if name == "cures":
        return f"{result.a.cures:,}", f"{result.b.cures:,}"
    a, b = result.cure_rates["a"], result.cure_rates["b"]
    return f"{a.estimate:.2%} [{a.low:.2%}, {a.high:.2%}]", f"{b.estimate:.2%} [{b.low:.2%}, {b.high:.2%}]"


def _show(result: TrialResult) -> None:
    """One table: a row per measure — arm A, arm B, B − A and its paired 95 % interval — then the actions
    carried out by channel."""
    rows: list[tuple[str, ...]] = [
        (_LABELS[name], *_arm_values(result, name), *_interval_text(name, interval))
        for name, interval in result.differences.items()
    ]
    for channel, label in _CHANNEL_LABELS.items():
        a, b = result.a.actions[channel], result.b.actions[channel]
        rows.append((label, f"{a:,}", f"{b:,}", f"{b - a:+,}", "", ""))
    title = (
        f"策略试验 trial — {result.borrowers:,} 借款人 borrowers × {result.days} 天 days, seed {result.seed}\n"
        f"A = {result.a.strategy} · {result.a.method}   B = {result.b.strategy} · {result.b.method}"
    )
    headers = ("指标 measure", "A", "B", "B − A", "95% 下限 low", "95% 上限 high")
    console().print(table(title, headers, rows, right=5))


def write_chart(result: TrialResult, path: Path) -> None:
    """Cumulative recovery by day of both arms, and the cumulative net difference B − A, as a PNG
    (matplotlib, the report's CJK font)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from qingshou.apps.reports.charts import DPI, FontMissing, font_family

    try:
        family: str | None = font_family()
    except FontMissing:
        family = None
    font = {"family": family} if family else {}
    figure = Figure(figsize=(8.0, 6.4), dpi=DPI)
    recovery, difference = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    days = list(range(1, result.days + 1))
    for key, arm in (("A", result.a), ("B", result.b)):
        label = f"{key}: {arm.strategy} ({arm.method})"
        recovery.plot(days, [value / 100 for value in arm.cumulative_fen], label=label)
    recovery.set_title("累计回收 cumulative recovery", fontdict=font)
    recovery.set_ylabel("元 yuan", fontdict=font)
    recovery.legend(prop=font)
    net = [
        ((rb - cb) - (ra - ca)) / 100
        for ra, ca, rb, cb in zip(
            result.a.cumulative_fen,
            result.a.cumulative_cost_fen,
            result.b.cumulative_fen,
            result.b.cumulative_cost_fen,
            strict=True,
        )
    ]
    difference.plot(days, net, color="tab:green")
    difference.axhline(0, color="grey", linewidth=0.8)
    difference.set_title("累计净回收差 cumulative net difference B − A", fontdict=font)
    difference.set_xlabel("天 day", fontdict=font)
    difference.xaxis.set_major_locator(MaxNLocator(integer=True))
    difference.set_ylabel("元 yuan", fontdict=font)
    for axes in (recovery, difference):
        axes.grid(alpha=0.3)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    figure.tight_layout()
    figure.savefig(path, format="png")


def _write(result: TrialResult, out_dir: Path, data: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "trial.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    write_chart(result, out_dir / "trial.png")


@click.command("trial")
@click.option(
    "--a",
    "a_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Strategy YAML of arm A (default: the packaged default).",
)
@click.option(
    "--b",
    "b_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Strategy YAML of arm B (default: A's strategy).",
)
@click.option(
    "--optimised-b", is_flag=True, help="Arm B plans with the optimiser instead of the strategy's priorities."
)
@click.option("--borrowers", type=click.IntRange(1, _MAX_BORROWERS), default=5000, show_default=True)
@click.option("--days", type=click.IntRange(1, _MAX_DAYS), default=60, show_default=True)
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Same seed, same result.")
@click.option(
    "--capacity",
    default=DEFAULT_CAPACITY,
    show_default=True,
    help="Daily capacity: RESOURCE=LIMIT,… (minutes, sms, emails, letters, visits, agency; unnamed = unlimited).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(0.01),
    default=2.0,
    show_default=True,
    help="Optimiser time limit per day (s).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write trial.json and trial.png here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (no progress bar).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def trial(
    a_file: Path | None,
    b_file: Path | None,
    optimised_b: bool,
    borrowers: int,
    days: int,
    seed: int,
    capacity: str,
    time_limit: float,
    out_dir: Path | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """策略试验 Replay simulated delinquent borrowers against two strategies with the same capacity."""
    try:
        limits = parse_capacity(capacity)
    except click.BadParameter as error:
        fail(ValueError(f"--capacity: {error.message}"), EXIT_USAGE)
    strategy_a = _load(a_file, "--a")
    strategy_b = strategy_a if b_file is None else _load(b_file, "--b")
    config = TrialConfig(days=days, seed=seed, capacity=limits, time_limit_s=time_limit)
    arm_a = Arm("A", strategy_a, "greedy")
    arm_b = Arm("B", strategy_b, "optimised" if optimised_b else "greedy")
    population = draw_population(borrowers, seed)
    if as_json or quiet:
        result = run_trial(population, arm_a, arm_b, config)
    else:
        with step_progress() as progress:
            tasks = {name: progress.add_task(f"组 arm {name}", total=days) for name in ("A", "B")}
            result = run_trial(
                population,
                arm_a,
                arm_b,
                config,
                on_day=lambda name, day: progress.update(tasks[name], completed=day),
            )
    data = result.as_dict() | {"capacity": limits.as_dict()}
    if out_dir is not None:
        _write(result, out_dir, data)
    if as_json:
        print_json(data)
        return
    _show(result)
    if out_dir is not None:
        console().print(f"写入 written: {out_dir / 'trial.json'}, {out_dir / 'trial.png'}")


COMMANDS = [trial]
