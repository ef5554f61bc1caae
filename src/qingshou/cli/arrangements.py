"""Commands of this module (registered in qingshou.cli)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
