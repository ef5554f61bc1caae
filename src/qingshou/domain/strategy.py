"""Collection strategies (issue 4): who gets which treatment on which day of their arrears.

A ``Strategy`` is an ordered list of ``Segment``\\ s; a borrower belongs to the **first** segment whose
conditions all hold (``when``: a conjunction of conditions on one borrower's facts). A segment runs one or
more treatment ``Path``\\ s with traffic shares in basis points summing to 10 000: the first path is the
*champion*, the others are *challenger-1*, *challenger-2*, … A borrower's path is chosen by a stable hash of
the borrower id (``hash_bucket``: FNV-1a 64 over the UTF-8 bytes, modulo 10 000), so the same borrower gets
the same arm every day and in every process. A path is a list of ``Step``\\ s: an ``action`` on a ``day`` of
the borrower's state (negative = days before the next due date, 1 = first day past due …), optionally
repeated ``every`` N days ``until`` a day.

Conditions (``Condition``) compare one input ``Field`` with an ``Operator``: ``eq``, ``in``, ``not_in``,
``min`` and ``max`` (both **inclusive**) and ``is_null``. A field whose value is unknown (null) satisfies
only ``is_null: true`` — every other operator, ``not_in`` included, is false on a null. Money is ``Decimal``
yuan here (fen in the engine); the repayment ability is an exact ``Fraction`` (monthly income / installment).

``parse_strategy(mapping)`` builds a strategy from plain data (what YAML gives) and reports **every**
problem at once as ``StrategyError.issues``: each names its path (``segments[2].paths[0].steps[1].day``)
and the reason. This module is pure: the YAML reading (line numbers), storage and the vectorised
evaluation (``qingshou.engine.strategy``) live in the adapters and apps; this module is their reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final

from qingshou.domain.errors import DomainError, MoneyError
from qingshou.domain.money import money
from qingshou.domain.policy import LoanClass

#: Traffic shares are in basis points of the segment's borrowers; a segment's paths sum to this.
SHARE_TOTAL: Final = 10_000
#: Priority of a step when the file gives none; priorities run from 0 (lowest) to 100 (most urgent).
DEFAULT_PRIORITY: Final = 50
MAX_PRIORITY: Final = 100
#: A repayment-ability threshold has at most this many decimal places and is at most RATIO_LIMIT.
RATIO_PLACES: Final = 4
RATIO_LIMIT: Final = Decimal(10_000)
#: FNV-1a 64-bit parameters (http://www.isthe.com/chongo/tech/comp/fnv/).
FNV_OFFSET: Final = 0xCBF29CE484222325
FNV_PRIME: Final = 0x100000001B3
_MASK64: Final = (1 << 64) - 1
#: The value of the top-level ``unmatched`` key that allows borrowers no segment matches.
NO_SEGMENT: Final = "no_segment"


class Action(StrEnum):
    """What a step does: a notice (sms, email, letter), a call task, or a proposal for a person to decide."""

    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    CALL = "call"
    FIELD_VISIT = "field_visit"
    AGENCY_PLACEMENT = "agency_placement"
    LEGAL_REVIEW = "legal_review"

    @property
    def is_notice(self) -> bool:
        """Notices are rendered from a ``template``."""
        return self in (Action.SMS, Action.EMAIL, Action.LETTER)


class Kind(StrEnum):
    """The type of a field's values (and of a condition's operands)."""

    TEXT = "text"
    INTEGER = "integer"
    MONEY = "money"
    RATIO = "ratio"
    FLAG = "flag"


class Field(StrEnum):
    """The facts a condition can test (the lead loan's row and the borrower's aggregates, see docs)."""

    BUCKET = "bucket"
    DPD = "dpd"
    BORROWER_WORST_DPD = "borrower_worst_dpd"
    OVERDUE_AMOUNT = "overdue_amount"
    BORROWER_OVERDUE_AMOUNT = "borrower_overdue_amount"
    BORROWER_OVERDUE_LOANS = "borrower_overdue_loans"
    OUTSTANDING_PRINCIPAL = "outstanding_principal"
    PRODUCT = "product"
    CREDIT_SCORE = "credit_score"
    REPAYMENT_ABILITY = "repayment_ability"
    CONTACTABLE = "contactable"
    BROKEN_PROMISES = "broken_promises"
    REGION = "region"
    CLASSIFICATION = "classification"
    COLLECTION_SCORE = "collection_score"
    WARNING_SCORE = "warning_score"
    WATCH_LISTED = "watch_listed"

    @property
    def kind(self) -> Kind:
        """The type of the field's values."""
        return FIELD_KINDS[self]


