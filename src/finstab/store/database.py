"""Embedded store of datasets and analysis runs with provenance (DuckDB by default,
PostgreSQL or any SQLAlchemy URL for a shared server). Every write is one transaction."""

from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def _url(location: str | Path | None) -> str:
    loc = str(location or os.environ.get("FINSTAB_STORE") or DEFAULT_STORE)
    if "://" in loc:
        return loc
    Path(loc).parent.mkdir(parents=True, exist_ok=True)
    return f"duckdb:///{Path(loc).resolve()}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _to_json(df: pd.DataFrame) -> str:
    return df.astype({c: str for c in df.columns if isinstance(df[c].dtype, pd.PeriodDtype)}).to_json(
        orient="split", index=False, date_format="iso", force_ascii=False)


@dataclass(frozen=True)
class StoredRun:
    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    @property
    def parameters(self) -> dict[str, Any]:
        return json.loads(self.meta["parameters"])


class Store:
    """Datasets and runs in DuckDB (a file path) or any SQLAlchemy URL (``postgresql+psycopg://...``)."""

    def __init__(self, location: str | Path | None = None) -> None:
        self.url = _url(location)
        try:
            self.engine = sa.create_engine(self.url)
            metadata.create_all(self.engine)
        except (sa.exc.SQLAlchemyError, ImportError) as exc:
            raise ConfigError(f"cannot open store: {exc.__class__.__name__}: {exc}", where=self.url) from None

    # datasets ---------------------------------------------------------------------------------
    def add_dataset(self, name: str, kind: str, frame: pd.DataFrame, source: str = "") -> str:
        did = uuid.uuid4().hex[:12]
        with self.engine.begin() as conn:
            conn.execute(datasets.insert().values(
                id=did, name=name[:200], kind=kind, source=source or frame.attrs.get("source", ""),
                data_hash=hash_frame(frame), rows=len(frame), created=_now(),
                content=frame.to_csv(index=False)))
        return did

    def dataset(self, did: str) -> pd.DataFrame:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(datasets).where(datasets.c.id == did)).mappings().first()
        if row is None:
            raise DataError(f"no dataset {did!r}", where="store")
        df = pd.read_csv(io.StringIO(row["content"]))
        df.attrs["source"] = f"dataset {did} ({row['name']})"
        return df

    def datasets(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
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
        with self.engine.begin() as conn:
            conn.execute(runs.insert().values(
                id=rid, kind=kind, label=label[:200], created=provenance.created, version=provenance.version,
                config_hash=provenance.config_hash, data_hash=provenance.data_hash,
                parameters=json.dumps(provenance.parameters, default=str, ensure_ascii=False),
                config=json.dumps(config, default=str, ensure_ascii=False), summary=summary,
                synthetic=provenance.synthetic, dataset_id=dataset_id))
            for name, k, content in payloads:
                conn.execute(run_tables.insert().values(run_id=rid, name=name, position=k, content=content))
        return rid

    def runs(self, kind: str | None = None) -> pd.DataFrame:
        query = sa.select(runs.c.id, runs.c.kind, runs.c.label, runs.c.created, runs.c.version,
                          runs.c.config_hash, runs.c.data_hash, runs.c.synthetic).order_by(runs.c.created.desc())
        if kind:
            query = query.where(runs.c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=["id", "kind", "label", "created", "version",
                                                               "config_hash", "data_hash", "synthetic"])

    def run(self, rid: str) -> StoredRun:
        with self.engine.connect() as conn:
            meta = conn.execute(sa.select(runs).where(runs.c.id == rid)).mappings().first()
            if meta is None:
                matches = conn.execute(sa.select(runs.c.id).where(runs.c.id.like(f"{rid}%"))).scalars().all()
                if len(matches) != 1:
                    raise DataError(f"no run {rid!r}" if not matches else f"run prefix {rid!r} is ambiguous",
                                    where="store")
                return self.run(matches[0])
            rows = conn.execute(sa.select(run_tables).where(run_tables.c.run_id == meta["id"])
                                .order_by(run_tables.c.position)).mappings().all()
        tables = {r["name"]: pd.read_json(io.StringIO(r["content"]), orient="split", dtype=False)
                  for r in rows}
        return StoredRun(dict(meta), tables)

    def diff(self, a: str, b: str, tolerance: float = 1e-12) -> pd.DataFrame:
        """Cell-level differences of the numeric columns of two runs' common tables."""
        ra, rb = self.run(a), self.run(b)
        out = []
        for name in ra.tables.keys() & rb.tables.keys():
            ta, tb = ra.tables[name], rb.tables[name]
            # float columns are values; everything else (labels, periods, flags) identifies a row
            common = [c for c in ta.columns if c in tb.columns]
            nums = [c for c in common if pd.api.types.is_float_dtype(ta[c]) and pd.api.types.is_float_dtype(tb[c])]
            keys = [c for c in common if c not in nums]
            if not nums:
                continue
            merged = ta[keys + nums].merge(tb[keys + nums], on=keys, how="outer", suffixes=("_a", "_b")) \
                if keys else ta[nums].join(tb[nums], lsuffix="_a", rsuffix="_b")
            for col in nums:
                delta = merged[f"{col}_b"] - merged[f"{col}_a"]
                changed = (delta.abs() > tolerance) | (merged[f"{col}_a"].isna() != merged[f"{col}_b"].isna())
                for _, row in merged[changed].iterrows():
                    out.append({"table": name, "key": " | ".join(str(row[k]) for k in keys), "column": col,
                                "a": row[f"{col}_a"], "b": row[f"{col}_b"],
                                "delta": row[f"{col}_b"] - row[f"{col}_a"]})
        return pd.DataFrame(out, columns=["table", "key", "column", "a", "b", "delta"])
