"""``qingshou report``: the monthly 逾期贷款清收报告 (issue 7)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
