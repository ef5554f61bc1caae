"""``qingshou model …``: scorecard model versions (issue 8, docs/models.md).

* ``qingshou model train KIND [--dataset lake|german-credit|synthetic] [--as-of D] [--days 180] [--every 7]
  [--seed 1] [--test-share 0.3] [--activate] [--json]``: builds the training rows, trains the scorecard and stores
  the next version of KIND (``collection``, ``early_warning``, ``application``) with its validation metrics.
* ``qingshou model list [--kind KIND] [--json]``: every version with AUC / KS / PSI.
* ``qingshou model show KIND VERSION [--json]``: the version's headline and its points table.
* ``qingshou model activate KIND VERSION [--reason TEXT] [--json]``: makes the version the kind's active model
  (the previous one is retired; an audit event).
* ``qingshou model report KIND VERSION --out DIR [--lang zh|en] [--json]``: HTML + PNG charts + metrics JSON.

Run as the operator (actor ``system`` in the audit trail, the login name recorded). Exit codes: 0; 2 bad input
or a model that cannot be trained; 4 no such version.
"""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Any

import click

from qingshou.cli import EXIT_NOT_FOUND, EXIT_USAGE, fail, setup_django
from qingshou.cli.quote import as_date
from qingshou.cli.render import console, print_json, table

KINDS = ("collection", "early_warning", "application")
DATASETS = ("lake", "german-credit", "synthetic")
KIND_LABELS = {"collection": "催收评分", "early_warning": "预警评分", "application": "申请评分"}


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


def _optional_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    return None if value is None else as_date(ctx, param, value)


