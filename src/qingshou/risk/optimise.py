"""The day's collection plan: which candidate actions to take within the day's capacity (issue 8).

Two planners over the same candidates, capacity and caps:

* ``greedy`` — the plain strategy's way: candidates by the strategy's priority (higher first), then expected
  value (higher first), then ``candidate_id``; each is taken while every capacity and per-borrower cap allows.
* ``optimise`` — the plan that maximises the expected net recovery Σ (value − cost) of the chosen candidates
  subject to the same capacities and caps: a 0/1 multi-dimensional knapsack solved with OR-Tools CP-SAT
  (integers in fen), exact when the solver proves optimality, otherwise with a reported bound and gap.

A candidates frame has one row per candidate action (``CANDIDATE_SCHEMA``): ``candidate_id`` (unique),
``borrower_id`` (integer or text), ``channel`` (``CHANNELS``), ``value_fen`` (expected recovery = P(pay | action) × amount, ≥ 0),
``cost_fen`` (≥ 0), ``minutes`` (collector minutes, ≥ 0: calls and field visits) and ``priority`` (the
strategy's priority, 0 … 100, higher = more urgent; only greedy uses it). Candidates the compliance check
refused are not candidates at all: the caller leaves them out (C8).

Resources (``Capacity``, ``None`` = unlimited): ``collector_minutes`` (the sum of ``minutes``), ``sms``,
``emails``, ``letters``, ``field_visits`` and ``agency_slots`` (one unit per candidate of that channel).
Per-borrower caps (``Caps``, C8 profile ``cn``): at most ``calls`` call tasks (the 3 connected conversations a
day), one of each notice channel, one field visit and one agency placement per borrower in one day's plan.

How ``optimise`` stays exact and fast on large days (100k candidates):

1. a candidate with value ≤ cost is dropped (it is never chosen);
2. dominance within a (borrower, channel) group capped at k: a candidate with at least k others in its group
   that are no worse in net and use no more minutes is dropped (some optimum never uses it);
3. the rest splits into independent parts by the limited resources and the capped per-borrower groups they
   share (union-find);
   a part whose candidates each use one unit of a single resource, or no limited resource at all, is solved
   exactly by taking the best net first within the caps (a laminar matroid: greedy by weight is optimal);
   the other parts (calls and visits sharing collector minutes) are bounded by their Lagrangian relaxation
   (the resource rows relaxed with multipliers found by bisection, the per-borrower caps kept; its minimum is
   the LP bound), rounded to a feasible plan, and every candidate whose forced change would lower the bound
   below the best plan known is fixed (reduced-cost fixing); CP-SAT solves the candidates left, hinted with
   the better of the rounding and greedy's choice;
4. the result is never worse than greedy: the greedy plan without its unprofitable candidates is feasible and
   is kept if the solver's plan is worse (or the solver found nothing within the time limit).

Determinism: one worker, the given seed, and a deterministic-time limit (CP-SAT's work units, about seconds)
equal to ``time_limit_s``; the wall-clock limit is a safety net: what is left of ``time_limit_s`` after the
presolve, at least one second. The same input and seed give
the same plan unless the wall-clock net is hit first (a much slower machine), which ``Plan.status`` does not
hide: the gap is reported either way.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Final

import numpy as np
import polars as pl
from ortools.sat.python import cp_model

from qingshou.domain.compliance import ComplianceProfile, default_profile

CHANNELS: Final = ("sms", "email", "letter", "call", "field_visit", "agency_placement")

CANDIDATE_SCHEMA: Final[Mapping[str, pl.DataType]] = {
    "candidate_id": pl.Int64(),
    "borrower_id": pl.Int64(),
    "channel": pl.String(),
    "value_fen": pl.Int64(),
    "cost_fen": pl.Int64(),
    "minutes": pl.Int32(),
    "priority": pl.Int16(),
}

#: The capacity each channel uses one unit of (calls use only collector minutes).
CHANNEL_RESOURCE: Final[Mapping[str, str | None]] = {
    "sms": "sms",
    "email": "emails",
    "letter": "letters",
    "call": None,
    "field_visit": "field_visits",
    "agency_placement": "agency_slots",
}

#: The ``Caps`` field that limits each channel per borrower.
CHANNEL_CAP: Final[Mapping[str, str]] = {
    "sms": "sms",
    "email": "emails",
    "letter": "letters",
    "call": "calls",
    "field_visit": "field_visits",
    "agency_placement": "agency_placements",
}

MINUTES: Final = "collector_minutes"

STATUS_OPTIMAL: Final = "optimal"
STATUS_FEASIBLE: Final = "feasible"
STATUS_FALLBACK: Final = "greedy_fallback"
STATUS_GREEDY: Final = "greedy"

METHOD_GREEDY: Final = "greedy"
METHOD_OPTIMISED: Final = "optimised"


class OptimiseError(ValueError):
    """Candidates, a capacity or caps that cannot be planned (the message names the row, field and reason)."""


@dataclass(frozen=True, slots=True)
class Capacity:
    """The day's capacity; ``None`` = unlimited. ``collector_minutes`` is the collectors' time for calls and
    visits (active collectors × working minutes); the others count actions."""

    collector_minutes: int | None = None
    sms: int | None = None
    emails: int | None = None
    letters: int | None = None
    field_visits: int | None = None
    agency_slots: int | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise OptimiseError(
                    f"capacity {f.name}: must be a whole number ≥ 0 or unlimited, got {value!r}"
                )

    def limit(self, resource: str) -> int | None:
        """The limit of one resource (a field name)."""
        value: int | None = getattr(self, resource)
        return value

    def as_dict(self) -> dict[str, int | None]:
        """Every resource and its limit (``None`` = unlimited), for JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Capacity:
        """A capacity from a mapping of resource → limit (missing = unlimited); an unknown key is an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise OptimiseError(f"capacity: unknown resources {unknown} (known: {sorted(known)})")
        values: dict[str, int | None] = {}
        for key, value in data.items():
            if value is None:
                values[key] = None
            elif isinstance(value, int) and not isinstance(value, bool):
                values[key] = value
            else:
                raise OptimiseError(f"capacity {key}: must be a whole number ≥ 0 or null, got {value!r}")
        return cls(**values)


RESOURCES: Final = tuple(f.name for f in fields(Capacity))


@dataclass(frozen=True, slots=True)
class Caps:
    """Per borrower, per day maximums of each channel in one plan (C8). ``calls`` defaults to the ``cn``
    profile's 3 connected conversations per debtor per day (a call task may connect, so a plan never holds
    more call tasks than that); at most one of each notice channel, one field visit and one agency placement.
    ``None`` = no cap."""

    calls: int | None = 3
    sms: int | None = 1
    emails: int | None = 1
    letters: int | None = 1
    field_visits: int | None = 1
    agency_placements: int | None = 1

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise OptimiseError(f"caps {f.name}: must be a whole number ≥ 0 or none, got {value!r}")

    def for_channel(self, channel: str) -> int | None:
        """The per-borrower cap of one channel."""
        value: int | None = getattr(self, CHANNEL_CAP[channel])
        return value

    def as_dict(self) -> dict[str, int | None]:
        """Every cap, for JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_profile(cls, profile: ComplianceProfile | None = None) -> Caps:
        """The caps of a compliance profile (default ``cn``): calls = its connected calls per day (C8)."""
        profile = profile or default_profile()
        return cls(calls=profile.connected_calls_per_day)


