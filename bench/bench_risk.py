"""Benchmark the risk steps of issue 8 at scale: model training, the EOD risk steps, the day's plan, scoring.

    .venv/bin/python bench/bench_risk.py [--loans 1000000] [--day 2025-07-01] [--as-of 2025-06-30]
        [--stage copy|train|eod|plan|score|all …] [--models on|off] [--time-limit 10] [--json]

The store is a copy of the monthly report's (``var/bench/report-<N>.sqlite3``, 13 month-end snapshots in
``var/bench/lake-report-<N>``; ``bench/bench_report.py`` builds both), because EOD writes to the store and the
lake:

* ``copy``: ``sqlite3 SRC ".backup DST"`` into ``var/bench/risk-<N>.sqlite3`` (a ``cp`` of a 7 GB SQLite file
  once went corrupt), ``PRAGMA quick_check`` on the copy (the run stops when it is not ``ok``), and the lake
  copied to ``var/bench/lake-risk-<N>``; ``qingshou init`` brings the copy's tables up to date.
* ``train``: for ``collection`` and ``early_warning``, in a child process each (its own peak RSS): the
  training rows from the lake (``apps.scoring.services.models.training_set``, as of ``--as-of``; collection
  ``--days 180 --every 7``, early warning ``--days 180 --every 1`` — the days the figures were measured
  with; the lake days are chosen at least ``every`` apart, so on a month-end lake 1 and 7 give the same), then ``train_model`` (stored, then
  activated). Rows, events, seconds of each part, AUC.
* ``eod``: ``qingshou eod --as-of DAY --json`` as a child process with the models ``--models on`` (the latest
  trained version of each kind active) or ``off`` (none active); the step seconds the run records, the
  risk steps (score risk, watch borrowers, write risk scores, write watch list) picked out.
* ``plan``: ``qingshou plan run --day DAY --json`` (``QINGSHOU_PLAN_EOD`` off: the plan is not in EOD):
  candidates, seconds, gap of both runs.
* ``score``: ``risk.scorecard.score`` on 1,000,000 rows (the day's feature rows of each kind drawn with
  replacement, seed 1) with and without reason codes.

Each EOD of 1M loans takes about 12 GB: run one at a time (``free -g`` first). No assertions: the figures go
to docs/benchmarks.md ("Risk (issue 8)") with the exact command and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from measure import VAR_BENCH, qingshou, run

SCRIPT = Path(__file__).resolve()
KINDS = ("collection", "early_warning")
#: The EOD steps of issue 8.
RISK_STEPS = ("score risk", "watch borrowers", "write risk scores", "write watch list")
#: (days, every) of each kind's training window on a month-end lake.
WINDOWS = {"collection": (180, 7), "early_warning": (180, 1)}


def paths(loans: int) -> tuple[Path, Path, Path, Path]:
    """Source store and lake, the benchmark's copies."""
    return (
        VAR_BENCH / f"report-{loans}.sqlite3",
        VAR_BENCH / f"lake-report-{loans}",
        VAR_BENCH / f"risk-{loans}.sqlite3",
        VAR_BENCH / f"lake-risk-{loans}",
    )


def environment(database: Path, lake: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "QINGSHOU_DATABASE_URL": f"sqlite:///{database}",
        "QINGSHOU_LAKE": str(lake),
        **extra,
    }


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def copy(loans: int) -> dict[str, Any]:
    source, source_lake, database, lake = paths(loans)
    if not source.exists():
        raise SystemExit(f"{source} is missing: run bench/bench_report.py --loans {loans} first")
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(source), f".backup {database}"], check=True)
    backup_s = time.perf_counter() - started
    started = time.perf_counter()
    check = subprocess.run(
        ["sqlite3", str(database), "PRAGMA quick_check"], check=True, capture_output=True, text=True
    ).stdout.strip()
    check_s = time.perf_counter() - started
    if check != "ok":
        raise SystemExit(f"PRAGMA quick_check of {database} failed: {check[:2000]}")
    shutil.rmtree(lake, ignore_errors=True)
    shutil.copytree(source_lake, lake)
    init = run([qingshou(), "init"], environment(database, lake)).check()  # the tables of issue 8
    return {
        "backup_s": round(backup_s, 1),
        "quick_check": check,
        "quick_check_s": round(check_s, 1),
        "init_s": round(init.seconds, 1),
    }


# ------------------------------------------------------------------------------------------ children


