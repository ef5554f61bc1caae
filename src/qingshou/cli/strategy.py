"""``qingshou strategy …``: validate, apply, show and list the collection strategy (docs/strategy.md).

* ``validate FILE`` — exit 0 and a table of segments, paths and steps; exit 2 with every error listed
  (``line 14, segments[2].when.dpd: expected an integer, got 'abc'``). Needs no database.
* ``apply FILE [--by NAME]`` — validate and store as the active version (identical text: no new version).
* ``show [--version N] [--json]`` — the strategy in force (or version N); says when it is the packaged
  default because nothing was applied yet.
* ``history [--json]`` — every applied version, newest first.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from qingshou.cli import EXIT_OK, EXIT_USAGE, exit_code_for, setup_django
from qingshou.cli.render import console, print_json, table
from qingshou.domain.errors import DomainError
from qingshou.domain.money import money_str
from qingshou.domain.strategy import Condition, Kind, Operator, Step, Strategy, arm_name, step_id

_SYMBOLS = {Operator.EQ: "=", Operator.IN: "∈", Operator.NOT_IN: "∉", Operator.MIN: "≥", Operator.MAX: "≤"}


def _operand_text(condition: Condition, value: object) -> str:
    if isinstance(value, Decimal):
        return money_str(value) if condition.field.kind is Kind.MONEY else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe_condition(condition: Condition) -> str:
    """``dpd ≥ 1``, ``bucket ∈ {M0, M1}``, ``credit_score is null``."""
    if condition.operator is Operator.IS_NULL:
        return f"{condition.field} is {'' if condition.operand else 'not '}null"
    operand = condition.operand
    text = (
        "{" + ", ".join(_operand_text(condition, item) for item in operand) + "}"
        if isinstance(operand, tuple)
        else _operand_text(condition, operand)
    )
    return f"{condition.field} {_SYMBOLS[condition.operator]} {text}"


def _days(step: Step) -> str:
    if step.every is None:
        return str(step.day)
    until = "" if step.until is None else f"..{step.until}"
    return f"{step.day}{until} /{step.every}"


def _rows(strategy: Strategy) -> Iterator[tuple[object, ...]]:
    for s_index, segment in enumerate(strategy.segments):
        when = " & ".join(describe_condition(c) for c in segment.conditions) or "(catch-all 兜底)"
        for p_index, path in enumerate(segment.paths):
            for index, step in enumerate(path.steps):
                first_of_path = index == 0
                first = first_of_path and p_index == 0
                yield (
                    f"{s_index}. {segment.name}" if first else "",
                    when if first else "",
                    f"{path.name} ({arm_name(p_index)}, {path.share / 100:g} %)" if first_of_path else "",
                    step_id(p_index, index),
                    _days(step),
                    step.action.value,
                    step.template or step.queue or "",
                    step.priority,
                )


def summary_table(strategy: Strategy, title: str) -> Any:
    """Segments (in match order), paths (arm and share) and steps (day / repeat, action, target)."""
    headers = (
        "分群 segment",
        "条件 when",
        "路径 path",
        "step",
        "日 day",
        "动作 action",
        "模板/队列",
        "优先级",
    )
    return table(title, headers, _rows(strategy), right=1)


def _condition_json(condition: Condition) -> dict[str, Any]:
    operand = condition.operand
    value: Any = (
        [_json_scalar(condition, item) for item in operand]
        if isinstance(operand, tuple)
        else _json_scalar(condition, operand)
    )
    return {"field": condition.field.value, "operator": condition.operator.value, "operand": value}


def _json_scalar(condition: Condition, value: object) -> object:
    return _operand_text(condition, value) if isinstance(value, Decimal) else value


def strategy_json(strategy: Strategy) -> dict[str, Any]:
    """The parsed strategy as JSON (money and ratios as decimal strings, C9)."""
    return {
        "name": strategy.name,
        "description": strategy.description,
        "salt": strategy.salt,
        "unmatched": "no_segment" if strategy.allow_unmatched else None,
        "segments": [
            {
                "name": segment.name,
                "description": segment.description,
                "when": [_condition_json(c) for c in segment.conditions],
                "paths": [
                    {
                        "name": path.name,
                        "arm": arm_name(p_index),
                        "share": path.share,
                        "steps": [
                            {"step": step_id(p_index, s_index), **_step_json(step)}
                            for s_index, step in enumerate(path.steps)
                        ],
                    }
                    for p_index, path in enumerate(segment.paths)
                ],
            }
            for segment in strategy.segments
        ],
    }


def _step_json(step: Step) -> dict[str, Any]:
    return {
        "day": step.day,
        "every": step.every,
        "until": step.until,
        "action": step.action.value,
        "template": step.template,
        "queue": step.queue,
        "priority": step.priority,
    }


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        click.echo(f"错误 error: cannot read {file}: {error}", err=True)
        sys.exit(EXIT_USAGE)


def _login() -> str:
    """The login name of whoever runs the command (``cli`` when the system cannot say)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