@dataclass(frozen=True, slots=True)
class Plan:
    """A day's plan. ``chosen``: candidate ids, sorted. ``bound_fen``: the best bound on the net the solver
    proved (= ``net_fen`` when optimal; greedy reports its own net). ``gap``: (bound − net) / max(|bound|, 1).
    ``used``: the amount of each resource (``RESOURCES``) the plan uses, plus ``calls`` (call tasks)."""

    method: str
    chosen: tuple[int, ...]
    candidates: int
    value_fen: int
    cost_fen: int
    net_fen: int
    used: Mapping[str, int]
    status: str
    bound_fen: int
    gap: float
    seconds: float
    presolved: Mapping[str, int] = field(default_factory=dict)

    @property
    def gap_ppm(self) -> int:
        """The gap in parts per million (rounded half up)."""
        return int(self.gap * 1_000_000 + 0.5)

    def as_dict(self) -> dict[str, object]:
        """The plan as JSON-ready data (money in fen, integers)."""
        return {
            "method": self.method,
            "status": self.status,
            "candidates": self.candidates,
            "chosen": len(self.chosen),
            "value_fen": self.value_fen,
            "cost_fen": self.cost_fen,
            "net_fen": self.net_fen,
            "bound_fen": self.bound_fen,
            "gap_ppm": self.gap_ppm,
            "used": dict(self.used),
            "seconds": round(self.seconds, 3),
            "presolved": dict(self.presolved),
        }


