"""Strategy files: YAML text → ``domain.strategy.Strategy``, every problem with its line number.

The text is *composed* (``yaml.compose``: a node tree that remembers each node's position) so that the
domain's issues, which name a path such as ``segments[2].when.dpd``, can be given the line of that node:
``line 14, segments[2].when.dpd: expected an integer, got 'abc'``. Duplicate keys (which plain
``yaml.safe_load`` silently overwrites) are reported here; YAML syntax errors come back as a single issue
with their line. Nothing in this module touches the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Final

import yaml

from qingshou.domain.errors import DomainError
from qingshou.domain.strategy import Issue, PathKey, Strategy, StrategyError, format_path, parse_strategy

#: The packaged default strategy, used until one is applied.
DEFAULT_RESOURCE: Final = ("strategies", "default.yaml")


@dataclass(frozen=True, slots=True)
class LineIssue:
    """An issue with the 1-based line of the YAML node it concerns (None: not located)."""

    line: int | None
    path: PathKey
    reason: str

    def __str__(self) -> str:
        where = format_path(self.path)
        return f"line {self.line}, {where}: {self.reason}" if self.line else f"{where}: {self.reason}"


class StrategyFileError(DomainError):
    """A strategy file cannot be used; ``issues`` lists every problem with its line."""

    code = "invalid_strategy"

    def __init__(self, issues: list[LineIssue]) -> None:
        self.issues = tuple(issues)
        listed = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"the strategy file has {len(self.issues)} error(s):\n{listed}")


def default_text() -> str:
    """The YAML text of the packaged default strategy."""
    return resources.files("qingshou").joinpath(*DEFAULT_RESOURCE).read_text(encoding="utf-8")


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _duplicates(node: yaml.Node, path: PathKey = ()) -> Iterator[LineIssue]:
    """Every key given twice in one mapping, anywhere in the tree."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key in seen:
                reason = f"duplicate key {key!r} (first on line {seen[key]})"
                yield LineIssue(_line(key_node), (*path, str(key)), reason)
            elif key is not None:
                seen[key] = _line(key_node)
            yield from _duplicates(value_node, (*path, str(key)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicates(item, (*path, index))


def locate(root: yaml.Node | None, path: PathKey) -> int | None:
    """The line of the deepest node on ``path`` (a missing key points at its mapping)."""
    if root is None:
        return None
    node = root
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return _line(node)


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                return value_node  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def _compose(text: str) -> tuple[yaml.Node | None, object]:
    """The node tree and the plain data it builds (safe types only)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()
    return node, data


def _syntax_issue(error: yaml.YAMLError) -> LineIssue:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = None if mark is None else int(mark.line) + 1
    problem = getattr(error, "problem", None) or str(error)
    return LineIssue(line, (), f"not valid YAML: {problem}")


def parse_text(text: str) -> Strategy:
    """The strategy in ``text``; ``StrategyFileError`` with every issue (line, path, reason) otherwise."""
    try:
        node, data = _compose(text)
    except yaml.YAMLError as error:
        raise StrategyFileError([_syntax_issue(error)]) from None
    issues = list(_duplicates(node)) if node is not None else []
    try:
        strategy = parse_strategy(data)
    except StrategyError as error:
        issues.extend(_located(node, error.issues))
    if issues:
        raise StrategyFileError(sorted(issues, key=lambda issue: issue.line or 0))
    return strategy


def located(text: str, issues: tuple[Issue, ...]) -> list[LineIssue]:
    """``issues`` about a valid ``text`` with the line of each (checks made after parsing, e.g. against
    the store)."""
    node, _ = _compose(text)
    return list(_located(node, issues))


def _located(node: yaml.Node | None, issues: tuple[Issue, ...]) -> Iterator[LineIssue]:
    for issue in issues:
        yield LineIssue(locate(node, issue.path), issue.path, issue.reason)
