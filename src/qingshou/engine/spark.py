"""The Spark runner: the engine's kernel on Apache Spark, one cogroup per partition of borrowers.

The EOD service calls it lazily for ``--engine spark`` (PySpark is the optional extra ``qingshou[spark]``)::

    run(book_source, as_of, calendar, previous=None, *, master="local[2]", partitions=None,
        kernel=None, spark=None, write_lake=None, staging=None) -> KernelResult

* ``book_source``: a ``Book`` already read on the driver, a ``ParquetBook`` (a folder of Parquet extracts
  ``<root>/<table>.parquet`` as ``export_book`` writes them, on any path Spark reads: local, ``hdfs://``,
  ``s3a://``) or a ``JdbcBook`` (the store's ``qs_*`` tables over JDBC: PostgreSQL or SQLite);
* ``calendar``: a ``CalendarFrame`` (or the domain ``BusinessCalendar``, tabulated here);
* ``previous``: the snapshot of the day before — a Polars frame, a Parquet path Spark reads, or None;
* ``master``: the Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``…), used only when no
  session is handed in (``spark``); ``partitions``: how many borrower partitions (default: the cluster's
  parallelism, at least one partition per ``LOANS_PER_PARTITION`` loans); ``kernel``: the per-partition
  function (default ``engine.kernel.compute``; ``reference_kernel`` runs the domain instead);
* ``write_lake``: a lake root: the snapshot is also written by the executors to
  ``<lake>/snapshots/as_of=YYYY-MM-DD/part-*.parquet`` (staged beside it, then swapped in), for a cluster
  whose lake is shared storage. Without it the caller (the EOD service) writes the returned frames;
* ``staging``: where driver-side frames (a ``Book``, a Polars ``previous``, the result) pass as Parquet
  instead of through the driver's JVM heap — by default a temporary folder for local masters
  (``staging_folder`` has the choices).

It returns the same ``KernelResult`` as ``kernel.compute``: the snapshot sorted by ``loan_id``, the error
rows sorted by ``loan_id``, ``code``, ``message``. How it works: every loan gets the partition
``pmod(hash(borrower_id), N)`` (Spark's Murmur3 hash), so all of a borrower's loans meet in one group —
the snapshot's borrower aggregates need them together. ``cogroup`` takes two sides: the *loan side* is one row per loan with the previous
snapshot's columns joined on (``previous__*``); the *fact side* is a tagged union (``record`` =
installment / payment / charge) of the per-loan facts. Products and the calendar are small and travel in
the function's closure. Each group rebuilds its ``Book`` with Polars, runs the kernel and returns the
snapshot and the error rows in one Arrow table tagged by ``output``. docs/scale-out.md has the cluster guide.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias
from urllib.parse import unquote, urlsplit

import polars as pl
import pyarrow as pa

from qingshou.domain.calendar import BusinessCalendar
from qingshou.engine import schema
from qingshou.engine.book import Book
from qingshou.engine.calendar import CalendarFrame

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

    from qingshou.engine.kernel import KernelResult

#: The kernel signature every runner calls: ``(book, as_of, calendar, previous) -> KernelResult``.
Kernel: TypeAlias = "Callable[[Book, date, CalendarFrame, pl.DataFrame | None], KernelResult]"

#: Loans per borrower partition the default aims at (the kernel peaks at ~1.1 GB per 100,000 loans).
LOANS_PER_PARTITION: Final = 100_000

#: The book's tables, in ``Book`` field order, with their schemas.
BOOK_TABLES: Final[Mapping[str, schema.Schema]] = {
    "products": schema.PRODUCTS,
    "loans": schema.BOOK_LOANS,
    "installments": schema.INSTALLMENTS,
    "payments": schema.BOOK_PAYMENTS,
    "charges": schema.CHARGES,
    "interruptions": schema.INTERRUPTIONS,
}

#: The per-loan fact tables packed into the fact side, by their ``record`` tag.
FACT_RECORDS: Final[Mapping[str, str]] = {
    "installment": "installments",
    "payment": "payments",
    "charge": "charges",
    "interruption": "interruptions",
}

PARTITION: Final = "partition"
RECORD: Final = "record"
OUTPUT: Final = "output"
PREVIOUS_PREFIX: Final = "previous__"
PREVIOUS_PRESENT: Final = "previous__present"

#: What a group returns: the tag, every SNAPSHOT column, then the ERRORS columns beyond ``loan_id``.
OUTPUT_SCHEMA: Final[schema.Schema] = {
    OUTPUT: pl.String(),
    **schema.SNAPSHOT,
    "code": pl.String(),
    "message": pl.String(),
}

#: Debian's JDBC driver jars (``libpostgresql-jdbc-java``; ``libxerial-sqlite-jdbc-java``, whose jar finds
#: its native library from ``libxerial-sqlite-jdbc-jni`` by itself) and the driver classes.
DEBIAN_JARS: Final[Mapping[str, str]] = {
    "postgresql": "/usr/share/java/postgresql.jar",
    "sqlite": "/usr/share/java/sqlite-jdbc.jar",
}
JDBC_DRIVERS: Final[Mapping[str, str]] = {"postgresql": "org.postgresql.Driver", "sqlite": "org.sqlite.JDBC"}


class SparkRunError(RuntimeError):
    """The Spark runner cannot start or read its input (the message names what and why)."""


# --- where the book comes from ---


@dataclass(frozen=True, slots=True)
class ParquetBook:
    """Parquet extracts of a book: ``<root>/<table>.parquet`` (a file or a folder of parts) for products,
    loans, installments, payments, charges and interruptions, with the columns of ``engine.schema`` (``export_book``)."""

    root: str

    def path(self, table: str) -> str:
        """Where ``table``'s extract lives (``root`` may be a URL: ``hdfs://…``, ``s3a://…``)."""
        return f"{self.root.rstrip('/')}/{table}.parquet"