# --- candidates -------------------------------------------------------------------------------------------


def validate_candidates(candidates: pl.DataFrame) -> pl.DataFrame:
    """The candidates with the schema's columns and types, or an ``OptimiseError`` naming the first bad row
    (by ``candidate_id``), the field and the reason."""
    missing = [name for name in CANDIDATE_SCHEMA if name not in candidates.columns]
    if missing:
        raise OptimiseError(f"candidates: missing columns {missing}")
    try:
        frame = candidates.select(
            pl.col(name).cast(pl.String if name == "borrower_id" else dtype, strict=True)
            for name, dtype in CANDIDATE_SCHEMA.items()
        )
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as error:
        raise OptimiseError(f"candidates: a column has the wrong type ({error})") from None
    for name in CANDIDATE_SCHEMA:
        nulls = frame.filter(pl.col(name).is_null())
        if nulls.height:
            raise OptimiseError(f"candidate {_row_name(nulls)}: {name}: missing")
    dupes = frame.filter(pl.col("candidate_id").is_duplicated())
    if dupes.height:
        raise OptimiseError(f"candidate {dupes['candidate_id'][0]}: candidate_id: not unique")
    checks: Sequence[tuple[str, pl.Expr, str]] = (
        (
            "channel",
            ~pl.col("channel").is_in(list(CHANNELS)),
            f"unknown channel (known: {', '.join(CHANNELS)})",
        ),
        ("value_fen", pl.col("value_fen") < 0, "must be ≥ 0"),
        ("cost_fen", pl.col("cost_fen") < 0, "must be ≥ 0"),
        ("minutes", pl.col("minutes") < 0, "must be ≥ 0"),
    )
    for name, bad, reason in checks:
        rows = frame.filter(bad)
        if rows.height:
            raise OptimiseError(f"candidate {_row_name(rows)}: {name}: {reason} (got {rows[name][0]!r})")
    return frame


def _row_name(rows: pl.DataFrame) -> str:
    value = rows["candidate_id"][0]
    return "with no id" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class _Cand:
    cid: int
    borrower: str
    channel: str
    value: int
    cost: int
    minutes: int
    priority: int

    @property
    def net(self) -> int:
        return self.value - self.cost


def _rows(frame: pl.DataFrame) -> list[_Cand]:
    return [
        _Cand(int(c), str(b), str(ch), int(v), int(co), int(m), int(p))
        for c, b, ch, v, co, m, p in zip(
            frame["candidate_id"],
            frame["borrower_id"],
            frame["channel"],
            frame["value_fen"],
            frame["cost_fen"],
            frame["minutes"],
            frame["priority"],
            strict=True,
        )
    ]


def _uses(c: _Cand) -> dict[str, int]:
    """The resources one candidate uses (limited or not)."""
    uses: dict[str, int] = {}
    resource = CHANNEL_RESOURCE[c.channel]
    if resource is not None:
        uses[resource] = 1
    if c.minutes:
        uses[MINUTES] = c.minutes
    return uses


