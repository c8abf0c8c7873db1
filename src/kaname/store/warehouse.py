"""The warehouse: canonical tables behind any Ibis backend (DuckDB file by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

import ibis
import pandas as pd
import pyarrow as pa

from kaname.canonical.tables import TABLES, TABLES_BY_NAME, Table
from kaname.clock import utcnow
from kaname.store.upsert import UpsertCounts, upsert


class WarehouseError(Exception):
    """The warehouse cannot be opened or written; the message says what to do."""


def duckdb_path(url: str, root: Path | None = None) -> str | None:
    """The file of a duckdb URL (SQLAlchemy style: duckdb:///relative, duckdb:////absolute);
    ':memory:' for duckdb:// ; None for other backends."""
    if not url.startswith("duckdb://"):
        return None
    rest = url[len("duckdb://") :]
    if rest in ("", "/", "/:memory:", ":memory:"):
        return ":memory:"
    path = rest[1:] if rest.startswith("/") else rest
    if path.startswith("/"):
        return path
    return str((root / path).resolve()) if root else path


SPARK_SCHEME = "pyspark://"


def spark_settings(url: str, root: Path | None = None) -> dict[str, str]:
    """Spark settings of a pyspark URL: `pyspark://` uses the process's Spark session as it is
    (a cluster configured by spark-defaults, or a session the host application started);
    `pyspark:///spark-warehouse` (relative to the workspace) or `pyspark:////abs/dir` is local
    mode with the tables in that folder and their catalog in a Hive metastore beside them, so
    they persist between commands. Query parameters are Spark settings
    (`?master=local[4]&spark.driver.memory=8g`)."""
    parsed = urlparse(url)
    settings = dict(parse_qsl(parsed.query))
    path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
    if not path:
        return settings
    folder = Path(path) if path.startswith("/") or root is None else root / path
    folder = folder.resolve()
    settings.setdefault("master", "local[*]")
    settings.setdefault("spark.sql.warehouse.dir", str(folder))
    settings.setdefault("spark.sql.catalogImplementation", "hive")
    settings.setdefault(
        "javax.jdo.option.ConnectionURL",
        f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
    )
    settings.setdefault("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder}")
    settings.setdefault("spark.ui.enabled", "false")
    return settings


def _spark_connect(url: str, root: Path | None) -> Any:
    from pyspark.sql import SparkSession

    settings = spark_settings(url, root)
    builder = SparkSession.builder.appName("kaname")
    if "master" in settings:
        builder = builder.master(settings.pop("master"))
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "UTC")  # stored times are UTC
    return ibis.pyspark.connect(session)


def _duckdb_config(settings: dict[str, str] | None, root: Path | None) -> dict[str, str]:
    config = dict(settings or {})
    folder = config.get("temp_directory")
    if folder and root is not None and not Path(folder).is_absolute():
        config["temp_directory"] = str((root / folder).resolve())
    return config


