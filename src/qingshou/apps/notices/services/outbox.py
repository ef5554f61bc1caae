"""Putting notices into the outbox: in bulk inside the EOD transaction, or one at a time.

The EOD run hands a frame of ``outbox_frame_schema()`` to ``stage_outbox(store, frame)`` inside its store
transaction (``qingshou.store``: staging table + insert of the keys not stored yet), so the day's notices
are committed together with the day's statuses or not at all. The key of a row is
``as_of|action_key|channel|recipient``: a rerun of the day stages the same keys and adds nothing, and a
notice already sent is never sent again. Figures arrive as integer fen and are stored in the payload as
decimal strings ("1033.33"), days as integers (C9). A third-party row's payload gets no debt figures (C8).

``enqueue_notice`` does the same for one notice through the ORM (a person's action, later issues); it
renders the notice once to refuse a bad payload or a missing template before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import polars as pl
from django.db import transaction
from django.utils import timezone

from qingshou.apps.notices.models import KEY_LENGTH, Audience, Channel, Outbox
from qingshou.channels.templates import DEBT_FIELDS, MONEY_FIELDS, TemplateError
from qingshou.store import Dialect, Store

#: Money columns of the frame (integer fen) → payload fields (decimal strings).
FEN_COLUMNS: Final = {f"{name}_fen": name for name in MONEY_FIELDS}


def outbox_frame_schema() -> dict[str, pl.DataType]:
    """The columns the EOD run supplies, one row per notice.

    ``action_key`` names the planned action (e.g. ``<strategy path>/<step>/<loan id>``); ``language`` is
    ``zh-hans`` or ``en``; money is fen; ``days_overdue`` whole days; ``not_before`` (UTC, may be null)
    defers the first attempt (quiet hours, C8) — null means as soon as a worker runs.
    """
    return {
        "as_of": pl.Date(),
        "action_key": pl.String(),
        "borrower_id": pl.String(),
        "loan_id": pl.String(),
        "channel": pl.String(),
        "audience": pl.String(),
        "recipient": pl.String(),
        "template_code": pl.String(),
        "language": pl.String(),
        "borrower_name": pl.String(),
        **{column: pl.Int64() for column in FEN_COLUMNS},
        "days_overdue": pl.Int64(),
        "not_before": pl.Datetime("us", "UTC"),
    }


def _fen_text(column: str) -> pl.Expr:
    """Integer fen as a decimal string with two places: 103333 → "1033.33", -5 → "-0.05"."""
    fen = pl.col(column)
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    magnitude = fen.abs()
    return pl.concat_str(
        sign,
        (magnitude // 100).cast(pl.String),
        pl.lit("."),
        (magnitude % 100).cast(pl.String).str.zfill(2),
    )


def _key() -> pl.Expr:
    return pl.concat_str(
        pl.col("as_of").cast(pl.String), "action_key", "channel", "recipient", separator="|"
    ).alias("key")


def _payload() -> pl.Expr:
    """The payload JSON; a third party's carries the borrower's name only (C8)."""
    third = pl.col("audience") == Audience.THIRD_PARTY.value
    debt = [
        pl.when(third).then(None).otherwise(_fen_text(column)).alias(name)
        for column, name in FEN_COLUMNS.items()
    ]
    days = pl.when(third).then(None).otherwise(pl.col("days_overdue")).alias("days_overdue")
    return pl.struct(pl.col("borrower_name"), *debt, days).struct.json_encode().alias("payload")


def _timestamp(expr: pl.Expr, dialect: Dialect) -> pl.Expr:
    """A UTC datetime as the text Django stores (SQLite: naive UTC) or PostgreSQL casts (with offset)."""
    text = expr.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
    return text if dialect is Dialect.SQLITE else pl.concat_str(text, pl.lit("+00:00"))


def _check_frame(frame: pl.DataFrame) -> None:
    """Refuse a frame the outbox cannot hold, naming the first offending row by its key and the field."""
    required = ("action_key", "borrower_id", "channel", "audience", "recipient", "template_code")
    checks = [
        *((name, pl.col(name).is_null() | (pl.col(name).str.strip_chars() == "")) for name in required),
        ("channel", ~pl.col("channel").is_in(Channel.values)),
        ("audience", ~pl.col("audience").is_in(Audience.values)),
        ("key", pl.col("key").str.len_chars() > KEY_LENGTH),
    ]
    for name, broken in checks:
        bad = frame.filter(broken)
        if bad.height:
            raise ValueError(
                f"outbox row {bad.item(0, 'key')!r}: invalid {name} {bad.item(0, name)!r}"
                f" ({bad.height} rows like it)"
            )


def outbox_rows(frame: pl.DataFrame, dialect: Dialect, now: datetime | None = None) -> pl.DataFrame:
    """The ``qs_outbox`` rows for a frame of ``outbox_frame_schema()`` (checked), ready to insert."""
    missing = [name for name in outbox_frame_schema() if name not in frame.columns]
    if missing:
        raise ValueError(f"the outbox frame lacks the columns {', '.join(missing)}")
    moment = (now or timezone.now()).astimezone(UTC)
    created = pl.lit(moment, pl.Datetime("us", "UTC"))
    rows = (
        frame.select(pl.col(name).cast(dtype) for name, dtype in outbox_frame_schema().items())
        .with_columns(_key())
        .with_columns(pl.col("loan_id").fill_null(""), pl.col("language").fill_null("zh-hans"))
    )
    _check_frame(rows)
    empty = pl.lit("")
    return rows.select(
        "key",
        "as_of",
        "action_key",
        "borrower_id",
        "loan_id",
        "channel",
        "audience",
        "recipient",
        "template_code",
        "language",
        _payload(),
        pl.lit(Outbox.Status.PENDING.value).alias("status"),
        pl.lit(0, pl.Int64).alias("attempts"),
        _timestamp(pl.col("not_before").fill_null(created), dialect).alias("next_attempt_at"),
        empty.alias("last_error"),
        empty.alias("subject"),
        empty.alias("content"),
        empty.alias("provider_message_id"),
        _timestamp(created, dialect).alias("created_at"),
        empty.alias("evidence"),
    )


@dataclass(frozen=True, slots=True)
class StageResult:
    """Rows offered, and of them the ones new to the outbox (the others were staged by an earlier run)."""

    offered: int
    inserted: int


def stage_outbox(store: Store, frame: pl.DataFrame, now: datetime | None = None) -> StageResult:
    """Insert the frame's notices whose key is not in ``qs_outbox`` yet; call inside ``store.transaction()``."""
    rows = outbox_rows(frame, store.dialect, now).unique("key", keep="first", maintain_order=True)
    result = store.upsert("qs_outbox", rows, ["key"], update=False, compare=())
    return StageResult(offered=frame.height, inserted=result.written)