FIELD_KINDS: Final[Mapping[Field, Kind]] = {
    Field.BUCKET: Kind.TEXT,
    Field.DPD: Kind.INTEGER,
    Field.BORROWER_WORST_DPD: Kind.INTEGER,
    Field.OVERDUE_AMOUNT: Kind.MONEY,
    Field.BORROWER_OVERDUE_AMOUNT: Kind.MONEY,
    Field.BORROWER_OVERDUE_LOANS: Kind.INTEGER,
    Field.OUTSTANDING_PRINCIPAL: Kind.MONEY,
    Field.PRODUCT: Kind.TEXT,
    Field.CREDIT_SCORE: Kind.INTEGER,
    Field.REPAYMENT_ABILITY: Kind.RATIO,
    Field.CONTACTABLE: Kind.FLAG,
    Field.BROKEN_PROMISES: Kind.INTEGER,
    Field.REGION: Kind.TEXT,
    Field.CLASSIFICATION: Kind.TEXT,
    Field.COLLECTION_SCORE: Kind.INTEGER,
    Field.WARNING_SCORE: Kind.INTEGER,
    Field.WATCH_LISTED: Kind.FLAG,
}


class Operator(StrEnum):
    """How a condition compares: ``min`` and ``max`` are inclusive bounds."""

    EQ = "eq"
    IN = "in"
    NOT_IN = "not_in"
    MIN = "min"
    MAX = "max"
    IS_NULL = "is_null"


#: Operators each kind accepts (ordering makes no sense for text and flags).
KIND_OPERATORS: Final[Mapping[Kind, frozenset[Operator]]] = {
    Kind.TEXT: frozenset({Operator.EQ, Operator.IN, Operator.NOT_IN, Operator.IS_NULL}),
    Kind.FLAG: frozenset({Operator.EQ, Operator.IS_NULL}),
    Kind.INTEGER: frozenset(Operator),
    Kind.MONEY: frozenset(Operator),
    Kind.RATIO: frozenset({Operator.EQ, Operator.MIN, Operator.MAX, Operator.IS_NULL}),
}

#: A single operand: text, integer, flag, money (Decimal yuan) or ratio (Decimal).
Scalar = str | int | bool | Decimal
#: A fact of a borrower as the domain sees it (RATIO facts are exact fractions; None = unknown).
Fact = str | int | bool | Decimal | Fraction | None
Facts = Mapping[Field, Fact]
PathKey = tuple[str | int, ...]


def format_path(path: PathKey) -> str:
    """``("segments", 2, "when", "dpd")`` → ``segments[2].when.dpd``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem of a strategy file: where (a path of keys and indexes) and why."""

    path: PathKey
    reason: str

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.reason}"


class StrategyError(DomainError):
    """A strategy file is invalid; ``issues`` lists every problem found (not only the first)."""

    code = "invalid_strategy"

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"the strategy has {len(self.issues)} error(s):\n{lines}")


