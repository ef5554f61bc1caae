"""Benchmark the collector's workbench: queue and case page under 50 concurrent users, on PostgreSQL.

    .venv/bin/python bench/bench_workbench.py --loans 200000 [--users 50] [--duration 60] [--warmup 10]
        [--workers 2] [--think 0 [5 …]] [--json]

1. The book of N loans is simulated once into ``var/bench/book-<N>-…`` (as ``bench_load.py`` does).
2. Inside the throw-away PostgreSQL 15 of ``scripts/with-postgres`` (this script in ``--inner`` mode):
   ``qingshou init``, ``qingshou load BOOK``, ``qingshou eod --as-of D`` (``QINGSHOU_TODAY`` = D + 1, a
   fresh lake under ``var/bench/``), ``qingshou users demo``, every open case to the demo team (as
   ``qingshou demo`` does: ``demo.give_cases_to_the_demo_team``), ``ANALYZE`` (what autovacuum does a
   minute or so later; ``--no-analyze`` measures the plans right after EOD), each step timed; then the queries one
   queue page, one case page and what opening its "Schedule and payments" fetches cost (Django's test
   client in a child, ``CaptureQueriesContext``).
3. ``qingshou serve --workers W`` (gunicorn) on 127.0.0.1, waited for until the login page answers.
4. The load, from a second process (asyncio + httpx, ``--client`` mode): ``--users`` virtual users, each
   logged in through ``/accounts/login/`` (with the CSRF token) as collector1 or collector2 alternately,
   loop for ``--warmup`` seconds (not recorded) and then ``--duration`` seconds: GET ``/cases/queue/``,
   then GET one case page of that queue (``/cases/<id>/``), then sleep ``--think`` seconds. With a think
   time each user starts at a random point of its first think time (users do not click in step) and the
   recording starts once all have begun (after ``max(--warmup, --think)``). Every response time and status
   is recorded; per page: count, p50, p95, p99, max and errors (non-200), and requests/s. Several
   ``--think`` values run one load each, one after the other, against the same server; ``uptime``'s load
   average is printed before each (other processes on the machine show there).
5. gunicorn is stopped; ``scripts/with-postgres`` stops the server and removes its folder.

No assertions: the figures go to docs/benchmarks.md with the exact command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench_load import ensure_book
from measure import REPO, VAR_BENCH, book_arguments, qingshou, run

SCRIPT = Path(__file__).resolve()
COLLECTORS = ("collector1", "collector2")
PAGES = ("queue", "case")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/cases/(\d+)/"')


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (sorted here), in the values' unit."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- the load (client mode: a separate process) ------------------------------------------------------------


async def login(client: Any, username: str, password: str) -> None:
    page = await client.get("/accounts/login/")
    token = CSRF_INPUT.search(page.text)
    if page.status_code != 200 or token is None:
        raise SystemExit(f"login page: HTTP {page.status_code}, no CSRF token")
    answer = await client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{client.base_url}accounts/login/"},
    )
    if answer.status_code != 302:
        raise SystemExit(f"login of {username}: HTTP {answer.status_code} (expected a redirect)")


async def virtual_user(
    number: int,
    args: argparse.Namespace,
    start: float,
    stop: float,
    samples: dict[str, list[tuple[float, int]]],
) -> None:
    import httpx

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=args.url, limits=limits, timeout=120.0) as client:
        await login(client, COLLECTORS[number % len(COLLECTORS)], args.password)
        chooser = random.Random(number)
        if args.think:
            # Users do not click in step: each starts at a random point of one think time.
            await asyncio.sleep(chooser.uniform(0, args.think))
        while (now := time.perf_counter()) < stop:
            recording = now >= start
            began = time.perf_counter()
            queue = await client.get("/cases/queue/")
            spent = time.perf_counter() - began
            if recording:
                samples["queue"].append((spent, queue.status_code))
            ids = CASE_LINK.findall(queue.text) if queue.status_code == 200 else []
            if ids:
                began = time.perf_counter()
                case = await client.get(f"/cases/{chooser.choice(ids)}/")
                spent = time.perf_counter() - began
                if began >= start:
                    samples["case"].append((spent, case.status_code))
            elif recording:
                samples["case"].append((0.0, -1))  # no case link on the queue page: counted as an error
            if args.think:
                await asyncio.sleep(min(args.think, max(0.0, stop - time.perf_counter())))


async def load(args: argparse.Namespace) -> dict[str, Any]:
    samples: dict[str, list[tuple[float, int]]] = {page: [] for page in PAGES}
    load_average = [round(value, 2) for value in os.getloadavg()]
    started = time.perf_counter()
    # Logins hash a password each (slow on purpose): they run before the warm-up window starts counting.
    # With a think time the users' staggered first rounds must all have begun before recording starts.
    start = started + max(args.warmup, args.think)
    stop = start + args.duration
    await asyncio.gather(*(virtual_user(n, args, start, stop, samples) for n in range(args.users)))
    figures: dict[str, Any] = {
        "users": args.users,
        "duration_s": args.duration,
        "think_s": args.think,
        "load_average_before": load_average,
    }
    total = 0
    for page, rows in samples.items():
        times = [seconds * 1000 for seconds, status in rows if status == 200]
        errors = sum(1 for _, status in rows if status != 200)
        total += len(rows)
        figures[page] = {
            "count": len(rows),
            "errors": errors,
            "statuses": sorted({status for _, status in rows}),
            **{
                name: round(percentile(times, share), 1)
                for name, share in (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99))
            },
            "max_ms": round(max(times), 1) if times else None,
            "per_second": round(len(rows) / args.duration, 1),
        }
    figures["requests_per_second"] = round(total / args.duration, 1)
    return figures


# --- the database and the server (inner mode: inside scripts/with-postgres) ---------------------------------


def step(name: str, command: list[str], env: dict[str, str], timings: dict[str, float]) -> None:
    result = run(command, env).check(allowed=(0, 3) if name == "load" else (0,))
    timings[name] = round(result.seconds, 1)
    print(f"  {name}: {result.seconds:.1f} s", file=sys.stderr, flush=True)


QUERY_COUNT = """
import json, sys
from qingshou.cli import setup_django
setup_django()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
import re, time
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(__import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model()
                   .objects.get(username="collector1"))
