"""EOD store step ``plan day`` (issue 8, off by default): after ``write actions``, plan the day both ways
(``services.make_plans``) and replace the day's ``qs_plan_run`` / ``qs_plan_item`` rows inside the run's store
transaction, so a failed run leaves no plan and a rerun replaces it.

Enable it with ``QINGSHOU_PLAN_EOD = True``. It is off by default because the optimiser takes up to its time
limit (``QINGSHOU_PLAN["time_limit_s"]``, 10 s) inside the EOD transaction, and the plan is advisory: it does not
change which actions the strategy sends. Like the notices it does nothing on a day the collection steps skipped
(a backfill older than the latest plan). The run's ``extras`` get the two nets and the gain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.conf import settings

from qingshou.apps.cases.services.daily import WRITE_STORE, collection_of
from qingshou.apps.planning.services import PlanSettings, make_plans, write_plans

if TYPE_CHECKING:
    from qingshou.apps.eod.services.run import EodContext

#: ``context.extras`` key: the plan's figures (candidates, chosen by each method, greedy and optimised net,
#: gain, status), when the step ran.
PLAN_EXTRAS: Final = "plan"


def enabled() -> bool:
    """``QINGSHOU_PLAN_EOD`` (default False)."""
    return bool(getattr(settings, "QINGSHOU_PLAN_EOD", False))


class PlanDay:
    """EOD store step: the day's greedy and optimised plans, stored (module docstring)."""

    name, kind = "plan day", WRITE_STORE

    def __call__(self, context: EodContext) -> None:
        if not enabled() or collection_of(context) is None:
            return
        plan_settings = PlanSettings.from_settings()
        plans = make_plans(
            context.as_of,
            context.store,
            plan_settings=plan_settings,
            lake=context.lake,
            snapshot=context.snapshot,
        )
        write_plans(plans, context.store, plan_settings)
        context.extras[PLAN_EXTRAS] = {
            "candidates": plans.optimised.candidates,
            "greedy_chosen": len(plans.greedy.chosen),
            "optimised_chosen": len(plans.optimised.chosen),
            "greedy_net_fen": plans.greedy.net_fen,
            "optimised_net_fen": plans.optimised.net_fen,
            "gain_fen": plans.gain_fen,
            "status": plans.optimised.status,
        }
