"""Reading extract files: find ``DIR/<table>.csv|.parquet|.xlsx`` and read every value as text.

Nothing is coerced on the way in: CSV is read with no type inference, Parquet and XLSX columns are cast
to text (a date or a midnight timestamp becomes ``YYYY-MM-DD``), so the validation sees what the file
says. Header names are trimmed and lower-cased. Each frame gets a ``__row`` column: the 1-based number of
the data row in the file, the header not counted. A missing required file or column, two files for one
table, or a file that cannot be decoded raises ``ExtractError``: the input is unusable and nothing is
written.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from qingshou.ingest.errors import ExtractError
from qingshou.ingest.tables import TABLES, Table

ROW = "__row"
_UTF8_CHECK_BYTES = 64 * 2**20
SUFFIXES = (".csv", ".parquet", ".xlsx")
ENCODINGS: Mapping[str, str] = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "gbk": "gb18030",
    "gb18030": "gb18030",
}


def find_file(directory: Path, table: Table) -> Path | None:
    """The file of ``table`` in ``directory``; ``ExtractError`` when there are several."""
    found = [
        directory / f"{table.name}{suffix}"
        for suffix in SUFFIXES
        if (directory / f"{table.name}{suffix}").is_file()
    ]
    if len(found) > 1:
        names = ", ".join(path.name for path in found)
        raise ExtractError(f"{table.name}: more than one file ({names}); keep one", field=table.name)
    return found[0] if found else None


def _decode_csv(path: Path, encoding: str) -> bytes:
    """The CSV bytes as UTF-8 (GBK files are decoded as GB 18030, a superset of GBK).

    A UTF-8 file is returned as read, its BOM included: the CSV reader skips it.
    """
    codec = ENCODINGS.get(encoding.lower())
    if codec is None:
        raise ExtractError(f"unknown encoding {encoding!r}; use utf-8 or gbk", field="encoding")
    data = path.read_bytes()
    if codec == "utf-8-sig" and _is_utf8(data):
        return data  # already UTF-8: the reader skips the BOM, so no decoded copy is made
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        hint = " (try --encoding gbk)" if codec.startswith("utf") else ""
        raise ExtractError(
            f"{path.name}: not {encoding} text at byte {error.start}{hint}", field=path.stem
        ) from None
    return text.encode("utf-8")


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked a slice at a time (no decoded copy of a big file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _UTF8_CHECK_BYTES):
            decoder.decode(view[start : start + _UTF8_CHECK_BYTES])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _blank(data: bytes) -> bool:
    """Nothing but white space (and a BOM)."""
    return not data.removeprefix(codecs.BOM_UTF8).strip()


def _read_csv(path: Path, encoding: str) -> pl.DataFrame:
    data = _decode_csv(path, encoding)
    if _blank(data[:4096]) and _blank(data):
        raise ExtractError(f"{path.name}: the file is empty (no header row)", field=path.stem)
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as error:
        raise ExtractError(f"{path.name}: not a readable CSV file: {error}", field=path.stem) from None


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text; dates and timestamps as ISO dates (``YYYY-MM-DD``, with the time if not midnight)."""
    exprs = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype == pl.Date:
            exprs.append(column.dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            midnight = column.dt.time() == pl.time(0, 0, 0)
            text = (
                pl.when(midnight)
                .then(column.dt.strftime("%Y-%m-%d"))
                .otherwise(column.dt.strftime("%Y-%m-%d %H:%M:%S"))
            )
            exprs.append(text.alias(name))
        else:
            exprs.append(column.cast(pl.String))
    return frame.select(exprs)


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        return _as_text(pl.read_parquet(path))
    except (pl.exceptions.PolarsError, OSError) as error:
        raise ExtractError(f"{path.name}: not a readable Parquet file: {error}", field=path.stem) from None


def _read_xlsx(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_excel(path, sheet_id=1, engine="calamine", infer_schema_length=0)
    except Exception as error:  # fastexcel raises its own exception classes
        raise ExtractError(f"{path.name}: not a readable XLSX file: {error}", field=path.stem) from None
    return _as_text(frame).with_columns(
        pl.col(pl.String).str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", "$1")
    )


def read_file(path: Path, encoding: str = "utf-8") -> pl.DataFrame:
    """One extract file as text columns with normalised header names and a ``__row`` column."""
    if path.suffix == ".csv":
        frame = _read_csv(path, encoding)
    elif path.suffix == ".parquet":
        frame = _read_parquet(path)
    else:
        frame = _read_xlsx(path)
    names = [name.strip().lstrip("\ufeff").strip().lower() for name in frame.columns]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ExtractError(f"{path.name}: column(s) appear twice: {', '.join(duplicated)}", field=path.stem)
    if ROW in names:
        raise ExtractError(f"{path.name}: a column may not be called {ROW}", field=path.stem)
    frame.columns = names
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def check_columns(table: Table, frame: pl.DataFrame, path: Path) -> None:
    """``ExtractError`` naming the file and the first required column it lacks."""
    missing = [name for name in table.required if name not in frame.columns]
    if missing:
        raise ExtractError(
            f"{path.name}: required column(s) missing: {', '.join(missing)}",
            field=f"{table.name}:{missing[0]}",
        )


def read_extract(directory: Path, encoding: str = "utf-8") -> dict[str, pl.DataFrame]:
    """Every table file of ``directory`` read as text, keyed by table name (an absent optional table is absent).

    Checks everything that makes the input unusable before returning, so a caller writes nothing unless
    this succeeds.
    """
    if not directory.is_dir():
        raise ExtractError(f"{directory}: not a directory", field="directory")
    frames: dict[str, pl.DataFrame] = {}
    for table in TABLES:
        path = find_file(directory, table)
        if path is None:
            if table.required_file:
                raise ExtractError(
                    f"{table.name}: required file missing ({' | '.join(table.name + s for s in SUFFIXES)} in {directory})",
                    field=table.name,
                )
            continue
        frame = read_file(path, encoding)
        check_columns(table, frame, path)
        frames[table.name] = frame
    return frames