def _compare(operator: Operator, value: Fact, operand: Scalar | tuple[Scalar, ...]) -> bool:
    """``value operator operand`` for a known ``value`` (ratios compared exactly as fractions)."""
    left: object = value
    right: object = operand
    if isinstance(value, Fraction) and isinstance(operand, Decimal):
        right = Fraction(operand)
    if operator is Operator.EQ:
        return left == right
    if operator is Operator.IN:
        return left in right  # type: ignore[operator]
    if operator is Operator.NOT_IN:
        return left not in right  # type: ignore[operator]
    if operator is Operator.MIN:
        return bool(left >= right)  # type: ignore[operator]
    return bool(left <= right)  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class Condition:
    """``field operator operand``; ``operand`` is a tuple for ``in``/``not_in`` and a bool for ``is_null``."""

    field: Field
    operator: Operator
    operand: Scalar | tuple[Scalar, ...]

    def holds(self, facts: Facts) -> bool:
        """Whether the borrower's ``facts`` satisfy this condition (null: only ``is_null: true`` holds)."""
        value = facts.get(self.field)
        if self.operator is Operator.IS_NULL:
            return (value is None) is self.operand
        if value is None:
            return False
        return _compare(self.operator, value, self.operand)


@dataclass(frozen=True, slots=True)
class Step:
    """An ``action`` on state day ``day``, repeated every ``every`` days up to ``until`` (inclusive) when
    ``every`` is set (without ``until`` it repeats as long as the state lasts)."""

    day: int
    action: Action
    every: int | None = None
    until: int | None = None
    template: str | None = None
    queue: str | None = None
    priority: int = DEFAULT_PRIORITY

    def is_due(self, state_day: int) -> bool:
        """Whether the step fires on ``state_day``."""
        if state_day == self.day:
            return True
        if self.every is None or state_day < self.day:
            return False
        if self.until is not None and state_day > self.until:
            return False
        return (state_day - self.day) % self.every == 0


@dataclass(frozen=True, slots=True)
class Path:
    """A treatment path: its traffic ``share`` (basis points of the segment) and its steps."""

    name: str
    share: int
    steps: tuple[Step, ...]
    description: str = ""


def arm_name(index: int) -> str:
    """The arm of a segment's ``index``-th path: the first is the champion."""
    return "champion" if index == 0 else f"challenger-{index}"


def step_id(path_index: int, step_index: int) -> str:
    """The stable id of a step inside its segment: ``p0.s2``."""
    return f"p{path_index}.s{step_index}"


@dataclass(frozen=True, slots=True)
class Segment:
    """Borrowers whose facts satisfy every condition (none: a catch-all), and the paths they run."""

    name: str
    conditions: tuple[Condition, ...]
    paths: tuple[Path, ...]
    description: str = ""

    def matches(self, facts: Facts) -> bool:
        """Whether every condition holds."""
        return all(condition.holds(facts) for condition in self.conditions)

    def path_index(self, bucket: int) -> int:
        """The path whose share range holds ``bucket`` (0..9999): path i takes [Σ shares before i, + share)."""
        upper = 0
        for index, path in enumerate(self.paths):
            upper += path.share
            if bucket < upper:
                return index
        return len(self.paths) - 1


@dataclass(frozen=True, slots=True)
class Strategy:
    """Ordered segments (first match wins); ``allow_unmatched``: borrowers no segment matches get no
    segment (otherwise the last segment is a catch-all); ``salt`` re-seeds the champion/challenger hash."""

    name: str
    segments: tuple[Segment, ...]
    description: str = ""
    salt: str = ""
    allow_unmatched: bool = False

    def segment_index(self, facts: Facts) -> int | None:
        """The index of the first segment that matches (None: no segment)."""
        for index, segment in enumerate(self.segments):
            if segment.matches(facts):
                return index
        return None


def fnv1a_64(data: bytes, state: int = FNV_OFFSET) -> int:
    """FNV-1a 64-bit hash of ``data`` (continuing from ``state``)."""
    for byte in data:
        state = ((state ^ byte) * FNV_PRIME) & _MASK64
    return state


def salt_prefix(salt: str) -> bytes:
    """The bytes hashed before the borrower id: empty, or the salt and a ``:`` separator."""
    return f"{salt}:".encode() if salt else b""


def hash_bucket(borrower_id: str, salt: str = "") -> int:
    """The borrower's stable bucket 0..9999: FNV-1a 64 of (salt prefix + UTF-8 id) modulo 10 000."""
    return fnv1a_64(salt_prefix(salt) + borrower_id.encode()) % SHARE_TOTAL


