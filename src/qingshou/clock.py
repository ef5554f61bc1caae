"""The clock adapter: the only place that asks what day it is (conventions C1).

Business days are Beijing days (Asia/Shanghai). ``QINGSHOU_TODAY`` (ISO date) pins the day for demos and
tests; the domain never calls this — services pass ``as_of`` down explicitly.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

TODAY_VAR = "QINGSHOU_TODAY"
ZONE = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in Beijing, or the pinned ``QINGSHOU_TODAY``."""
    pinned = os.environ.get(TODAY_VAR)
    if pinned:
        return date.fromisoformat(pinned)
    return datetime.now(ZONE).date()