class Warehouse:
    """One connection to the warehouse, with the canonical tables created on demand."""

    def __init__(self, con: Any, url: str = "") -> None:
        self.con = con
        self.url = url
        self.memo: dict[str, Any] = {}
        """What is read often and changes only when this warehouse is written (the user
        dimensions, store/dimensions.py); `forget()` after a write."""

    def forget(self) -> None:
        """Drop what `memo` holds (after a write that may change it)."""
        self.memo.clear()

    @classmethod
    def connect(
        cls, url: str, root: Path | None = None, duckdb_settings: dict[str, str] | None = None
    ) -> Warehouse:
        """Open the warehouse at `url`. `duckdb_settings` (memory_limit, temp_directory; a
        relative temp_directory is inside `root`) apply to a DuckDB warehouse only."""
        path = duckdb_path(url, root)
        resolved = f"duckdb:///{path}" if path else url
        try:
            if path:
                con = ibis.duckdb.connect(database=path, **_duckdb_config(duckdb_settings, root))
            elif url.startswith(SPARK_SCHEME):
                con = _spark_connect(url, root)
            else:
                con = ibis.connect(url)
        except Exception as exc:  # driver errors differ per backend
            text = str(exc)
            if "lock" in text.lower():
                raise WarehouseError(
                    f"The warehouse {resolved} is in use by another process (probably "
                    "`kaname serve`). Stop it, or run the command through the server's API."
                ) from exc
            raise WarehouseError(f"Cannot open the warehouse {resolved}: {text}") from exc
        return cls(con, resolved)

    @property
    def backend(self) -> str:
        return str(self.con.name)

    def ensure_schema(self) -> list[str]:
        """Create any missing canonical table; return the names created."""
        existing = set(self.con.list_tables())
        created = []
        for table in TABLES:
            if table.name not in existing:
                self.con.create_table(table.name, schema=ibis.schema(table.schema()))
                created.append(table.name)
        return created

    def table(self, name: str) -> ibis.Table:
        if name not in TABLES_BY_NAME and name not in self.con.list_tables():
            raise WarehouseError(f"unknown table {name!r}")
        return self.con.table(name)

    def tables(self) -> dict[str, ibis.Table]:
        return {t.name: self.con.table(t.name) for t in TABLES}

    def append(self, name: str, frame: pd.DataFrame | pa.Table) -> int:
        """Append rows (columns in any order; missing columns become null)."""
        arrow = conform(TABLES_BY_NAME[name], frame)
        return self.insert_arrow(name, arrow)

    def insert_arrow(self, name: str, arrow: pa.Table) -> int:
        """Append an Arrow table whose columns are the table's, in its order."""
        if self.backend == "duckdb":
            # Ibis's insert keeps every inserted Arrow table registered until the process ends
            # (gigabytes at scale 10); register, copy and unregister on the raw connection.
            raw = self.con.con
            view = f"_kaname_append_{name}"
            raw.register(view, arrow)
            try:
                raw.execute(f'INSERT INTO "{name}" SELECT * FROM "{view}"')
            finally:
                raw.unregister(view)
        elif self.backend == "pyspark":
            # Ibis's PySpark insert goes through pandas, which stores a null string as 'NaN';
            # Spark reads the Arrow table as it is (nulls stay null).
            session = self.con._session
            session.createDataFrame(arrow).write.insertInto(name)
        elif self.backend == "postgres":
            _copy_into_postgres(self.con.con, name, arrow)
        else:
            self.con.insert(name, arrow)
        return int(arrow.num_rows)

    def upsert(self, name: str, arrow: pa.Table, dry_run: bool = False) -> UpsertCounts:
        """Merge rows on the table's key: insert new keys, update changed rows, leave identical
        rows untouched (store/upsert.py)."""
        return upsert(self, name, arrow, dry_run)

    def truncate_all(self) -> None:
        for table in TABLES:
            self.con.truncate_table(table.name)
        self.forget()

    def row_counts(self) -> dict[str, int]:
        return {t.name: int(self.con.table(t.name).count().execute()) for t in TABLES}

    def close(self) -> None:
        if self.backend == "pyspark":
            # A Spark session belongs to the process (every connection shares it); stopping it
            # here would stop it for the server's other requests. It ends with the process.
            return
        disconnect = getattr(self.con, "disconnect", None)
        if disconnect is not None:
            disconnect()


def _copy_into_postgres(raw: Any, name: str, arrow: pa.Table) -> None:
    """Rows into a PostgreSQL table through COPY (Ibis's insert sends them one statement at a
    time: minutes for a few hundred thousand rows). CSV keeps null (unquoted empty) apart from
    the empty string (quoted)."""
    import io

    import pyarrow.csv as pacsv

    columns = ", ".join('"' + c.replace('"', '""') + '"' for c in arrow.column_names)
    table = '"' + name.replace('"', '""') + '"'
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    statement = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"
    # transaction(): a savepoint inside a caller's transaction, else committed at the end.
    with raw.transaction(), raw.cursor() as cursor, cursor.copy(statement) as copy:
        for batch in arrow.to_batches(max_chunksize=50_000):
            buffer = io.BytesIO()
            pacsv.write_csv(pa.Table.from_batches([batch]), buffer, options)
            copy.write(buffer.getvalue())


_ARROW_TYPES = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def conform(spec: Table, frame: pd.DataFrame | pa.Table) -> pa.Table:
    """Order, fill and cast columns to the canonical schema; unknown columns are an error."""
    arrow = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    unknown = set(arrow.column_names) - set(spec.column_names)
    if unknown:
        raise WarehouseError(
            f"{spec.name}: columns not in the canonical model: {', '.join(sorted(unknown))}"
        )
    now = utcnow()
    arrays = []
    for col in spec.columns:
        typ = _ARROW_TYPES[col.type]
        if col.name in arrow.column_names:
            arrays.append(arrow.column(col.name).cast(typ))
        elif col.name == "_loaded_at":
            arrays.append(pa.repeat(pa.scalar(now, type=typ), arrow.num_rows))
        else:
            arrays.append(pa.nulls(arrow.num_rows, type=typ))
    return pa.Table.from_arrays(arrays, names=list(spec.column_names))