def repayment_ability(monthly_income: Decimal | None, installment: Decimal | None) -> Fraction | None:
    """Monthly income / installment, exact; None when either is unknown or the installment is zero."""
    if monthly_income is None or installment is None or installment == 0:
        return None
    return Fraction(monthly_income) / Fraction(installment)


# --------------------------------------------------------------------------------------------- parsing


@dataclass
class _Parser:
    """Collects every issue while building the strategy."""

    issues: list[Issue] = field(default_factory=list)

    def fail(self, path: PathKey, reason: str) -> None:
        self.issues.append(Issue(path, reason))

    def mapping(self, value: object, path: PathKey, allowed: Sequence[str]) -> Mapping[str, object] | None:
        """``value`` as a mapping with only ``allowed`` keys (unknown keys are reported, then ignored)."""
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a mapping, got {_shown(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.fail((*path, str(key)), f"unknown key {key!r} (allowed: {', '.join(allowed)})")
        return value

    def text(self, data: Mapping[str, object], key: str, path: PathKey, required: bool) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail((*path, key), "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail((*path, key), f"expected a non-empty string, got {_shown(value)}")
            return None
        return value

    def integer(
        self,
        data: Mapping[str, object],
        key: str,
        path: PathKey,
        low: int | None = None,
        high: int | None = None,
    ) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail((*path, key), f"expected an integer, got {_shown(value)}")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            self.fail((*path, key), f"must be {bounds}, got {value}")
            return None
        return value

    def items(self, data: Mapping[str, object], key: str, path: PathKey) -> list[object]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            got = "nothing" if value is None else _shown(value)
            self.fail((*path, key), f"expected a non-empty list, got {got}")
            return []
        return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: object) -> str:
    """How a bad value is quoted in a message: ``'abc'``, ``float 3.5``, ``a list``."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"{type(value).__name__} {value!r}"


def parse_strategy(data: object) -> Strategy:
    """Build a ``Strategy`` from plain data; raise ``StrategyError`` listing every problem."""
    parser = _Parser()
    top = parser.mapping(data, (), ("name", "description", "salt", "unmatched", "segments"))
    if top is None:
        raise StrategyError(parser.issues)
    name = parser.text(top, "name", (), required=True)
    description = parser.text(top, "description", (), required=False) or ""
    salt = parser.text(top, "salt", (), required=False) or ""
    unmatched = top.get("unmatched")
    if unmatched is not None and unmatched != NO_SEGMENT:
        parser.fail(("unmatched",), f"the only allowed value is {NO_SEGMENT!r}, got {_shown(unmatched)}")
    raw_segments = parser.items(top, "segments", ())
    parsed = [(index, _segment(parser, raw, ("segments", index))) for index, raw in enumerate(raw_segments)]
    segments = [(index, segment) for index, segment in parsed if segment is not None]
    _check_order(parser, segments)
    if unmatched != NO_SEGMENT and raw_segments:
        _check_catch_all(parser, raw_segments)
    if parser.issues or name is None:
        raise StrategyError(parser.issues)
    return Strategy(
        name,
        tuple(segment for _, segment in segments),
        description,
        salt,
        allow_unmatched=unmatched == NO_SEGMENT,
    )


def _check_order(parser: _Parser, segments: Sequence[tuple[int, Segment]]) -> None:
    """Unique segment names; no segment after a catch-all or after one with the same conditions."""
    names: dict[str, int] = {}
    conditions_seen: dict[frozenset[Condition], int] = {}
    for index, segment in segments:
        path: PathKey = ("segments", index)
        if segment.name in names:
            reason = f"duplicate segment name {segment.name!r} (also segments[{names[segment.name]}])"
            parser.fail((*path, "name"), reason)
        names.setdefault(segment.name, index)
        key = frozenset(segment.conditions)
        if key in conditions_seen:
            first = conditions_seen[key]
            parser.fail(
                path,
                f"unreachable: segments[{first}] is a catch-all before it"
                if not key
                else f"unreachable: segments[{first}] has the same conditions and comes first",
            )
        conditions_seen.setdefault(key, index)


def _check_catch_all(parser: _Parser, raw_segments: Sequence[object]) -> None:
    """Without ``unmatched: no_segment`` the last segment must have no conditions."""
    last = raw_segments[-1]
    if isinstance(last, Mapping) and last.get("when"):
        parser.fail(
            ("segments", len(raw_segments) - 1, "when"),
            f"the last segment must be a catch-all (no 'when'), or set 'unmatched: {NO_SEGMENT}'",
        )


def _segment(parser: _Parser, raw: object, path: PathKey) -> Segment | None:
    data = parser.mapping(raw, path, ("name", "description", "when", "paths"))
    if data is None:
        return None
    before = len(parser.issues)
    name = parser.text(data, "name", path, required=True)
    description = parser.text(data, "description", path, required=False) or ""
    conditions = _conditions(parser, data.get("when"), (*path, "when"))
    paths = _paths(parser, parser.items(data, "paths", path), (*path, "paths"))
    if len(parser.issues) > before or name is None:
        return None
    return Segment(name, conditions, paths, description)


def _conditions(parser: _Parser, raw: object, path: PathKey) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    data = parser.mapping(raw, path, tuple(Field))
    if data is None:
        return ()
    result: list[Condition] = []
    for key, value in data.items():
        if key in tuple(Field):
            result.extend(_field_conditions(parser, Field(key), value, (*path, key)))
    return tuple(result)


def _field_conditions(parser: _Parser, field_: Field, raw: object, path: PathKey) -> list[Condition]:
    """A field's conditions: a scalar means ``eq``, a list ``in``, a mapping ``{operator: operand}``."""
    if not isinstance(raw, Mapping):
        operator = Operator.IN if isinstance(raw, list) else Operator.EQ
        condition = _condition(parser, field_, operator.value, raw, path)
        return [] if condition is None else [condition]
    if not raw:
        parser.fail(path, "expected at least one operator")
        return []
    result = [
        condition
        for key, operand in raw.items()
        if (condition := _condition(parser, field_, str(key), operand, (*path, str(key)))) is not None
    ]
    _check_bounds(parser, result, path)
    return result


def _condition(parser: _Parser, field_: Field, key: str, operand: object, path: PathKey) -> Condition | None:
    if key not in tuple(Operator):
        parser.fail(path, f"unknown operator {key!r} (allowed: {', '.join(Operator)})")
        return None
    operator = Operator(key)
    if operator not in KIND_OPERATORS[field_.kind]:
        allowed = ", ".join(op for op in Operator if op in KIND_OPERATORS[field_.kind])
        parser.fail(
            path,
            f"operator {key!r} does not apply to {field_.kind} field {field_.value} (allowed: {allowed})",
        )
        return None
    if operator is Operator.IS_NULL:
        if not isinstance(operand, bool):
            parser.fail(path, f"expected true or false, got {_shown(operand)}")
            return None
        return Condition(field_, operator, operand)
    if operator in (Operator.IN, Operator.NOT_IN):
        return _list_condition(parser, field_, operator, operand, path)
    value = _operand(parser, field_, operand, path)
    return None if value is None else Condition(field_, operator, value)


def _list_condition(
    parser: _Parser, field_: Field, operator: Operator, operand: object, path: PathKey
) -> Condition | None:
    if not isinstance(operand, list) or not operand:
        parser.fail(path, f"expected a non-empty list, got {_shown(operand)}")
        return None
    values = [_operand(parser, field_, item, (*path, index)) for index, item in enumerate(operand)]
    if any(value is None for value in values):
        return None
    return Condition(field_, operator, tuple(value for value in values if value is not None))


def _operand(parser: _Parser, field_: Field, value: object, path: PathKey) -> Scalar | None:
    """One operand checked against the field's kind (money from a decimal string of yuan, C9)."""
    reason, result = _read_operand(field_, value)
    if reason:
        parser.fail(path, reason)
    return result


def _read_operand(field_: Field, value: object) -> tuple[str, Scalar | None]:
    kind = field_.kind
    if kind is Kind.INTEGER:
        return ("", value) if _is_int(value) else (f"expected an integer, got {_shown(value)}", None)  # type: ignore[return-value]
    if kind is Kind.FLAG:
        return (
            ("", value) if isinstance(value, bool) else (f"expected true or false, got {_shown(value)}", None)
        )
    if kind is Kind.TEXT:
        return _read_text(field_, value)
    if kind is Kind.MONEY:
        return _read_money(value)
    return _read_ratio(value)


def _read_text(field_: Field, value: object) -> tuple[str, Scalar | None]:
    if not isinstance(value, str) or not value:
        return f"expected a string, got {_shown(value)}", None
    if field_ is Field.CLASSIFICATION and value not in {member.code for member in LoanClass}:
        codes = ", ".join(member.code for member in LoanClass)
        return f"unknown classification {value!r} (allowed: {codes})", None
    return "", value


def _read_money(value: object) -> tuple[str, Scalar | None]:
    if not isinstance(value, str) and not _is_int(value):
        return f"expected an amount of yuan as a decimal string such as '3000.00', got {_shown(value)}", None
    try:
        return "", money(value)  # type: ignore[arg-type]
    except MoneyError as error:
        return f"expected an amount of yuan with at most two decimals, got {_shown(value)} ({error})", None


def _read_ratio(value: object) -> tuple[str, Scalar | None]:
    expected = f"expected a non-negative decimal string with at most {RATIO_PLACES} places such as '1.5'"
    if not isinstance(value, str) and not _is_int(value):
        return f"{expected}, got {_shown(value)}", None
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)  # type: ignore[arg-type]
    except ArithmeticError:
        return f"{expected}, got {_shown(value)}", None
    if (
        not number.is_finite()
        or number < 0
        or number > RATIO_LIMIT
        or number != number.quantize(Decimal(1).scaleb(-RATIO_PLACES))
    ):
        return f"{expected} (at most {RATIO_LIMIT}), got {_shown(value)}", None
    return "", number


def _check_bounds(parser: _Parser, conditions: Sequence[Condition], path: PathKey) -> None:
    """``min`` above ``max`` on one field can never match."""
    bounds = {c.operator: c.operand for c in conditions if c.operator in (Operator.MIN, Operator.MAX)}
    low, high = bounds.get(Operator.MIN), bounds.get(Operator.MAX)
    if low is not None and high is not None and low > high:  # type: ignore[operator]
        parser.fail(path, f"min {low} is greater than max {high}: nothing can match")


def _paths(parser: _Parser, raw: Sequence[object], path: PathKey) -> tuple[Path, ...]:
    paths: list[Path] = []
    names: dict[str, int] = {}
    for index, item in enumerate(raw):
        name = item.get("name") if isinstance(item, Mapping) else None
        if isinstance(name, str) and name in names:
            parser.fail((*path, index, "name"), f"duplicate path name {name!r} (also paths[{names[name]}])")
        if isinstance(name, str):
            names.setdefault(name, index)
        result = _path(parser, item, (*path, index), single=len(raw) == 1)
        if result is not None:
            paths.append(result)
    _check_shares(parser, raw, path)
    return tuple(paths)


def _check_shares(parser: _Parser, raw: Sequence[object], path: PathKey) -> None:
    """Several paths' shares (read from the raw data, so that a broken step does not hide it) sum to 10000."""
    shares = [item.get("share") if isinstance(item, Mapping) else None for item in raw]
    if len(shares) < 2 or not all(_is_int(share) for share in shares):
        return
    total = sum(share for share in shares if isinstance(share, int))
    if total != SHARE_TOTAL:
        listed = " + ".join(str(share) for share in shares)
        parser.fail(path, f"shares must sum to {SHARE_TOTAL} basis points, got {listed} = {total}")


def _path(parser: _Parser, raw: object, path: PathKey, single: bool) -> Path | None:
    data = parser.mapping(raw, path, ("name", "description", "share", "steps"))
    if data is None:
        return None
    before = len(parser.issues)
    name = parser.text(data, "name", path, required=True)
    description = parser.text(data, "description", path, required=False) or ""
    share = parser.integer(data, "share", path, 1, SHARE_TOTAL)
    if data.get("share") is None and not single:
        parser.fail(
            (*path, "share"), "is required when a segment has several paths (basis points, sum 10000)"
        )
    steps = tuple(
        step
        for index, item in enumerate(parser.items(data, "steps", path))
        if (step := _step(parser, item, (*path, "steps", index))) is not None
    )
    _check_steps(parser, steps, (*path, "steps"))
    if len(parser.issues) > before or name is None:
        return None
    return Path(name, share if share is not None else SHARE_TOTAL, steps, description)


def _check_steps(parser: _Parser, steps: Sequence[Step], path: PathKey) -> None:
    """The same action on the same days twice in one path is an overlap."""
    seen: dict[tuple[int, int | None, int | None, Action], int] = {}
    for index, step in enumerate(steps):
        key = (step.day, step.every, step.until, step.action)
        if key in seen:
            parser.fail((*path, index), f"repeats steps[{seen[key]}] (same day and action)")
        seen.setdefault(key, index)


_STEP_KEYS: Final = ("day", "every", "until", "action", "template", "queue", "priority")


def _step(parser: _Parser, raw: object, path: PathKey) -> Step | None:
    data = parser.mapping(raw, path, _STEP_KEYS)
    if data is None:
        return None
    before = len(parser.issues)
    day = parser.integer(data, "day", path)
    if data.get("day") is None:
        parser.fail(
            (*path, "day"), "is required (state day: negative before the due date, 1 = first day past due)"
        )
    every = parser.integer(data, "every", path, 1, None)
    until = parser.integer(data, "until", path)
    _check_repeat(parser, data, day, until, path)
    action = _action(parser, data, path)
    template = parser.text(data, "template", path, required=False)
    queue = parser.text(data, "queue", path, required=False)
    if action is not None:
        _check_targets(parser, action, data, path)
    priority = parser.integer(data, "priority", path, 0, MAX_PRIORITY)
    if len(parser.issues) > before or day is None or action is None:
        return None
    return Step(
        day, action, every, until, template, queue, DEFAULT_PRIORITY if priority is None else priority
    )


def _check_repeat(
    parser: _Parser, data: Mapping[str, object], day: int | None, until: int | None, path: PathKey
) -> None:
    if data.get("until") is not None and data.get("every") is None:
        parser.fail((*path, "until"), "'until' needs 'every'")
    if day is not None and until is not None and until < day:
        parser.fail((*path, "until"), f"until {until} is before day {day}")


def _action(parser: _Parser, data: Mapping[str, object], path: PathKey) -> Action | None:
    value = data.get("action")
    if value is None:
        parser.fail((*path, "action"), "is required")
        return None
    if value not in tuple(Action):
        parser.fail((*path, "action"), f"unknown action {_shown(value)} (allowed: {', '.join(Action)})")
        return None
    return Action(str(value))


def _check_targets(parser: _Parser, action: Action, data: Mapping[str, object], path: PathKey) -> None:
    """Notices need a template and take no queue; a call needs a queue; proposals take an optional queue."""
    if action.is_notice:
        if data.get("template") is None:
            parser.fail((*path, "template"), f"action {action} needs a template")
        if data.get("queue") is not None:
            parser.fail((*path, "queue"), f"action {action} takes no queue (notices are sent, not queued)")
        return
    if data.get("template") is not None:
        parser.fail((*path, "template"), f"action {action} takes no template (only sms, email and letter do)")
    if action is Action.CALL and data.get("queue") is None:
        parser.fail((*path, "queue"), "action call needs a queue")