out = {}
ids = []
schedules = []
for page in ("queue", "case", "schedule"):
    best = None
    for _ in range(3):
        url = {"queue": "/cases/queue/", "case": f"/cases/{ids[0] if ids else 0}/"}.get(page)
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            if page == "schedule":  # what opening "Schedule and payments" fetches (HTMX)
                answer = client.get(schedules[0], headers={"HX-Request": "true"})
            else:
                answer = client.get(url)
            spent = time.perf_counter() - began
        if page == "queue":
            ids = re.findall(r'href="/cases/(\\d+)/"', answer.content.decode())
        if page == "case":
            schedules = re.findall(r'hx-get="(/cases/\\d+/loans/[^/"]+/schedule/)"', answer.content.decode())
        seconds = sum(float(q["time"]) for q in queries.captured_queries)
        slow = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
        row = {"status": answer.status_code, "queries": len(queries), "sql_ms": round(seconds * 1000, 1),
               "total_ms": round(spent * 1000, 1),
               "slowest": [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:300]} for q in slow]}
        if best is None or row["total_ms"] < best["total_ms"]:
            best = row
    out[page] = best
print(json.dumps(out, ensure_ascii=False))
"""

ASSIGN = """
from datetime import date
from qingshou.cli.demo import give_cases_to_the_demo_team
give_cases_to_the_demo_team(date.fromisoformat("{day}"))
"""


ANALYZE = """
from qingshou.cli import setup_django
setup_django()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the workbench exited with {server.returncode} before answering")
        try:
            if httpx.get(f"{url}/accounts/login/", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the workbench did not answer on {url} within {seconds:.0f} s")


def kept_cluster(args: argparse.Namespace) -> Path:
    """Where ``--keep`` keeps the PostgreSQL cluster of this book (``scripts/with-postgres`` ``PG_KEEP``)."""
    return VAR_BENCH / f"pg-workbench-{args.loans}-s{args.seed}"


def inner(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    as_of = date.fromisoformat(args.as_of)
    lake = VAR_BENCH / f"lake-workbench-{args.loans}"
    shutil.rmtree(lake, ignore_errors=True)
    env = {
        **os.environ,
        "QINGSHOU_TODAY": (as_of + timedelta(days=1)).isoformat(),
        "QINGSHOU_LAKE": str(lake),
    }
    env.pop("QINGSHOU_DEBUG", None)
    timings: dict[str, float] = {}
    step("init", [qingshou(), "init", "--json"], env, timings)  # on a kept cluster: today's migrations
    built = kept_cluster(args) / f".built-{args.as_of}" if args.keep else None
    if built is None or not built.exists():
        step("load", [qingshou(), "load", str(folder), "--json"], env, timings)
        step("eod", [qingshou(), "eod", "--as-of", args.as_of, "--json"], env, timings)
        step("users demo", [qingshou(), "users", "demo", "--password", args.password, "--json"], env, timings)
        step("assign", [sys.executable, "-c", ASSIGN.format(day=args.as_of)], env, timings)
        if args.analyze:
            step("analyze", [sys.executable, "-c", ANALYZE], env, timings)
        if built is not None:
            built.touch()
    counted = run([sys.executable, "-c", QUERY_COUNT], env)
    queries = counted.json() if counted.returncode == 0 else {"failed": counted.stderr[-1500:]}
    shutil.rmtree(lake, ignore_errors=True)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve = [qingshou(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)]
    log = open(VAR_BENCH / "workbench-gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        wait_until_up(url, server)
        measured = []
        for think in args.think:
            client = [sys.executable, str(SCRIPT), "--client", "--url", url, "--users", str(args.users)]
            client += ["--duration", str(args.duration), "--warmup", str(args.warmup), "--think", str(think)]
            client += ["--password", args.password]
            measured.append(run(client, env).check())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    return {
        "setup_seconds": timings,
        "queries": queries,
        "loads": [result.json() for result in measured],
        "client_peak_rss_mb": max(round(result.peak_rss_mb) for result in measured),
        "serve": " ".join(serve[1:]),
    }


def print_figures(figures: dict[str, Any]) -> None:
    setup = ", ".join(f"{name} {seconds} s" for name, seconds in figures["setup_seconds"].items())
    print(f"book {figures['book']} into PostgreSQL: {setup}")
    print(f"command: {figures['command']}")
    print(f"server: qingshou {figures['serve']} (gunicorn, sync workers)")
    for load in figures["loads"]:
        print(
            f"{load['users']} users, {load['duration_s']} s measured, think {load['think_s']} s:"
            f" {load['requests_per_second']} requests/s (load average before: {load['load_average_before']})"
        )
        print(f"{'page':<8}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
        for page in PAGES:
            row = load[page]
            print(
                f"{page:<8}{row['count']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}"
                f"{row['max_ms']!s:>9}{row['errors']:>8}"
            )
    for page, row in figures["queries"].items():
        if isinstance(row, dict):
            print(f"one {page} page alone (test client): {row['queries']} queries, SQL {row['sql_ms']} ms of "
                  f"{row['total_ms']} ms")  # fmt: skip
            for slow in row["slowest"]:
                print(f"    {slow['ms']:>8} ms  {slow['sql'][:160]}")
        else:
            print(f"{page}: {row}")


def main() -> None:
    parser = book_arguments(__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent virtual users")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring (logins first)")
    parser.add_argument(
        "--think", type=float, nargs="+", default=[0.0], help="seconds each user waits after a case page"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--no-analyze", dest="analyze", action="store_false", help="skip ANALYZE after the setup (cold plans)"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the PostgreSQL cluster in var/bench/pg-workbench-<N>-s<seed>/: the first run builds the book"
        " there, later runs only migrate and measure (delete the folder to rebuild)",
    )
    parser.add_argument("--password", default="qingshou-demo", help=argparse.SUPPRESS)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.client:
        args.think = args.think[0]
        print(json.dumps(asyncio.run(load(args))))
        return
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    folder, _ = ensure_book(args)
    if args.inner:
        print(json.dumps(inner(folder, args), ensure_ascii=False))
        return
    command = [sys.executable, str(SCRIPT), *sys.argv[1:]]
    wrapper = [str(REPO / "scripts" / "with-postgres"), *command, "--inner"]
    environment = {**os.environ, "PG_KEEP": str(kept_cluster(args))} if args.keep else None
    result = subprocess.run(wrapper, stdout=subprocess.PIPE, text=True, check=False, env=environment)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(wrapper)} exited with {result.returncode}")
    figures = {
        "loans": args.loans,
        "book": str(folder),
        "command": " ".join(command),
        **json.loads(result.stdout),
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    print_figures(figures)


if __name__ == "__main__":
    main()
