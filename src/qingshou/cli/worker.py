"""``qingshou worker``: send the notice outbox with the django-q2 cluster (broker: this database).

Without options the cluster runs until stopped (Ctrl-C / SIGTERM): a schedule relays the due outbox rows
every minute into one send task per row (letters: one print task per batch). ``--burst`` sends everything
due now synchronously, prints what happened and exits (tests, the demo, cron).
"""

from __future__ import annotations

import json

import click

from qingshou.cli import setup_django


@click.command("worker")
@click.option("--burst", is_flag=True, help="Send everything due now, then exit.")
@click.option("--json", "as_json", is_flag=True, help="With --burst: machine-readable summary.")
def worker_command(burst: bool, as_json: bool) -> None:
    """发送通知 Send notices from the outbox (SMS, e-mail, letters)."""
    setup_django()
    from qingshou.apps.notices.services.sending import ensure_relay_schedule, run_burst

    if burst:
        result = run_burst()
        statuses = dict(sorted(result.statuses.items()))
        summary = {"relayed": result.relayed, "statuses": statuses}
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False))
        else:
            counts = ", ".join(f"{status} {count}" for status, count in statuses.items()) or "-"
            click.echo(f"worker burst: {result.relayed} relayed; {counts}")
        return
    from django_q.cluster import Cluster

    ensure_relay_schedule()
    Cluster().start()


COMMANDS: list[click.Command] = [worker_command]