def _number(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _failed(error: Exception) -> None:
    fail(error, EXIT_NOT_FOUND if getattr(error, "code", "") == "not_found" else EXIT_USAGE)


@click.group("model")
def model() -> None:
    """Score models (评分模型): train, list, show, activate and report scorecard versions."""


@model.command("train")
@click.argument("kind", type=click.Choice(KINDS))
@click.option(
    "--dataset", type=click.Choice(DATASETS), default="lake", show_default=True, help="Training rows."
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    callback=_optional_date,
    help="Last day of history (default: the lake's latest).",
)
@click.option("--days", default=180, show_default=True, type=click.IntRange(1, 3650), help="Days of history.")
@click.option(
    "--every", default=7, show_default=True, type=click.IntRange(1, 365), help="Days between observations."
)
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the random split.")
@click.option(
    "--test-share", default=0.3, show_default=True, type=click.FloatRange(0.05, 0.6), help="Test share."
)
@click.option("--activate", "then_activate", is_flag=True, help="Activate the new version.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def train(
    kind: str,
    dataset: str,
    as_of: date | None,
    days: int,
    every: int,
    seed: int,
    test_share: float,
    then_activate: bool,
    as_json: bool,
) -> None:
    """Train the next version of a KIND model."""
    setup_django()
    from qingshou.apps.scoring.services.models import ModelError, TrainOptions, activate, summary, train_model

    options = TrainOptions(
        dataset=dataset, seed=seed, as_of=as_of, days=days, every=every, test_share=test_share
    )
    try:
        if as_json:
            stored = train_model(kind, options, actor=_login())
        else:
            with console(stderr=True).status(f"训练 training {kind} ({dataset}) …"):
                stored = train_model(kind, options, actor=_login())
        if then_activate:
            stored = activate(stored, None, reason=f"qingshou model train --activate ({_login()})")
    except ModelError as error:
        _failed(error)
        return
    if as_json:
        print_json({**summary(stored), "dropped": stored.artifact.get("dropped", [])})
        return
    _print_summary(stored)


def _print_summary(stored: Any) -> None:
    from qingshou.apps.scoring.services.models import summary

    head = summary(stored)
    out = console()
    out.print(
        f"模型 model {KIND_LABELS[stored.kind]} {stored.kind} v{stored.version} ({stored.status}) · "
        f"{stored.dataset} · 样本 rows {stored.rows:,} · 事件 events {stored.events:,}"
    )
    metrics = stored.metrics or {}
    out.print(
        table(
            "验证 validation",
            ["样本集 part", "AUC", "KS", "Gini", "样本 rows"],
            [
                (
                    part,
                    _number((metrics.get(part) or {}).get("auc")),
                    _number((metrics.get(part) or {}).get("ks")),
                    _number((metrics.get(part) or {}).get("gini")),
                    (metrics.get(part) or {}).get("rows", 0),
                )
                for part in ("train", "test")
            ],
            right=4,
        )
    )
    out.print(f"PSI 训练→测试 train→test: {_number(head['psi_train_test'], 4)} ({head['psi_reading']})")
    for item in stored.artifact.get("dropped", []):
        out.print(f"剔除 dropped: {item['feature']} — {item['reason']}")
    out.print(f"SHA-256 {stored.artifact_sha256}")


@model.command("list")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(kind: str | None, as_json: bool) -> None:
    """Every model version with its test AUC / KS and train→test PSI."""
    setup_django()
    from qingshou.apps.scoring.services.models import list_models, summary

    found = [summary(item) for item in list_models(kind)]
    if as_json:
        print_json(found)
        return
    console().print(
        table(
            "评分模型 score models",
            ["类型 kind", "版本 version", "状态 status", "数据 dataset", "训练 trained", "AUC", "KS", "PSI"],
            [
                (
                    item["kind"],
                    item["version"],
                    item["status"],
                    item["dataset"][:48],
                    item["trained_at"][:16],
                    _number(item["auc_test"]),
                    _number(item["ks_test"]),
                    _number(item["psi_train_test"], 4),
                )
                for item in found
            ],
            right=3,
        )
    )


@model.command("show")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("version", type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(kind: str, version: int, as_json: bool) -> None:
    """A version's headline and its points table (feature, bin, count, event rate, WoE, points)."""
    setup_django()
    from qingshou.apps.scoring.services.models import ModelError, get_model, summary
    from qingshou.risk.scorecard import points_table

    try:
        stored = get_model(kind, version)
    except ModelError as error:
        _failed(error)
        return
    points = points_table(stored.artifact)
    if as_json:
        print_json(
            {
                **summary(stored),
                "base": stored.artifact["base"],
                "scaling": stored.artifact["scaling"],
                "points": points.to_dicts(),
                "dropped": stored.artifact.get("dropped", []),
            }
        )
        return
    _print_summary(stored)
    console().print(f"基础分 base points {stored.artifact['base']:.1f}")
    console().print(
        table(
            "评分卡 scorecard",
            ["特征 feature", "分箱 bin", "数量 count", "事件率 event rate", "WoE", "分值 points"],
            [
                (
                    f"{row['label_zh']} {row['feature']}",
                    row["label"],
                    row["count"],
                    _number(row["event_rate"]),
                    _number(row["woe"]),
                    _number(row["points"], 1),
                )
                for row in points.iter_rows(named=True)
            ],
            right=4,
        )
    )


@model.command("activate")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("version", type=click.IntRange(1))
@click.option("--reason", default="", help="Why (kept in the audit trail).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def activate_(kind: str, version: int, reason: str, as_json: bool) -> None:
    """Make a version the active model of its kind (the previous one is retired)."""
    setup_django()
    from qingshou.apps.scoring.services.models import ModelError, activate, get_model, summary

    try:
        stored = activate(
            get_model(kind, version), None, reason=reason or f"qingshou model activate ({_login()})"
        )
    except ModelError as error:
        _failed(error)
        return
    if as_json:
        print_json(summary(stored))
        return
    console().print(f"已启用 activated: {kind} v{stored.version}")


@model.command("report")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("version", type=click.IntRange(1))
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write into."
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report(kind: str, version: int, out: Path, lang: str, as_json: bool) -> None:
    """Write the model report (HTML, PNG charts, metrics JSON) of a version into OUT."""
    setup_django()
    from qingshou.apps.scoring.services.models import ModelError, get_model
    from qingshou.apps.scoring.services.report import write_report

    try:
        stored = get_model(kind, version)
        files = write_report(stored, out, lang)
    except ModelError as error:
        _failed(error)
        return
    except OSError as error:
        fail(error, EXIT_USAGE)
        return
    if as_json:
        print_json(files.as_json())
        return
    rows = [("html", str(files.html)), ("metrics", str(files.metrics))]
    rows += [(name, str(path)) for name, path in files.charts.items()]
    console().print(table(f"模型报告 model report {kind} v{version}", ["文件 file", "路径 path"], rows))
    current = files.current
    if current.get("rows"):
        console().print(
            f"当前评分 PSI current scores ({current['as_of']}, {current['rows']:,}): "
            f"{_number(current['psi'], 4)} ({current['reading']})"
        )


COMMANDS: list[click.Command] = [model]