def outbox_key(as_of: date, action_key: str, channel: str, recipient: str) -> str:
    """The outbox key of one notice (the same text ``stage_outbox`` builds)."""
    return "|".join((as_of.isoformat(), action_key, channel, recipient))


def _payload_of(audience: str, borrower_name: str, figures: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"borrower_name": borrower_name}
    for name, value in figures.items():
        if audience == Audience.THIRD_PARTY and name in DEBT_FIELDS:
            raise TemplateError(f"a third-party notice must not carry the debt field {name} (C8)", field=name)
        payload[name] = value
    return payload


def enqueue_notice(
    *,
    as_of: date,
    action_key: str,
    borrower_id: str,
    channel: str,
    audience: str,
    recipient: str,
    template_code: str,
    borrower_name: str,
    figures: dict[str, Any] | None = None,
    loan_id: str = "",
    language: str = "zh-hans",
    not_before: datetime | None = None,
) -> tuple[Outbox, bool]:
    """One notice into the outbox (the figures as decimal strings, ``days_overdue`` an int); return the
    row and whether it is new. The notice is rendered once first, so a bad payload is refused here."""
    from qingshou.apps.notices.services.rendering import render_text

    if channel not in Channel.values:
        raise TemplateError(
            f"channel must be one of {' | '.join(Channel.values)}, got {channel!r}", field="channel"
        )
    payload = _payload_of(audience, borrower_name, figures or {})
    key = outbox_key(as_of, action_key, channel, recipient)
    row = Outbox(
        key=key,
        as_of=as_of,
        action_key=action_key,
        borrower_id=borrower_id,
        loan_id=loan_id,
        channel=channel,
        audience=audience,
        recipient=recipient,
        template_code=template_code,
        language=language,
        payload=payload,
        next_attempt_at=not_before or timezone.now(),
    )
    row.full_clean(exclude=["template"], validate_unique=False)
    render_text(row)
    with transaction.atomic():
        return Outbox.objects.get_or_create(
            key=key,
            defaults={
                field.name: getattr(row, field.name)
                for field in Outbox._meta.concrete_fields
                if field.name not in ("id", "key")
            },
        )