def _fail_file(error: DomainError) -> None:
    """Every issue of an invalid file on stderr (one a line), then exit 2."""
    issues = getattr(error, "issues", None)
    if issues:
        click.echo(f"错误 error: {len(issues)} problem(s) in the strategy file:", err=True)
        for issue in issues:
            click.echo(f"  {issue}", err=True)
    else:
        click.echo(f"错误 error: {error.message}", err=True)
    sys.exit(exit_code_for(error))


@click.group("strategy")
def strategy() -> None:
    """催收策略 Collection strategy: validate, apply, show, history (docs/strategy.md)."""


@strategy.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check a strategy FILE: exit 0 with a summary, or exit 2 listing every error with its line (the
    notice templates it names are looked up in the store)."""
    text = _read(file)
    setup_django()
    from qingshou.apps.strategy.services import validate_text

    try:
        parsed = validate_text(text)
    except DomainError as error:
        _fail_file(error)
        return
    console().print(summary_table(parsed, f"策略 strategy {parsed.name}: valid ({file})"))
    sys.exit(EXIT_OK)


@strategy.command("apply")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", "by", default=None, help="Who applies it (default: the login name).")
@click.option("--json", "as_json", is_flag=True, help="Print the version as JSON.")
def apply(file: Path, by: str | None, as_json: bool) -> None:
    """Validate FILE and make it the active strategy version (identical to the active one: no change)."""
    text = _read(file)
    setup_django()
    from qingshou.apps.strategy.services import apply_strategy

    try:
        result = apply_strategy(text, by or _login())
    except DomainError as error:
        _fail_file(error)
        return
    row = result.version
    if as_json:
        print_json(
            {
                "version": row.version,
                "name": row.name,
                "sha256": row.sha256,
                "created": result.created,
                "applied_at": row.applied_at.isoformat(),
                "applied_by": row.applied_by,
            }
        )
    else:
        state = "applied 已生效" if result.created else "unchanged (identical to the active version) 未变化"
        click.echo(f"策略 strategy {row.name} v{row.version}: {state}")


@strategy.command("show")
@click.option("--version", "version", type=int, default=None, help="A stored version (default: in force).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the parsed strategy and the YAML text).")
def show(version: int | None, as_json: bool) -> None:
    """The strategy in force (the packaged default when none was applied), or stored version N."""
    setup_django()
    from qingshou.apps.strategy.selectors import SOURCE_DEFAULT, active_strategy, strategy_version

    try:
        found = active_strategy() if version is None else strategy_version(version)
    except DomainError as error:
        _fail_file(error)
        return
    if as_json:
        print_json(
            {
                "source": found.source,
                "version": found.version,
                "active": found.active,
                "sha256": found.sha256,
                "applied_at": found.applied_at.isoformat() if found.applied_at else None,
                "applied_by": found.applied_by,
                "strategy": strategy_json(found.strategy),
                "text": found.text,
            }
        )
        return
    origin = (
        "packaged default (no strategy applied yet) 内置默认策略"
        if found.source == SOURCE_DEFAULT
        else f"v{found.version}{' active' if found.active else ''}, {found.applied_by}, {found.applied_at:%Y-%m-%d %H:%M}"
    )
    console().print(summary_table(found.strategy, f"策略 strategy {found.strategy.name} — {origin}"))


@strategy.command("history")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def history(as_json: bool) -> None:
    """Every applied version, newest first."""
    setup_django()
    from qingshou.apps.strategy.selectors import history as versions

    rows: list[dict[str, Any]] = [
        {
            "version": row.version,
            "name": row.name,
            "active": row.active,
            "applied_at": row.applied_at.isoformat(),
            "applied_by": row.applied_by,
            "sha256": row.sha256,
        }
        for row in versions()
    ]
    if as_json:
        print_json(rows)
        return
    headers = ("版本 version", "名称 name", "生效 active", "时间 applied at", "操作人 by", "sha256")
    console().print(
        table(
            "策略版本 strategy versions",
            headers,
            (
                (
                    r["version"],
                    r["name"],
                    "✓" if r["active"] else "",
                    r["applied_at"][:19],
                    r["applied_by"],
                    r["sha256"][:12],
                )
                for r in rows
            ),
        )
    )


COMMANDS: list[click.Command] = [strategy]