class _Tally:
    """Resource and per-borrower cap use while building a plan."""

    def __init__(self, capacity: Capacity, caps: Caps) -> None:
        self.capacity = capacity
        self.caps = caps
        self.used: dict[str, int] = dict.fromkeys(RESOURCES, 0)
        self.per_group: dict[tuple[str, str], int] = defaultdict(int)

    def fits(self, c: _Cand) -> bool:
        cap = self.caps.for_channel(c.channel)
        if cap is not None and self.per_group[(c.borrower, c.channel)] >= cap:
            return False
        for resource, amount in _uses(c).items():
            limit = self.capacity.limit(resource)
            if limit is not None and self.used[resource] + amount > limit:
                return False
        return True

    def take(self, c: _Cand) -> None:
        self.per_group[(c.borrower, c.channel)] += 1
        for resource, amount in _uses(c).items():
            self.used[resource] += amount


def _plan(
    method: str,
    chosen: Iterable[_Cand],
    total: int,
    status: str,
    bound: int | None,
    started: float,
    presolved: Mapping[str, int] | None = None,
) -> Plan:
    items = sorted(chosen, key=lambda c: c.cid)
    value = sum(c.value for c in items)
    cost = sum(c.cost for c in items)
    net = value - cost
    used = dict.fromkeys(RESOURCES, 0)
    for c in items:
        for resource, amount in _uses(c).items():
            used[resource] += amount
    used["calls"] = sum(1 for c in items if c.channel == "call")
    bound_fen = net if bound is None else max(bound, net)
    gap = (bound_fen - net) / max(abs(bound_fen), 1)
    return Plan(
        method=method,
        chosen=tuple(c.cid for c in items),
        candidates=total,
        value_fen=value,
        cost_fen=cost,
        net_fen=net,
        used=used,
        status=status,
        bound_fen=bound_fen,
        gap=gap,
        seconds=time.perf_counter() - started,
        presolved=dict(presolved or {}),
    )


# --- greedy -----------------------------------------------------------------------------------------------


def _greedy_choice(cands: Sequence[_Cand], capacity: Capacity, caps: Caps) -> list[_Cand]:
    tally = _Tally(capacity, caps)
    chosen: list[_Cand] = []
    for c in sorted(cands, key=lambda c: (-c.priority, -c.value, c.cid)):
        if tally.fits(c):
            tally.take(c)
            chosen.append(c)
    return chosen


def greedy(candidates: pl.DataFrame, capacity: Capacity, caps: Caps | None = None) -> Plan:
    """The plain strategy's plan: by priority (higher first), then value (higher first), then id, take each
    candidate while every capacity and per-borrower cap allows. Unprofitable candidates are taken too — the
    strategy does not weigh cost — which is one of the differences the optimiser can gain on."""
    started = time.perf_counter()
    cands = _rows(validate_candidates(candidates))
    chosen = _greedy_choice(cands, capacity, caps or Caps())
    return _plan(METHOD_GREEDY, chosen, len(cands), STATUS_GREEDY, None, started)


# --- optimise ---------------------------------------------------------------------------------------------


def _undominated(cands: Sequence[_Cand], caps: Caps) -> list[_Cand]:
    """Drop a candidate that has at least ``cap`` others in its (borrower, channel) group with net ≥ its net
    and minutes ≤ its minutes (ties broken by id, so the relation is a strict order)."""
    groups: dict[tuple[str, str], list[_Cand]] = defaultdict(list)
    for c in cands:
        groups[(c.borrower, c.channel)].append(c)
    kept: list[_Cand] = []
    for (_, channel), group in groups.items():
        cap = caps.for_channel(channel)
        if cap is None or len(group) <= cap:
            kept.extend(group)
            continue
        group.sort(key=lambda c: (-c.net, c.minutes, c.cid))
        for i, c in enumerate(group):
            dominators = 0
            for d in group[:i]:
                if d.net >= c.net and d.minutes <= c.minutes:
                    dominators += 1
                    if dominators >= cap:
                        break
            if dominators < cap:
                kept.append(c)
    return kept


