"""The training set: the contract between the builders of model data (collection, early warning, application)
and the scorecard trainer (``qingshou.risk.scorecard``).

A builder returns one ``TrainingSet``: one row per observation (a borrower on a day, a loan at origination, an
applicant) with an id column, the feature columns, the 0/1 target and, for data observed over time, the day
it was observed (the trainer splits train / test by time when it can and measures stability across it).
The same builder module also computes the features of today's population for scoring, with the same code,
so a model never sees features computed differently in training and in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import polars as pl

TARGET: Final = "target"
ROW_ID: Final = "row_id"
OBSERVED_ON: Final = "observed_on"


class TrainingSetError(ValueError):
    """A training set that cannot be trained on (the message says which column or why)."""


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """Rows to train one scorecard on.

    ``kind``: ``collection``, ``early_warning`` or ``application`` (``apps.scoring.models.ModelKind``).
    ``rows``: ``ROW_ID`` (text), the ``numeric`` and ``categorical`` feature columns (numeric: integer or float,
    null = unknown; categorical: text, null = unknown), ``TARGET`` (0/1) and, when ``time_split``, ``OBSERVED_ON``.
    ``event``: what target 1 means, in English (``event_zh`` in Chinese), e.g. "pays or cures within 30 days".
    ``event_is_good``: True when the event is the outcome the institution wants (a collection score: a high
    score means likely to pay); False when it is the bad outcome (default): then a high score means unlikely.
    ``labels``: a feature's display name in Chinese and English, used by reason codes and reports.
    ``dataset``: where the rows came from, for the model's record ("lake 2026-05-01..2026-10-28, weekly").
    """

    kind: str
    rows: pl.DataFrame
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    event: str
    event_zh: str
    event_is_good: bool
    dataset: str
    window_from: date | None = None
    window_to: date | None = None
    time_split: bool = False
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def features(self) -> tuple[str, ...]:
        """Every feature column, numeric first."""
        return self.numeric + self.categorical

    @property
    def events(self) -> int:
        """Rows whose target is 1."""
        return int(self.rows.get_column(TARGET).sum())

    def check(self) -> None:
        """Raise ``TrainingSetError`` unless the rows can be trained on: the columns are there with usable
        types, the target is 0/1 without nulls, ids are unique, and both outcomes occur."""
        self._check_columns()
        target = self.rows.get_column(TARGET)
        if target.null_count():
            raise TrainingSetError(f"the target has {target.null_count()} null value(s)")
        if not target.is_in([0, 1]).all():
            raise TrainingSetError("the target must be 0 or 1")
        if self.rows.get_column(ROW_ID).n_unique() != self.rows.height:
            raise TrainingSetError("row ids are not unique")
        events = self.events
        if events == 0 or events == self.rows.height:
            raise TrainingSetError(
                f"both outcomes must occur to train: {events} event(s) in {self.rows.height} row(s)"
            )

    def _check_columns(self) -> None:
        columns = set(self.rows.columns)
        wanted = [ROW_ID, TARGET, *self.features] + ([OBSERVED_ON] if self.time_split else [])
        missing = [name for name in wanted if name not in columns]
        if missing:
            raise TrainingSetError(f"training rows lack column(s): {', '.join(missing)}")
        if len(set(self.features)) != len(self.features):
            raise TrainingSetError("a feature is listed twice")
        for name in self.numeric:
            dtype = self.rows.schema[name]
            if not dtype.is_numeric():
                raise TrainingSetError(f"numeric feature {name!r} has type {dtype}")
        for name in self.categorical:
            if self.rows.schema[name] != pl.String:
                raise TrainingSetError(
                    f"categorical feature {name!r} must be text, has {self.rows.schema[name]}"
                )
