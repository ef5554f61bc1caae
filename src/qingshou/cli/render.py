"""Rendering for the command line: zh-CN money and dates, rich tables, JSON with decimal strings (C9).

Commands build plain data and hand it here; nothing in this module computes a business number.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingshou.domain.money import money_str

#: Width when the output is not a terminal (files, pipes, CI logs): wide enough for the schedule table.
PIPE_WIDTH = 140


def console(stderr: bool = False) -> Console:
    """A console for human output (stderr for progress and errors); wide when piped so tables stay whole."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else PIPE_WIDTH
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def yuan(amount: Decimal) -> str:
    """Money for people: ``¥1,033.30`` (zh-CN grouping, two decimals)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def jsonable(value: Any) -> Any:
    """Turn domain values into JSON-safe values: Decimal → "0.00" string, date → ISO, enum → value."""
    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def print_json(data: Any) -> None:
    """Print ``data`` as UTF-8 JSON (Chinese kept readable) on stdout."""
    sys.stdout.write(json.dumps(jsonable(data), ensure_ascii=False, indent=2) + "\n")


def table(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], *, right: int = 0) -> Table:
    """A rich table; the last ``right`` columns are right-aligned (numbers)."""
    result = Table(title=title, title_justify="left", header_style="bold")
    for index, header in enumerate(headers):
        result.add_column(header, justify="right" if index >= len(headers) - right else "left")
    for row in rows:
        result.add_row(*(str(cell) for cell in row))
    return result


class StepBars:
    """A progress callback ``(step, completed, total)`` drawing one rich bar per step (on stderr)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, step: str, completed: int, total: int | None) -> None:
        if step not in self._tasks:
            self._tasks[step] = self._progress.add_task(step, total=total)
        self._progress.update(self._tasks[step], completed=completed, total=total)


def step_progress(*, transient: bool = True) -> Progress:
    """The progress display of long commands on stderr: one bar per step (use with ``StepBars``)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console(stderr=True), transient=transient)