def _limited(c: _Cand, capacity: Capacity) -> frozenset[str]:
    return frozenset(r for r in _uses(c) if capacity.limit(r) is not None)


def _parts(cands: Sequence[_Cand], capacity: Capacity, caps: Caps) -> list[list[_Cand]]:
    """Independent parts: candidates linked through a limited resource they share or a capped (borrower,
    channel) group they share (union-find over resources and groups). Candidates linked to no limited
    resource form one part (only their groups' caps bind them)."""
    parent: dict[str, str] = {r: r for r in RESOURCES}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def nodes(c: _Cand) -> list[str]:
        linked = sorted(_limited(c, capacity))
        if caps.for_channel(c.channel) is not None:
            linked.append(f"group\x00{c.borrower}\x00{c.channel}")
        return linked

    for c in cands:
        linked = nodes(c)
        for other in linked[1:]:
            parent[find(other)] = find(linked[0])
    resource_roots = {find(r) for r in RESOURCES}
    parts: dict[str, list[_Cand]] = defaultdict(list)
    for c in cands:
        linked = nodes(c)
        root = find(linked[0]) if linked else ""
        parts[root if root in resource_roots else ""].append(c)
    return [parts[key] for key in sorted(parts)]


def _exact_by_net(part: Sequence[_Cand], capacity: Capacity, caps: Caps) -> list[_Cand] | None:
    """The optimum of a part whose candidates use one unit of one limited resource each (or none): the best
    net first within the caps. ``None`` when the part is not of that shape."""
    limited = {_limited(c, capacity) for c in part}
    if len(limited) > 1:
        return None
    (resources,) = limited
    if len(resources) > 1 or any(_uses(c).get(r, 0) != 1 for c in part for r in resources):
        return None
    tally = _Tally(capacity, caps)
    chosen: list[_Cand] = []
    for c in sorted(part, key=lambda c: (-c.net, c.cid)):
        if tally.fits(c):
            tally.take(c)
            chosen.append(c)
    return chosen


def _model(
    free: Sequence[_Cand], fixed: Sequence[_Cand], capacity: Capacity, caps: Caps, hint: set[int]
) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    """The 0/1 program over the ``free`` candidates of one part, the ``fixed`` ones taken: a row per limited
    resource that could be exceeded, a row per (borrower, channel) group above its cap (both less what the
    fixed candidates use), the net as objective, ``hint`` as the starting solution."""
    taken = _Tally(capacity, caps)
    for c in fixed:
        taken.take(c)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{c.cid}") for c in free]
    pairs = list(zip(x, free, strict=True))
    for resource in RESOURCES:
        limit = capacity.limit(resource)
        terms = [(var, _uses(c)[resource]) for var, c in pairs if resource in _uses(c)]
        if limit is not None and sum(w for _, w in terms) > limit - taken.used[resource]:
            model.add(
                cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [w for _, w in terms])
                <= limit - taken.used[resource]
            )
    groups: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for var, c in pairs:
        groups[(c.borrower, c.channel)].append(var)
    for key, group_vars in groups.items():
        cap = caps.for_channel(key[1])
        if cap is not None and len(group_vars) > cap - taken.per_group[key]:
            model.add(cp_model.LinearExpr.sum(group_vars) <= cap - taken.per_group[key])
    model.maximize(cp_model.LinearExpr.weighted_sum(x, [c.net for c in free]))
    for var, c in pairs:
        model.add_hint(var, c.cid in hint)
    return model, x


@dataclass(frozen=True, slots=True)
class _Relaxation:
    """The Lagrangian relaxation of a part: its bound, a feasible rounding and the candidates reduced-cost
    fixing decides (every plan better than the rounding takes the ``fixed_one`` and none of ``fixed_zero``)."""

    bound: float
    rounding: list[_Cand]
    fixed_one: frozenset[int]
    fixed_zero: frozenset[int]