@dataclass(frozen=True, slots=True)
class JdbcBook:
    """The store's ``qs_*`` tables over JDBC. ``url``: ``jdbc:postgresql://host:port/db`` or
    ``jdbc:sqlite:/path/file.sqlite3``; ``jars``: the driver jar(s), which must be on the classpath when
    the Spark session starts (``session(jars=...)``; default: Debian's jar for the dialect)."""

    url: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    jars: tuple[str, ...] = ()

    @property
    def dialect(self) -> str:
        """``postgresql`` or ``sqlite``, from the URL."""
        for name in JDBC_DRIVERS:
            if self.url.startswith(f"jdbc:{name}:"):
                return name
        raise SparkRunError(f"JDBC url {self.url!r}: only jdbc:postgresql: and jdbc:sqlite: are supported")

    @property
    def driver_jars(self) -> tuple[str, ...]:
        """``jars``, or Debian's driver jar for the dialect."""
        return self.jars or (DEBIAN_JARS[self.dialect],)

    @classmethod
    def from_database_url(cls, url: str, jars: Sequence[str] = ()) -> JdbcBook:
        """The JDBC source of a ``QINGSHOU_DATABASE_URL`` (``sqlite:///PATH`` or
        ``postgresql://user[:password]@host[:port]/name``) or of a bare SQLite file path."""
        parts = urlsplit(url)
        if not parts.scheme:
            return cls(f"jdbc:sqlite:{url}", jars=tuple(jars))
        if parts.scheme == "sqlite":
            # As dj-database-url reads it: sqlite:////abs/file is absolute, sqlite:///rel/file relative.
            return cls(f"jdbc:sqlite:{unquote(parts.path[1:])}", jars=tuple(jars))
        if parts.scheme in ("postgres", "postgresql"):
            host = parts.hostname or "localhost"
            port = f":{parts.port}" if parts.port else ""
            return cls(
                f"jdbc:postgresql://{host}{port}{parts.path}",
                user=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                jars=tuple(jars),
            )
        raise SparkRunError(f"database url scheme {parts.scheme!r}: only sqlite and postgresql are supported")

    def properties(self) -> dict[str, str]:
        """The connection properties Spark's JDBC reader takes."""
        props = {"driver": JDBC_DRIVERS[self.dialect], "fetchsize": "10000"}
        if self.user:
            props["user"] = self.user
        if self.password:
            props["password"] = self.password
        return props


