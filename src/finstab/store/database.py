"""Embedded store of datasets and analysis runs with provenance (DuckDB by default,
PostgreSQL or any SQLAlchemy URL for a shared server). Every write is one transaction."""

from __future__ import annotations

import io
import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from finstab.core.errors import ConfigError, DataError
from finstab.core.provenance import Provenance, hash_frame

DEFAULT_STORE = "out/finstab.duckdb"  # where `finstab demo` (default --out out) records its runs
metadata = sa.MetaData()
datasets = sa.Table(
    "datasets", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("data_hash", sa.String(40), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
)
runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("version", sa.String(40), nullable=False),
    sa.Column("config_hash", sa.String(40), nullable=False),
    sa.Column("data_hash", sa.String(40), nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("synthetic", sa.Boolean, nullable=False),
    sa.Column("dataset_id", sa.String(32), nullable=True),
)
run_tables = sa.Table(
    "run_tables", metadata,
    sa.Column("run_id", sa.String(32), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("run_id", "name"),
)


#: Suffixes a new DuckDB store file may have (an existing file must start with DuckDB's header).
DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
#: Seconds a command waits for a DuckDB file that another process (e.g. ``finstab serve``) holds.
DEFAULT_TIMEOUT = 10.0
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
_KNOWN = "a store is a DuckDB file (runs.duckdb) or a SQLAlchemy URL (postgresql+psycopg://user@host/db)"


class StoreUnavailable(ConfigError):
    """The store cannot be reached now: a DuckDB file held by another process, a server down."""


def _hide(url: str | sa.URL) -> str:
    """A URL fit for messages: the password replaced by ***."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return str(url).split("@")[-1] if "@" in str(url) else str(url)


def _check_duckdb_file(path: Path, read_only: bool) -> Path:
    """Refuse anything but an existing DuckDB file or a new file with a DuckDB suffix."""
    where = str(path)
    if path.is_dir():
        raise ConfigError(f"is a folder; {_KNOWN}", where=where)
    if path.exists():
        try:
            with path.open("rb") as fh:
                head = fh.read(12)
        except OSError as exc:
            raise ConfigError(f"cannot read: {exc.strerror or exc}", where=where) from None
        if head[8:12] != _DUCKDB_MAGIC:
            raise ConfigError(f"not a DuckDB database ({'empty file' if not head else 'other content'}); "
                              f"{_KNOWN}", where=where)
        return path
    if read_only:
        raise ConfigError("no store here yet; record a run first (e.g. finstab demo) or pass --store", where=where)
    if path.suffix.lower() not in DUCKDB_SUFFIXES:
        raise ConfigError(f"a new store file must end in {' or '.join(DUCKDB_SUFFIXES)}, "
                          f"not {path.suffix or 'no suffix'!r}; {_KNOWN}", where=where)
    if path.parent.exists() and not path.parent.is_dir():
        raise ConfigError("the folder for the store is a file", where=str(path.parent))
    return path


def _resolve(location: str | Path | None, read_only: bool) -> tuple[sa.URL, Path | None]:
    """The SQLAlchemy URL of a store location and, for a DuckDB file, its path."""
    loc = str(location or os.environ.get("FINSTAB_STORE") or DEFAULT_STORE).strip()
    if "://" not in loc:
        path = _check_duckdb_file(Path(loc).expanduser(), read_only)
        return sa.make_url(f"duckdb:///{path.resolve()}"), path
    try:
        url = sa.make_url(loc)
    except (sa.exc.ArgumentError, ValueError):
        raise ConfigError(f"not a valid database URL; {_KNOWN}", where=_hide(loc)) from None
    if url.get_backend_name() == "duckdb" and url.database not in (None, "", ":memory:"):
        path = _check_duckdb_file(Path(url.database).expanduser(), read_only)
        return url.set(database=str(path.resolve())), path
    return url, None


def _reason(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's background link."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    first = text[0] if text else orig.__class__.__name__
    return first[:300]


def _is_lock_error(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", None) or exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _is_numpy_number(column: pd.Series) -> bool:
    return isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf"


def _to_json(df: pd.DataFrame) -> str:
    """A table as JSON ``{"columns", "data"}`` with every float kept exactly (Python's repr round-trips)."""
    def cell(v: Any) -> Any:
        if isinstance(v, (np.integer, np.floating, np.bool_)):
            return v.item()
        if isinstance(v, (pd.Timestamp, pd.Period, datetime)):
            return str(v)
        return None if v is pd.NA or v is pd.NaT else v

    series = [df.iloc[:, j] for j in range(df.shape[1])]  # by position: names may repeat
    columns = [s.to_numpy().tolist() if _is_numpy_number(s) else [cell(v) for v in s]
               for s in series]  # numpy's tolist gives Python scalars column by column
    rows = [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in range(len(df))]
    dates = [str(s.name) for s in series if pd.api.types.is_datetime64_any_dtype(s)]
    return json.dumps({"columns": [str(c) for c in df.columns], "data": rows, "dates": dates},
                      ensure_ascii=False, default=str)


def _from_json(text: str) -> pd.DataFrame:
    obj = json.loads(text)
    df = pd.DataFrame(obj["data"], columns=obj["columns"])
    for col in obj.get("dates", ()):
        df[col] = pd.to_datetime(df[col])
    return df


#: where each kind of result is defined, so a stored run comes back as its own class
RESULT_MODULES = {
    "monitor": "finstab.monitor.result", "fund_sizing": "finstab.fund.sizing",
    "financing_plan": "finstab.fund.financing",
    "contagion": "finstab.pipelines.contagion", "early_warning": "finstab.early_warning",
    "klr_signals": "finstab.early_warning", "bank_screen": "finstab.bank.screen",
    "bank_calibration": "finstab.bank.calibration", "waterfall": "finstab.bank.waterfall",
    "merton": "finstab.fund.merton", "monte_carlo": "finstab.fund.montecarlo",
    "clearing": "finstab.contagion.clearing", "debtrank": "finstab.contagion.debtrank",
    "cascade": "finstab.contagion.cascade", "connectedness": "finstab.contagion.spillover",
    "rolling_connectedness": "finstab.contagion.spillover", "spillover": "finstab.pipelines.spillover",
    "multilayer": "finstab.contagion.multilayer", "dynamic_network": "finstab.contagion.dynamic",
    "bank_memo": "finstab.bank.memo",
}
WARNINGS_TABLE = "_warnings"
PROVENANCE_TABLE = "_provenance"


@dataclass(frozen=True)
class StoredRun:
    """A run read back from the store: its metadata row and its tables."""

    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    @property
    def parameters(self) -> dict[str, Any]:
        return json.loads(self.meta["parameters"])

    @property
    def config(self) -> Any:
        return json.loads(self.meta["config"])

    @property
    def warnings(self) -> tuple[str, ...]:
        table = self.tables.get(WARNINGS_TABLE)
        return () if table is None else tuple(str(w) for w in table["warning"])

    @property
    def result_tables(self) -> dict[str, pd.DataFrame]:
        """The result's own tables (without what the store keeps beside them)."""
        return {k: v for k, v in self.tables.items() if not k.startswith("_")}

    @property
    def provenance(self) -> Provenance:
        table = self.tables.get(PROVENANCE_TABLE)
        if table is not None:
            fields = json.loads(table["provenance"].iloc[0])
            fields["data_notes"] = tuple(fields.get("data_notes", ()))
            return Provenance(**fields)
        m = self.meta  # runs stored before provenance was kept whole
        notes = ("synthetic (stored run)",) if m["synthetic"] else ()
        return Provenance(m["kind"], m["config_hash"], m["data_hash"], self.parameters, notes, m["version"],
                          m["created"])

    def result(self) -> Any:
        """The run as a :class:`~finstab.core.results.Result` (its own class where it can rebuild itself)."""
        from importlib import import_module

        from finstab.core.results import rebuild

        module = RESULT_MODULES.get(self.meta["kind"])
        if module is not None:
            try:
                import_module(module)
            except ImportError:  # a kind from a newer or older finstab: shown as stored
                pass
        return rebuild(self.meta["kind"], self.result_tables, self.config, provenance=self.provenance,
                       warnings=self.warnings, summary=self.meta["summary"])


class Store:
    """Datasets and runs in DuckDB (a file path) or any SQLAlchemy URL (``postgresql+psycopg://...``).

    The location is checked before anything else happens: a path must be an existing DuckDB
    file or a new ``.duckdb`` file (a CSV or any other file is refused), a URL must name an
    installed driver and a reachable database. A DuckDB file is opened only for the duration of
    each read or write, so several processes (``finstab serve``, the CLI) can share it; when
    another process holds it, a call waits up to ``timeout`` seconds with backoff, then gives
    a one-line :class:`ConfigError`.

    Parameters
    ----------
    location
        DuckDB file or SQLAlchemy URL; default ``$FINSTAB_STORE`` or ``out/finstab.duckdb``.
    read_only
        Open for reading only (DuckDB ``read_only``): nothing is created, and the store must exist.
    timeout
        Seconds to wait for a busy DuckDB file (default ``$FINSTAB_STORE_TIMEOUT`` or 10).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> Store(folder / "runs.duckdb").check().runs().empty
    True
    >>> Store(folder / "results.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    finstab.core.errors.ConfigError: ...results.csv: a new store file must end in .duckdb or .ddb or .db, not ...
    """

    def __init__(self, location: str | Path | None = None, *, read_only: bool = False,
                 timeout: float | None = None) -> None:
        url, self.path = _resolve(location, read_only)
        self.read_only = read_only
        self.timeout = float(timeout if timeout is not None else os.environ.get("FINSTAB_STORE_TIMEOUT",
                                                                                DEFAULT_TIMEOUT))
        self.url = _hide(url)  # for messages: never the password
        self.backend = url.get_backend_name()
        kwargs: dict[str, Any] = {}
        if self.backend == "duckdb":
            if self.path is not None:  # a file: open per call, so other processes can use it between calls
                kwargs["poolclass"] = sa.pool.NullPool
            if read_only:
                kwargs["connect_args"] = {"read_only": True}
        elif self.backend != "sqlite":
            kwargs["pool_pre_ping"] = True
        try:
            self.engine = sa.create_engine(url, **kwargs)
        except (sa.exc.SQLAlchemyError, ImportError) as exc:
            hint = " (pip install 'finstab[pg]')" if self.backend == "postgresql" else ""
            raise ConfigError(f"cannot open store: {_reason(exc)}{hint}", where=self.url) from None
        if not read_only and self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if read_only:
            self.check()
        else:
            with self._connect(write=True) as conn:
                if self.backend == "postgresql":  # concurrent first opens must not race on CREATE TABLE
                    conn.execute(sa.text("select pg_advisory_xact_lock(724145203)"))
                metadata.create_all(conn)

    def check(self) -> Store:
        """Open the store once (waiting for a busy file up to ``timeout``) and check its tables.

        Call it before long work so that a bad or busy store fails first, not after the work.
        Returns the store itself.
        """
        with self._connect() as conn:
            inspector = sa.inspect(conn)
            absent = [t.name for t in metadata.sorted_tables if not inspector.has_table(t.name)]
        if absent:
            raise ConfigError(f"not a finstab store (no table {absent[0]!r}); record a run first "
                              "(e.g. finstab demo)", where=self.url)
        return self

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sa.Connection]:
        """A connection (in a transaction when ``write``), retried while another process holds the file.

        Database errors inside become one-line :class:`ConfigError`; other errors pass unchanged.
        """
        if write and self.read_only:
            raise ConfigError("this store was opened read-only", where=self.url)
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            try:
                conn = self.engine.connect()
                break
            except sa.exc.DBAPIError as exc:
                if not _is_lock_error(exc):
                    raise StoreUnavailable(f"cannot open store: {_reason(exc)}", where=self.url) from None
                if time.monotonic() + delay > deadline:
                    raise StoreUnavailable(f"busy: another process (such as finstab serve) kept the store open "
                                      f"for {self.timeout:g} s; try again when it is idle", where=self.url) from None
                time.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 0.5)
            except ImportError as exc:  # a driver missing at connect time
                raise ConfigError(f"cannot open store: {exc}", where=self.url) from None
        try:
            with conn:
                if write:
                    with conn.begin():
                        yield conn
                else:
                    yield conn
        except sa.exc.OperationalError as exc:  # connection lost, server shut down
            raise StoreUnavailable(f"store error: {_reason(exc)}", where=self.url) from None
        except sa.exc.SQLAlchemyError as exc:
            raise ConfigError(f"store error: {_reason(exc)}", where=self.url) from None

    # datasets ---------------------------------------------------------------------------------
    def add_dataset(self, name: str, kind: str, frame: pd.DataFrame, source: str = "") -> str:
        did = uuid.uuid4().hex[:12]
        with self._connect(write=True) as conn:
            conn.execute(datasets.insert().values(
                id=did, name=name[:200], kind=kind, source=source or frame.attrs.get("source", ""),
                data_hash=hash_frame(frame), rows=len(frame), created=_now(),
                content=frame.to_csv(index=False)))
        return did

    def dataset(self, did: str) -> pd.DataFrame:
        with self._connect() as conn:
            row = conn.execute(sa.select(datasets).where(datasets.c.id == did)).mappings().first()
        if row is None:
            raise DataError(f"no dataset {did!r}", where="store")
        df = pd.read_csv(io.StringIO(row["content"]))
        df.attrs["source"] = f"dataset {did} ({row['name']})"
        return df

    def datasets(self) -> pd.DataFrame:
        with self._connect() as conn:
            rows = conn.execute(sa.select(datasets.c.id, datasets.c.name, datasets.c.kind, datasets.c.rows,
                                          datasets.c.data_hash, datasets.c.created)
                                .order_by(datasets.c.created.desc())).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=["id", "name", "kind", "rows", "data_hash", "created"])

    # runs -------------------------------------------------------------------------------------
    def save_run(self, kind: str, label: str, provenance: Provenance, tables: dict[str, pd.DataFrame],
                 summary: str, config: Any = None, dataset_id: str | None = None) -> str:
        """Save a run and all its tables in one transaction: all or nothing."""
        rid = uuid.uuid4().hex[:12]
        payloads = [(name, k, _to_json(df)) for k, (name, df) in enumerate(tables.items())]
        with self._connect(write=True) as conn:
            conn.execute(runs.insert().values(
                id=rid, kind=kind, label=label[:200], created=provenance.created, version=provenance.version,
                config_hash=provenance.config_hash, data_hash=provenance.data_hash,
                parameters=json.dumps(provenance.parameters, default=str, ensure_ascii=False),
                config=json.dumps(config, default=str, ensure_ascii=False), summary=summary,
                synthetic=provenance.synthetic, dataset_id=dataset_id))
            for name, k, content in payloads:
                conn.execute(run_tables.insert().values(run_id=rid, name=name, position=k, content=content))
        return rid

    def save(self, result: Any, label: str = "", dataset_id: str | None = None) -> str:
        """Store any :class:`~finstab.core.results.Result` with its tables, summary, config and warnings.

        Examples
        --------
        >>> import finstab as fs, tempfile, pathlib
        >>> res = fs.Monitor(fs.load_system("zibo")).evaluate(fs.sample_frame("zibo_sample.csv"))
        >>> store = fs.Store(pathlib.Path(tempfile.mkdtemp()) / "runs.duckdb")
        >>> rid = store.save(res, label="zibo sample")
        >>> store.run(rid).meta["kind"]
        'monitor'
        """
        tables = dict(result.tables())
        tables[PROVENANCE_TABLE] = pd.DataFrame(
            {"provenance": [json.dumps(result.provenance.to_dict(), default=str, ensure_ascii=False)]})
        if result.warnings:
            tables[WARNINGS_TABLE] = pd.DataFrame({"warning": list(result.warnings)})
        return self.save_run(result.kind, label or result.kind, result.provenance, tables, result.summary(),
                             result.config(), dataset_id)

    def load(self, rid: str) -> Any:
        """A stored run as a Result (id or unique prefix)."""
        return self.run(rid).result()

    def runs(self, kind: str | None = None) -> pd.DataFrame:
        query = sa.select(runs.c.id, runs.c.kind, runs.c.label, runs.c.created, runs.c.version,
                          runs.c.config_hash, runs.c.data_hash, runs.c.synthetic).order_by(runs.c.created.desc())
        if kind:
            query = query.where(runs.c.kind == kind)
        with self._connect() as conn:
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=["id", "kind", "label", "created", "version",
                                                               "config_hash", "data_hash", "synthetic"])

    def run(self, rid: str) -> StoredRun:
        with self._connect() as conn:
            meta = conn.execute(sa.select(runs).where(runs.c.id == rid)).mappings().first()
            if meta is None:
                matches = conn.execute(sa.select(runs.c.id).where(runs.c.id.like(f"{rid}%"))).scalars().all()
                if len(matches) != 1:
                    raise DataError(f"no run {rid!r}" if not matches else f"run prefix {rid!r} is ambiguous",
                                    where="store")
                return self.run(matches[0])
            rows = conn.execute(sa.select(run_tables).where(run_tables.c.run_id == meta["id"])
                                .order_by(run_tables.c.position)).mappings().all()
        tables = {r["name"]: _from_json(r["content"]) for r in rows}
        return StoredRun(dict(meta), tables)

    def diff(self, a: str, b: str, tolerance: float = 1e-12) -> pd.DataFrame:
        """What differs between two comparable runs: changed values and grades, added and removed rows.

        Raises :class:`~finstab.core.errors.DataError` when the runs are of different kinds or
        systems (their numbers would not mean the same thing).
        """
        from finstab.store.diff import COLUMNS, check_comparable, diff_tables

        ra, rb = self.run(a), self.run(b)
        check_comparable(ra.meta["kind"], rb.meta["kind"], ra.parameters, rb.parameters)
        parts = [diff_tables(name, ra.result_tables[name], rb.result_tables[name], tolerance)
                 for name in ra.result_tables if name in rb.result_tables]
        parts = [p for p in parts if len(p)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