class _Lagrangian:
    """L(λ) = Σ_r λ_r·limit_r + Σ_groups (the group's best ``cap`` positive reduced nets), reduced net =
    net − Σ_r λ_r·use_r: the resource rows are relaxed, the per-borrower caps kept. Every λ ≥ 0 gives an
    upper bound on the part's best net; min over λ equals the LP bound (the caps' polytope is integral)."""

    def __init__(self, part: Sequence[_Cand], capacity: Capacity, caps: Caps) -> None:
        self.part = part
        self.resources = [
            r
            for r in RESOURCES
            if capacity.limit(r) is not None
            and sum(_uses(c).get(r, 0) for c in part) > (capacity.limit(r) or 0)
        ]
        self.limits = np.array([capacity.limit(r) or 0 for r in self.resources], dtype=np.float64)
        self.net = np.array([c.net for c in part], dtype=np.float64)
        self.w = np.array([[_uses(c).get(r, 0) for r in self.resources] for c in part], dtype=np.float64)
        self.w = self.w.reshape(len(part), len(self.resources))
        keys: dict[tuple[str, str], int] = {}
        self.group = np.array(
            [keys.setdefault((c.borrower, c.channel), len(keys)) for c in part], dtype=np.int64
        )
        n = len(part)
        self.cap = np.array(
            [n if caps.for_channel(c.channel) is None else caps.for_channel(c.channel) for c in part],
            dtype=np.int64,
        )
        self.cid = np.array([c.cid for c in part], dtype=np.int64)

    def evaluate(self, lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(L(λ), resource use of the relaxed choice, the choice, reduced nets, each candidate's rank in its
        group by reduced net, 0 = best)."""
        n = len(self.part)
        reduced = self.net - self.w @ lam
        order = np.lexsort((self.cid, -reduced, self.group))
        grouped = self.group[order]
        first = np.ones(n, dtype=bool)
        first[1:] = grouped[1:] != grouped[:-1]
        starts = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n) - starts
        taken = (rank < self.cap) & (reduced > 0)
        value = float(lam @ self.limits + reduced[taken].sum())
        return value, self.w[taken].sum(axis=0), taken, reduced, rank

    def minimise(self, rounds: int = 3, steps: int = 32) -> np.ndarray:
        """λ by coordinate descent: on each resource, the smallest multiplier at which the relaxed choice fits
        (bisection: the use falls as the multiplier rises)."""
        lam = np.zeros(len(self.resources), dtype=np.float64)
        for _ in range(rounds if len(self.resources) > 1 else 1):
            for i in range(len(self.resources)):
                _, use, *_ = self.evaluate(lam)
                if use[i] <= self.limits[i]:
                    lam[i] = 0.0
                    continue
                per_unit = self.net[self.w[:, i] > 0] / self.w[self.w[:, i] > 0, i]
                low, high = 0.0, float(per_unit.max()) + 1.0
                for _ in range(steps):
                    mid = (low + high) / 2
                    lam[i] = mid
                    _, use, *_ = self.evaluate(lam)
                    if use[i] <= self.limits[i]:
                        high = mid
                    else:
                        low = mid
                lam[i] = high
        return lam


def _relax(part: Sequence[_Cand], capacity: Capacity, caps: Caps, hint: set[int]) -> _Relaxation:
    """Bound the part by its Lagrangian, round the relaxed choice down to a feasible plan (the relaxed choice
    by reduced net, then the rest, while they fit), and fix every candidate whose forced change would cost the
    bound more than the gap between the bound and the best of the rounding and the hint."""
    lagrangian = _Lagrangian(part, capacity, caps)
    lam = lagrangian.minimise()
    bound, _, taken, reduced, rank = lagrangian.evaluate(lam)
    tally = _Tally(capacity, caps)
    rounding: list[_Cand] = []
    for j in sorted(range(len(part)), key=lambda j: (not taken[j], -reduced[j], part[j].cid)):
        if tally.fits(part[j]):
            tally.take(part[j])
            rounding.append(part[j])
    hinted = [c for c in part if c.cid in hint]
    if sum(c.net for c in hinted) > sum(c.net for c in rounding):
        rounding = hinted
    margin = bound - sum(c.net for c in rounding) + 1.0 + 1e-7 * abs(bound)
    # per group: the reduced net ranked k-th (the worst taken when the group is full) and (k+1)-th
    n = len(part)
    kth = np.full(int(lagrangian.group.max(initial=-1)) + 1, 0.0)
    next_best = np.full(kth.shape, 0.0)
    at_k = rank == lagrangian.cap - 1
    kth[lagrangian.group[at_k]] = np.maximum(reduced[at_k], 0.0)
    after_k = rank == lagrangian.cap
    next_best[lagrangian.group[after_k]] = np.maximum(reduced[after_k], 0.0)
    drop_if_removed = reduced - next_best[lagrangian.group]
    drop_if_added = kth[lagrangian.group] - reduced
    fixed_one = frozenset(part[j].cid for j in range(n) if taken[j] and drop_if_removed[j] > margin)
    fixed_zero = frozenset(part[j].cid for j in range(n) if not taken[j] and drop_if_added[j] > margin)
    return _Relaxation(bound, rounding, fixed_one, fixed_zero)


def _solve(
    part: Sequence[_Cand],
    capacity: Capacity,
    caps: Caps,
    hint: set[int],
    *,
    time_limit_s: float,
    deadline: float,
    seed: int,
    workers: int,
) -> tuple[list[_Cand], int, str, int]:
    """One part: the Lagrangian relaxation fixes what it can, CP-SAT solves the rest (the candidates it could not
    decide), hinted with the better of greedy and the rounding. Returns (chosen, bound, status, candidates
    left to the solver); the hint is kept when the solver has no better solution."""
    relaxation = _relax(part, capacity, caps, hint)
    incumbent = relaxation.rounding
    incumbent_net = sum(c.net for c in incumbent)
    fixed = [c for c in part if c.cid in relaxation.fixed_one]
    free = [c for c in part if c.cid not in relaxation.fixed_one and c.cid not in relaxation.fixed_zero]
    model, x = _model(free, fixed, capacity, caps, {c.cid for c in incumbent})
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = max(1, workers)
    params.random_seed = seed
    params.max_deterministic_time = time_limit_s
    params.max_time_in_seconds = max(deadline - time.perf_counter(), 1.0)
    status = solver.solve(model)
    lp_bound = relaxation.bound + 1e-7 * abs(relaxation.bound)
    # The fixings hold for every plan *better* than the incumbent: a proved optimum below it, or no feasible
    # plan at all, proves the incumbent optimal.
    if status == cp_model.INFEASIBLE:
        return incumbent, incumbent_net, STATUS_OPTIMAL, len(free)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = fixed + [c for var, c in zip(x, free, strict=True) if solver.boolean_value(var)]
        net = sum(c.net for c in chosen)
        best, best_net = (chosen, net) if net >= incumbent_net else (incumbent, incumbent_net)
        if status == cp_model.OPTIMAL:
            return best, best_net, STATUS_OPTIMAL, len(free)
        bound = max(_bound(solver, part, lp_bound, sum(c.net for c in fixed)), best_net)
        return best, bound, STATUS_FEASIBLE, len(free)
    return (
        incumbent,
        max(_bound(solver, part, lp_bound, sum(c.net for c in fixed)), incumbent_net),
        STATUS_FALLBACK,
        len(free),
    )


def _bound(solver: cp_model.CpSolver, part: Sequence[_Cand], lp_bound: float, fixed_net: int) -> int:
    """The best proved bound on the part's net: the solver's (over the free candidates, plus the fixed
    ones' net), the Lagrangian relaxation's or the trivial one (every candidate)."""
    best = float(sum(c.net for c in part))
    if math.isfinite(lp_bound):
        best = min(best, lp_bound)
    value = solver.best_objective_bound
    if math.isfinite(value) and value >= 0:
        best = min(best, value + fixed_net)
    return math.floor(best)


def optimise(
    candidates: pl.DataFrame,
    capacity: Capacity,
    caps: Caps | None = None,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
) -> Plan:
    """The plan that maximises Σ (value − cost) of the chosen candidates within ``capacity`` and ``caps``
    (see the module's notes). ``status``: ``optimal`` (proved), ``feasible`` (within the reported gap) or
    ``greedy_fallback`` (the solver found nothing better than greedy's profitable candidates in time)."""
    if time_limit_s <= 0:
        raise OptimiseError(f"time_limit_s: must be > 0, got {time_limit_s!r}")
    started = time.perf_counter()
    caps = caps or Caps()
    cands = _rows(validate_candidates(candidates))
    greedy_profitable = [c for c in _greedy_choice(cands, capacity, caps) if c.net > 0]
    profitable = [c for c in cands if c.net > 0]
    kept = _undominated(profitable, caps)
    presolved = {
        "unprofitable": len(cands) - len(profitable),
        "dominated": len(profitable) - len(kept),
        "kept": len(kept),
    }
    hint = {c.cid for c in greedy_profitable}
    chosen: list[_Cand] = []
    bound = 0
    statuses: set[str] = set()
    presolved["solver_parts"] = presolved["solver_candidates"] = presolved["solver_free"] = 0
    for part in _parts(kept, capacity, caps):
        exact = _exact_by_net(part, capacity, caps)
        if exact is not None:
            chosen.extend(exact)
            bound += sum(c.net for c in exact)
            continue
        presolved["solver_parts"] += 1
        presolved["solver_candidates"] += len(part)
        part_chosen, part_bound, part_status, free = _solve(
            part,
            capacity,
            caps,
            hint,
            time_limit_s=time_limit_s,
            deadline=started + time_limit_s,
            seed=seed,
            workers=workers,
        )
        presolved["solver_free"] += free
        statuses.add(part_status)
        chosen.extend(part_chosen)
        bound += part_bound
    if sum(c.net for c in chosen) < sum(c.net for c in greedy_profitable):
        # only when greedy used a dominated candidate and the solver ran out of time: keep greedy's
        # profitable plan, which is feasible on the whole day
        chosen = greedy_profitable
        statuses.add(STATUS_FALLBACK)
    if statuses <= {STATUS_OPTIMAL}:
        status = STATUS_OPTIMAL
    elif STATUS_FEASIBLE in statuses:
        status = STATUS_FEASIBLE
    else:
        status = STATUS_FALLBACK
    return _plan(METHOD_OPTIMISED, chosen, len(cands), status, bound, started, presolved)


def check_plan(
    candidates: pl.DataFrame, plan: Plan, capacity: Capacity, caps: Caps | None = None
) -> list[str]:
    """Every way ``plan`` breaks a capacity or a per-borrower cap (empty when it keeps them all); used by the
    tests and the harness as an independent check."""
    caps = caps or Caps()
    frame = validate_candidates(candidates)
    chosen = frame.filter(pl.col("candidate_id").is_in(list(plan.chosen)))
    problems: list[str] = []
    if chosen.height != len(plan.chosen):
        problems.append("plan holds ids that are not candidates")
    use: dict[str, int] = dict.fromkeys(RESOURCES, 0)
    for channel, resource in CHANNEL_RESOURCE.items():
        if resource is not None:
            use[resource] += chosen.filter(pl.col("channel") == channel).height
    use[MINUTES] = int(chosen["minutes"].sum() or 0)
    for resource in RESOURCES:
        limit = capacity.limit(resource)
        if limit is not None and use[resource] > limit:
            problems.append(f"{resource}: {use[resource]} > {limit}")
    per_group = chosen.group_by("borrower_id", "channel").len()
    for borrower, channel, count in per_group.iter_rows():
        cap = caps.for_channel(channel)
        if cap is not None and count > cap:
            problems.append(f"borrower {borrower} {channel}: {count} > {cap}")
    return problems