BookSource: TypeAlias = Book | ParquetBook | JdbcBook


def export_book(book: Book, root: str | Path) -> ParquetBook:
    """Write ``book`` as Parquet extracts under ``root`` (one file per table) for Spark to read."""
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    for table in BOOK_TABLES:
        frame: pl.DataFrame = getattr(book, table)
        frame.write_parquet(folder / f"{table}.parquet")
    return ParquetBook(str(folder))


# --- the session ---


def session(
    master: str = "local[2]",
    *,
    app_name: str = "qingshou-eod",
    jars: Sequence[str] = (),
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A Spark session (``getOrCreate``: an active one is reused — then ``jars`` must already be on it).

    Local masters bind to 127.0.0.1 and run the executors' Python with this interpreter; the UI and the
    console progress bar are off unless ``conf`` turns them on. ``jars``: JDBC driver jars."""
    from pyspark.sql import SparkSession

    local = master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    }
    if local:
        settings["spark.driver.bindAddress"] = "127.0.0.1"
    if jars:
        settings["spark.jars"] = ",".join(jars)
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --- types between Polars, Arrow and Spark ---


def spark_type(dtype: pl.DataType) -> DataType:
    """The Spark type of an engine column type (the schemas use only these)."""
    from pyspark.sql import types as T

    mapping: dict[type[pl.DataType], DataType] = {
        pl.String: T.StringType(),
        pl.Boolean: T.BooleanType(),
        pl.Int8: T.ByteType(),
        pl.Int16: T.ShortType(),
        pl.Int32: T.IntegerType(),
        pl.Int64: T.LongType(),
        pl.Date: T.DateType(),
    }
    found = mapping.get(type(dtype))
    if found is None:
        raise SparkRunError(f"column type {dtype} has no Spark mapping in the engine")
    return found


def spark_schema(columns: schema.Schema) -> StructType:
    """The Spark struct of an engine schema (every column nullable, as Arrow hands them over)."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(name, spark_type(dtype), True) for name, dtype in columns.items()])


def arrow_schema(columns: schema.Schema, *, large_strings: bool = False) -> pa.Schema:
    """The Arrow schema Spark expects back from a group (``large_strings``: Spark's
    ``spark.sql.execution.arrow.useLargeVarTypes``)."""
    plain = pl.DataFrame(schema=columns).to_arrow(compat_level=pl.CompatLevel.oldest()).schema
    text = pa.large_string() if large_strings else pa.string()
    return pa.schema(
        [pa.field(f.name, text if pa.types.is_large_string(f.type) else f.type, nullable=True) for f in plain]
    )


def conformed(frame: DataFrame, columns: schema.Schema) -> DataFrame:
    """A Spark frame with exactly ``columns`` in order and type (missing column: ``SparkRunError``)."""
    from pyspark.sql import functions as F

    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise SparkRunError(f"input lacks column(s) {', '.join(missing)}")
    return frame.select([F.col(name).cast(spark_type(dtype)).alias(name) for name, dtype in columns.items()])


def to_spark(spark: SparkSession, frame: pl.DataFrame, columns: schema.Schema) -> DataFrame:
    """A Polars frame handed to Spark through Arrow, typed by ``columns``."""
    table = schema.conform(frame, columns).to_arrow(compat_level=pl.CompatLevel.oldest())
    return spark.createDataFrame(table.cast(arrow_schema(columns)), schema=spark_schema(columns))


def to_polars(table: pa.Table, columns: schema.Schema) -> pl.DataFrame:
    """An Arrow table from Spark as a Polars frame conformed to ``columns`` (an empty side may come without
    columns: then an empty frame)."""
    if table.num_columns == 0:
        return schema.empty(columns)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return schema.conform(frame, columns)


# --- reading the book into Spark ---


def read_book(spark: SparkSession, source: BookSource) -> dict[str, DataFrame]:
    """The book's tables as Spark frames conformed to ``engine.schema``, by table name."""
    if isinstance(source, Book):
        return {table: to_spark(spark, getattr(source, table), cols) for table, cols in BOOK_TABLES.items()}
    if isinstance(source, ParquetBook):
        return {
            table: conformed(spark.read.parquet(source.path(table)), cols)
            for table, cols in BOOK_TABLES.items()
        }
    return {table: read_jdbc_table(spark, source, table) for table in BOOK_TABLES}


#: The store's table and the SQL of each book column (``{rate}``: a DECIMAL(12, 8) column as text).
_STORE_TABLES: Final[Mapping[str, str]] = {
    "products": "qs_product",
    "loans": "qs_loan",
    "installments": "qs_installment",
    "payments": "qs_payment",
    "charges": "qs_charge",
    "interruptions": "qs_limitation_interruption",
}
_STORE_RATES: Final[Mapping[str, str]] = {
    "penalty_markup_e8": "penalty_markup",
    "annual_rate_e8": "annual_rate",
}


def jdbc_query(source: JdbcBook, table: str) -> str:
    """The SELECT reading ``table`` from the store: every column as text (read with a STRING
    ``customSchema``: SQLite reports no type for an expression), so no driver type mapping can change a
    value — SQLite keeps dates as text, decimals as REAL, booleans as 0/1; rates keep 8 decimals."""
    items = []
    for column in BOOK_TABLES[table]:
        stored = _STORE_RATES.get(column)
        if stored is None:
            items.append(f'CAST("{column}" AS TEXT) AS "{column}"')
        elif source.dialect == "sqlite":
            items.append(f'printf(\'%.8f\', "{stored}") AS "{column}"')
        else:
            items.append(f'CAST(ROUND("{stored}", 8) AS TEXT) AS "{column}"')
    return f"SELECT {', '.join(items)} FROM {_STORE_TABLES[table]}"


def read_jdbc_table(spark: SparkSession, source: JdbcBook, table: str) -> DataFrame:
    """One book table over JDBC, text cast exactly to the engine types (rates: decimal text × 10⁸)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    raw = (
        spark.read.format("jdbc")
        .option("url", source.url)
        .option("query", jdbc_query(source, table))
        .option("customSchema", ", ".join(f"{name} STRING" for name in BOOK_TABLES[table]))
        .options(**source.properties())
        .load()
    )
    scale = F.lit(schema.RATE_SCALE).cast(T.DecimalType(10, 0))
    columns = []
    for name, dtype in BOOK_TABLES[table].items():
        if name in _STORE_RATES:
            columns.append((F.col(name).cast(T.DecimalType(20, 8)) * scale).cast(T.LongType()).alias(name))
        else:
            columns.append(F.col(name).cast(spark_type(dtype)).alias(name))
    return raw.select(columns)


def read_previous(spark: SparkSession, previous: pl.DataFrame | str | Path | None) -> DataFrame | None:
    """The previous snapshot as a Spark frame (SNAPSHOT columns), from Polars or a Parquet path."""
    if previous is None:
        return None
    if isinstance(previous, pl.DataFrame):
        return to_spark(spark, previous, schema.SNAPSHOT)
    return conformed(spark.read.parquet(str(previous)), schema.SNAPSHOT)


# --- packing the two cogroup sides ---


def borrower_partition(partitions: int) -> Any:
    """The partition of a loan: ``pmod(hash(borrower_id), partitions)`` (Spark's Murmur3 hash, the same on
    every executor and run), so all of a borrower's loans land in one group."""
    from pyspark.sql import functions as F

    return F.pmod(F.hash(F.col("borrower_id")), F.lit(partitions))


def loan_side(loans: DataFrame, previous: DataFrame | None, partitions: int) -> DataFrame:
    """One row per loan: ``partition`` (by borrower), the LOANS columns and, when there is a previous
    snapshot, its columns as ``previous__*`` plus ``previous__present`` (the loan had a previous row)."""
    from pyspark.sql import functions as F

    keyed = loans.withColumn(PARTITION, borrower_partition(partitions))
    if previous is None:
        return keyed
    carried = previous.select(
        F.col("loan_id"),
        *[F.col(name).alias(PREVIOUS_PREFIX + name) for name in schema.SNAPSHOT if name != "loan_id"],
        F.lit(True).alias(PREVIOUS_PRESENT),
    )
    return keyed.join(carried, on="loan_id", how="left")


def fact_side(book: Mapping[str, DataFrame], partitions: int) -> DataFrame:
    """Installments, payments, charges and interruptions as one tagged union (``record``), each row given its loan's
    ``partition`` (facts of loans the book does not hold are dropped, as the kernel ignores them). The
    partition is computed afresh from the loans, so the two cogroup sides share no column lineage."""
    from pyspark.sql import functions as F

    union: DataFrame | None = None
    for record, table in FACT_RECORDS.items():
        tagged = book[table].withColumn(RECORD, F.lit(record))
        union = tagged if union is None else union.unionByName(tagged, allowMissingColumns=True)
    assert union is not None
    keys = book["loans"].select("loan_id", borrower_partition(partitions).alias(PARTITION))
    return union.join(keys, on="loan_id", how="inner")


# --- the per-group function ---


@dataclass(frozen=True)
class PartitionKernel:
    """The function each cogroup runs (pickled to the executors with its small closure: products,
    calendar, day, kernel). ``__call__(key, loans, facts)`` takes the two sides as Arrow tables and returns
    the group's OUTPUT_SCHEMA table: snapshot rows (``output`` = snapshot) and error rows (= error)."""

    kernel: Kernel
    as_of: date
    calendar: CalendarFrame
    products: pl.DataFrame
    with_previous: bool
    large_strings: bool = False

    def __call__(self, key: tuple[Any, ...], loans: pa.Table, facts: pa.Table) -> pa.Table:
        """Rebuild the group's book, run the kernel, tag and combine its two outputs."""
        loan_frame = pl.from_arrow(loans) if loans.num_columns else pl.DataFrame()
        assert isinstance(loan_frame, pl.DataFrame)
        fact_frame = to_polars(facts, fact_columns())
        book = group_book(self.products, loan_frame, fact_frame)
        previous = group_previous(loan_frame) if self.with_previous else None
        result = self.kernel(book, self.as_of, self.calendar, previous)
        return (
            combine_output(result.snapshot, result.errors)
            .to_arrow(compat_level=pl.CompatLevel.oldest())
            .cast(arrow_schema(OUTPUT_SCHEMA, large_strings=self.large_strings))
        )

    def udf(self) -> Callable[[tuple[Any, ...], pa.Table, pa.Table], pa.Table]:
        """A plain three-argument function calling this one (Spark inspects the argument count)."""

        def apply(key: tuple[Any, ...], loans: pa.Table, facts: pa.Table) -> pa.Table:
            return self(key, loans, facts)

        return apply


def fact_columns() -> schema.Schema:
    """The fact side's columns: ``record`` and the union of the fact tables' columns."""
    columns: schema.Schema = {RECORD: pl.String()}
    for table in FACT_RECORDS.values():
        columns.update(BOOK_TABLES[table])
    return columns


def group_book(products: pl.DataFrame, loans: pl.DataFrame, facts: pl.DataFrame) -> Book:
    """The ``Book`` of one group from its two sides."""
    tables = {
        table: facts.filter(pl.col(RECORD) == record).select(list(BOOK_TABLES[table]))
        for record, table in FACT_RECORDS.items()
    }
    loan_rows = loans.select(list(schema.BOOK_LOANS)) if loans.width else schema.empty(schema.BOOK_LOANS)
    return Book.of(
        products,
        loan_rows,
        tables["installments"],
        tables["payments"],
        tables["charges"],
        tables["interruptions"],
    )


def group_previous(loans: pl.DataFrame) -> pl.DataFrame:
    """The previous snapshot's rows of the group's loans (SNAPSHOT columns)."""
    if not loans.width:
        return schema.empty(schema.SNAPSHOT)
    rows = loans.filter(pl.col(PREVIOUS_PRESENT).fill_null(False)).select(
        pl.col("loan_id"),
        *[pl.col(PREVIOUS_PREFIX + name).alias(name) for name in schema.SNAPSHOT if name != "loan_id"],
    )
    return schema.conform(rows, schema.SNAPSHOT)


def combine_output(snapshot: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """Snapshot and error rows in one OUTPUT_SCHEMA frame, told apart by ``output``."""
    tagged = pl.concat(
        [
            schema.conform(snapshot, schema.SNAPSHOT).with_columns(pl.lit("snapshot").alias(OUTPUT)),
            schema.conform(errors, schema.ERRORS).with_columns(pl.lit("error").alias(OUTPUT)),
        ],
        how="diagonal",
    )
    return schema.conform(tagged, OUTPUT_SCHEMA)


def split_output(output: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The (snapshot, errors) of a collected OUTPUT_SCHEMA frame, sorted like the local kernel's."""
    snapshot = output.filter(pl.col(OUTPUT) == "snapshot")
    errors = output.filter(pl.col(OUTPUT) == "error")
    return (
        schema.conform(snapshot, schema.SNAPSHOT).sort("loan_id"),
        schema.conform(errors, schema.ERRORS).sort("loan_id", "code", "message"),
    )


# --- kernels ---


def default_kernel() -> Kernel:
    """``engine.kernel.compute`` (imported when first needed)."""
    from qingshou.engine.kernel import compute

    return compute


def reference_kernel(
    book: Book, as_of: date, calendar: CalendarFrame, previous: pl.DataFrame | None = None
) -> KernelResult:
    """The domain reference (``reference.reference_snapshot``) with the kernel's signature: for parity
    runs on Spark, and for tests while the Polars kernel is being built."""
    from qingshou.engine.kernel import KernelResult
    from qingshou.engine.reference import reference_snapshot

    result = reference_snapshot(book, as_of, calendar.calendar, previous)
    return KernelResult(result.rows, result.errors)


# --- the run ---


def snapshot_dataframe(
    spark: SparkSession,
    source: BookSource,
    as_of: date,
    calendar: CalendarFrame | BusinessCalendar,
    previous: pl.DataFrame | str | Path | None = None,
    *,
    partitions: int | None = None,
    kernel: Kernel | None = None,
) -> DataFrame:
    """The lazy Spark frame of the run's output (OUTPUT_SCHEMA: snapshot and error rows tagged by
    ``output``) — for callers that keep the result on the cluster; ``run`` collects it."""
    frame = calendar if isinstance(calendar, CalendarFrame) else CalendarFrame.of(calendar)
    book = read_book(spark, source)
    count = partitions or default_partitions(spark, source, book["loans"])
    if count < 1:
        raise SparkRunError(f"partitions must be at least 1, got {count}")
    spark.conf.set("spark.sql.shuffle.partitions", str(count))
    before = read_previous(spark, previous)
    loans = loan_side(book["loans"], before, count)
    facts = fact_side(book, count)
    function = PartitionKernel(
        kernel or default_kernel(),
        as_of,
        frame,
        products_of(source, book["products"]),
        before is not None,
        spark.conf.get("spark.sql.execution.arrow.useLargeVarTypes", "false") == "true",
    )
    return (
        loans.groupBy(PARTITION)
        .cogroup(facts.groupBy(PARTITION))
        .applyInArrow(function.udf(), spark_schema(OUTPUT_SCHEMA))
    )


def default_partitions(spark: SparkSession, source: BookSource, loans: DataFrame) -> int:
    """The cluster's default parallelism, and at least one partition per ``LOANS_PER_PARTITION`` loans."""
    count = source.loan_count if isinstance(source, Book) else loans.count()
    return max(spark.sparkContext.defaultParallelism, math.ceil(count / LOANS_PER_PARTITION), 1)


def products_of(source: BookSource, products: DataFrame) -> pl.DataFrame:
    """The products as a Polars frame for the closure (collected to the driver when read by Spark)."""
    if isinstance(source, Book):
        return source.products
    return to_polars(products.toArrow(), schema.PRODUCTS)


def collect(output: DataFrame, folder: Path | None = None) -> KernelResult:
    """Run the Spark job and bring the snapshot and errors back to the driver: through Parquet files in
    ``folder`` when given (read back by Polars: nothing large passes the driver's JVM heap), else as Arrow
    batches through the driver's JVM."""
    from qingshou.engine.kernel import KernelResult

    if folder is None:
        frame = pl.from_arrow(output.toArrow())
        assert isinstance(frame, pl.DataFrame)
    else:
        output.write.mode("overwrite").parquet((folder / "output").as_uri())
        parts = sorted((folder / "output").glob("part-*.parquet"))
        frame = pl.read_parquet(parts) if parts else schema.empty(OUTPUT_SCHEMA)
    snapshot, errors = split_output(schema.conform(frame, OUTPUT_SCHEMA))
    return KernelResult(snapshot, errors)


@contextmanager
def staging_folder(staging: str | Path | bool | None, local: bool) -> Iterator[Path | None]:
    """Where driver-side frames (a ``Book``, a Polars previous snapshot, the collected output) pass as
    Parquet: ``None`` = a temporary folder for a local master, none otherwise; ``True`` = a temporary
    folder; ``False`` = none (Arrow through the driver's JVM); a path = a fresh folder under it (on a
    cluster: a mount every executor sees at the same path). The folder is removed afterwards."""
    if staging is False or (staging is None and not local):
        yield None
        return
    parent = None if staging is None or staging is True else Path(staging)
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qingshou-spark-", dir=parent) as folder:
        yield Path(folder).resolve()


def staged_inputs(
    source: BookSource, previous: pl.DataFrame | str | Path | None, folder: Path | None
) -> tuple[BookSource, pl.DataFrame | str | Path | None]:
    """A driver-side ``Book`` and Polars previous snapshot written to ``folder`` for Spark to read (a
    frame handed to Spark directly becomes a local relation held whole in the driver's JVM heap)."""
    if folder is None:
        return source, previous
    if isinstance(source, Book):
        source = ParquetBook(Path(export_book(source, folder / "book").root).as_uri())
    if isinstance(previous, pl.DataFrame):
        path = folder / "previous.parquet"
        schema.conform(previous, schema.SNAPSHOT).write_parquet(path)
        previous = path.as_uri()
    return source, previous


def lake_partition(lake: str | Path, as_of: date) -> str:
    """``<lake>/snapshots/as_of=YYYY-MM-DD`` (the layout the EOD service writes too)."""
    return f"{str(lake).rstrip('/')}/snapshots/as_of={as_of.isoformat()}"


def write_lake_partition(spark: SparkSession, output: DataFrame, lake: str | Path, as_of: date) -> str:
    """Write the snapshot rows of ``output`` from the executors as ``part-*.parquet`` of the day's lake
    partition: into a hidden sibling folder first, then swapped in with renames (Hadoop FileSystem: local,
    HDFS, S3A), so a failed write leaves the old partition; Spark's ``_SUCCESS`` / ``.crc`` files are
    removed. Returns the partition path."""
    from pyspark.sql import functions as F

    target = lake_partition(lake, as_of)
    staging = f"{target.rsplit('/', 1)[0]}/.as_of={as_of.isoformat()}.spark-{uuid.uuid4().hex}"
    snapshot = output.filter(F.col(OUTPUT) == "snapshot").select(list(schema.SNAPSHOT))
    snapshot.orderBy("loan_id").write.mode("errorifexists").parquet(staging)
    _swap_in(spark, staging, target)
    return target


def _swap_in(spark: SparkSession, staging: str, target: str) -> None:
    """Drop the staged folder's hidden files, move ``target`` aside, move ``staging`` in, drop the old."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    hadoop = jvm.org.apache.hadoop.fs
    staged, final, aside = hadoop.Path(staging), hadoop.Path(target), hadoop.Path(f"{staging}.old")
    fs = staged.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    checksummed = jvm.java.lang.Class.forName("org.apache.hadoop.fs.ChecksumFileSystem").isInstance(fs)
    raw = fs.getRawFileSystem() if checksummed else fs  # a local FS hides its .crc files from listings
    for status in raw.listStatus(staged):
        if status.getPath().getName()[:1] in (".", "_"):
            raw.delete(status.getPath(), False)
    replaced = bool(fs.exists(final)) and bool(fs.rename(final, aside))
    if not fs.rename(staged, final):
        raise SparkRunError(f"could not move the written snapshot into {target}")
    if replaced:
        fs.delete(aside, True)


def run(
    book_source: BookSource,
    as_of: date,
    calendar: CalendarFrame | BusinessCalendar,
    previous: pl.DataFrame | str | Path | None = None,
    *,
    master: str = "local[2]",
    partitions: int | None = None,
    kernel: Kernel | None = None,
    spark: SparkSession | None = None,
    write_lake: str | Path | None = None,
    staging: str | Path | bool | None = None,
) -> KernelResult:
    """The snapshot of the book at the end of ``as_of`` computed on Spark (see the module docstring); equal
    to ``kernel(whole book)`` on one machine, row for row. ``staging``: see ``staging_folder``."""
    if spark is None:
        jars = book_source.driver_jars if isinstance(book_source, JdbcBook) else ()
        spark = session(master, jars=jars)
    local = (spark.sparkContext.master or "").startswith("local")
    with staging_folder(staging, local) as folder:
        source, before = staged_inputs(book_source, previous, folder)
        output = snapshot_dataframe(
            spark, source, as_of, calendar, before, partitions=partitions, kernel=kernel
        )
        if write_lake is None:
            return collect(output, folder)
        output = output.persist()
        try:
            write_lake_partition(spark, output, write_lake, as_of)
            return collect(output, folder)
        finally:
            output.unpersist()


__all__ = [
    "BOOK_TABLES",
    "DEBIAN_JARS",
    "FACT_RECORDS",
    "JDBC_DRIVERS",
    "LOANS_PER_PARTITION",
    "OUTPUT",
    "OUTPUT_SCHEMA",
    "PARTITION",
    "PREVIOUS_PREFIX",
    "PREVIOUS_PRESENT",
    "RECORD",
    "BookSource",
    "JdbcBook",
    "Kernel",
    "ParquetBook",
    "PartitionKernel",
    "SparkRunError",
    "arrow_schema",
    "borrower_partition",
    "collect",
    "combine_output",
    "conformed",
    "default_kernel",
    "default_partitions",
    "export_book",
    "fact_columns",
    "fact_side",
    "group_book",
    "group_previous",
    "jdbc_query",
    "lake_partition",
    "loan_side",
    "products_of",
    "read_book",
    "read_jdbc_table",
    "read_previous",
    "reference_kernel",
    "run",
    "session",
    "snapshot_dataframe",
    "spark_schema",
    "spark_type",
    "split_output",
    "staged_inputs",
    "staging_folder",
    "to_polars",
    "to_spark",
    "write_lake_partition",
]