def child_train(kind: str, as_of: date) -> dict[str, Any]:
    """Build the rows, train, store and activate ``kind`` in this process."""
    from qingshou.cli import setup_django

    setup_django()
    from qingshou.apps.scoring.services.models import (
        TrainOptions,
        activate,
        summary,
        train_model,
        training_set,
    )

    days, every = WINDOWS[kind]
    options = TrainOptions(as_of=as_of, days=days, every=every, seed=1)
    started = time.perf_counter()
    data = training_set(kind, options)
    rows_s = time.perf_counter() - started
    started = time.perf_counter()
    model = train_model(kind, options, actor="bench", data=data)
    train_s = time.perf_counter() - started
    activate(model, "bench", reason="bench_risk")
    head = summary(model)
    return {
        "kind": kind,
        "days": days,
        "every": every,
        "rows": data.rows.height,
        "events": head["events"],
        "window": f"{data.window_from}..{data.window_to}",
        "rows_s": round(rows_s, 1),
        "train_s": round(train_s, 1),
        "auc_train": head["auc_train"],
        "auc_test": head["auc_test"],
        "ks_test": head["ks_test"],
        "psi": head["psi_train_test"],
        "version": model.version,
        "features": len(model.artifact["features"]),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def child_models(state: str) -> dict[str, Any]:
    """``off``: retire every active model; ``on``: the latest version of each kind active."""
    from qingshou.cli import setup_django

    setup_django()
    from qingshou.apps.scoring.models import ScoreModel

    Status = ScoreModel.Status
    if state == "off":
        ScoreModel.objects.filter(status=Status.ACTIVE).update(status=Status.RETIRED)
    else:
        for kind in KINDS:
            latest = ScoreModel.objects.filter(kind=kind).order_by("-version").first()
            if latest is None:
                raise SystemExit(f"no {kind} model: run --stage train first")
            ScoreModel.objects.filter(kind=kind, status=Status.ACTIVE).exclude(pk=latest.pk).update(
                status=Status.RETIRED
            )
            ScoreModel.objects.filter(pk=latest.pk).update(status=Status.ACTIVE)
    active = ScoreModel.objects.filter(status=Status.ACTIVE).values_list("kind", "version")
    return {"active": sorted(f"{kind} v{version}" for kind, version in active)}


def child_score(day: date, rows: int) -> dict[str, Any]:
    """``scorecard.score`` of ``rows`` feature rows of each kind (the day's rows drawn with replacement)."""
    from qingshou.cli import setup_django

    setup_django()
    from datetime import timedelta

    from qingshou import config
    from qingshou.apps.scoring.services.models import active_artifact
    from qingshou.lake import read_snapshot
    from qingshou.risk import collection, scorecard, warning
    from qingshou.risk.features import read_history
    from qingshou.store import Store

    figures: dict[str, Any] = {}
    snapshot = read_snapshot(config.lake_path(), day)
    with Store(config.adbc_uri()) as store:
        history = read_history(store, since=day - timedelta(days=90), until=day)
        frames = {
            "collection": collection.features_on(day, snapshot, history),
            "early_warning": warning.features(snapshot, warning.read_facts(store), day),
        }
    for kind, frame in frames.items():
        active = active_artifact(kind)
        if active is None or frame.height == 0:
            figures[kind] = "no active model or no rows"
            continue
        sample = frame.sample(n=rows, with_replacement=True, seed=1)
        timings = {}
        for label, reasons in (("with_reasons", 4), ("without_reasons", 0)):
            started = time.perf_counter()
            scorecard.score(active[1], sample, reasons=reasons)
            timings[f"{label}_s"] = round(time.perf_counter() - started, 2)
        figures[kind] = {"day_rows": frame.height, "rows": rows, **timings}
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


# ------------------------------------------------------------------------------------------ stages


def child(arguments: list[str], env: dict[str, str]) -> dict[str, Any]:
    result = run([sys.executable, str(SCRIPT), *arguments], env).check()
    return {
        **result.json(),
        "child_wall_s": round(result.seconds, 1),
        "child_peak_rss_mb": round(result.peak_rss_mb),
    }


def stored_run(database: Path, day: date) -> dict[str, Any]:
    """The latest ``qs_eod_run`` of ``day``: status, message and the seconds it recorded (a failed run
    records its step seconds too)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        row = connection.execute(
            "SELECT id, status, message, step_seconds, read_store_seconds, compute_seconds, write_lake_seconds,"
            " write_store_seconds FROM qs_eod_run WHERE as_of = ? ORDER BY id DESC LIMIT 1",
            (day.isoformat(),),
        ).fetchone()
    if row is None:
        return {}
    kinds = ("read_store", "compute", "write_lake", "write_store")
    return {
        "run_id": row[0],
        "status": row[1],
        "message": row[2],
        "step_seconds": json.loads(row[3] or "{}"),
        "seconds": {kind: round(value, 2) for kind, value in zip(kinds, row[4:], strict=True)},
    }


def eod(day: date, env: dict[str, str], models: str, database: Path) -> dict[str, Any]:
    toggled = child(["--child", "models", "--models", models], env)
    result = run([qingshou(), "eod", "--as-of", day.isoformat(), "--json"], env)
    last = stored_run(database, day)
    steps = last.get("step_seconds", {})
    risk = {name: round(steps.get(name, 0.0), 2) for name in RISK_STEPS}
    return {
        "models": models,
        "active": toggled["active"],
        "exit": result.returncode,
        "status": last.get("status"),
        "message": last.get("message", "")[:300],
        "wall_s": round(result.seconds, 1),
        "peak_rss_mb": round(result.peak_rss_mb),
        "seconds": last.get("seconds"),
        "risk_steps_s": risk,
        "risk_total_s": round(sum(risk.values()), 2),
        "steps": {name: round(value, 2) for name, value in steps.items()},
        "load": load(),
    }


def plan(day: date, env: dict[str, str], time_limit: float | None) -> dict[str, Any]:
    command = [qingshou(), "plan", "run", "--day", day.isoformat(), "--json"]
    if time_limit is not None:
        command += ["--time-limit", str(time_limit)]
    result = run(command, {**env, "QINGSHOU_PLAN_EOD": "0"}).check()
    data = json.loads(result.stdout)  # print_json: indented, several lines
    picked = {
        method: {
            key: data[method].get(key)
            for key in ("candidates", "chosen", "status", "gap_ppm", "seconds", "net")
        }
        for method in ("greedy", "optimised")
        if isinstance(data.get(method), dict)
    }
    return {
        "wall_s": round(result.seconds, 1),
        "peak_rss_mb": round(result.peak_rss_mb),
        **picked,
        "load": load(),
    }


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    found.add_argument("--loans", type=int, default=1_000_000)
    found.add_argument("--day", default="2025-07-01", help="the EOD / plan day (after the last snapshot)")
    found.add_argument("--as-of", default="2025-06-30", help="training as of (the lake's last snapshot)")
    found.add_argument(
        "--stage", action="append", choices=("copy", "train", "eod", "plan", "score", "all"), default=None
    )
    found.add_argument("--models", choices=("on", "off"), default="on", help="the eod stage: models active?")
    found.add_argument("--time-limit", type=float, default=None, help="the plan's solver limit (s)")
    found.add_argument("--rows", type=int, default=1_000_000, help="rows scored by the score stage")
    found.add_argument("--child", choices=("train", "models", "score"), help=argparse.SUPPRESS)
    found.add_argument("--kind", choices=KINDS, help=argparse.SUPPRESS)
    found.add_argument("--json", action="store_true")
    return found


def as_child(arguments: argparse.Namespace) -> dict[str, Any]:
    day, as_of = date.fromisoformat(arguments.day), date.fromisoformat(arguments.as_of)
    if arguments.child == "train":
        return child_train(arguments.kind, as_of)
    if arguments.child == "models":
        return child_models(arguments.models)
    return child_score(day, arguments.rows)


def stage_figures(stage: str, arguments: argparse.Namespace, env: dict[str, str]) -> Any:
    day = date.fromisoformat(arguments.day)
    if stage == "copy":
        return copy(arguments.loans)
    if stage == "train":
        found = []
        for kind in KINDS:
            found.append(child(["--child", "train", "--kind", kind, "--as-of", arguments.as_of], env))
            if not arguments.json:
                print(f"train {kind}: {json.dumps(found[-1])}", flush=True)
        return found
    if stage == "eod":
        return eod(day, env, arguments.models, paths(arguments.loans)[2])
    if stage == "plan":
        return plan(day, env, arguments.time_limit)
    return child(["--child", "score", "--day", arguments.day, "--rows", str(arguments.rows)], env)


def main() -> None:
    arguments = parser().parse_args()
    if arguments.child:
        print(json.dumps(as_child(arguments)))
        return
    stages = arguments.stage or ["all"]
    if "all" in stages:
        stages = ["copy", "train", "eod", "plan", "score"]
    _, _, database, lake = paths(arguments.loans)
    env = environment(database, lake)
    figures: dict[str, Any] = {"loans": arguments.loans, "day": arguments.day, "load_start": load()}
    for stage in stages:
        figures[stage] = stage_figures(stage, arguments, env)
        if not arguments.json:
            print(f"{stage}: {json.dumps(figures[stage], ensure_ascii=False)}", flush=True)
    figures["load_end"] = load()
    figures["command"] = " ".join([".venv/bin/python", "bench/bench_risk.py", *sys.argv[1:]])
    if arguments.json:
        print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
