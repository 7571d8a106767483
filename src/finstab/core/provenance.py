"""Provenance: what produced a number (config, parameters, data hash, version, time)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

import finstab


def _stable_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)


def hash_object(obj: Any) -> str:
    """SHA-256 (first 16 hex digits) of a JSON-serialisable object."""
    return hashlib.sha256(_stable_json(obj).encode()).hexdigest()[:16]


def hash_frame(df: pd.DataFrame) -> str:
    """Order-sensitive SHA-256 (first 16 hex digits) of a DataFrame's values and labels."""
    h = hashlib.sha256()
    h.update(_stable_json([str(c) for c in df.columns]).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    return h.hexdigest()[:16]


def hash_arrays(*arrays: np.ndarray) -> str:
    """SHA-256 (first 16 hex digits) of arrays' values (column-major), shapes and dtypes."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        if a.dtype == object:
            h.update(_stable_json(a.tolist()).encode())
        else:  # column-major is canonical: panels are built column by column, so no copy
            h.update(memoryview(np.asfortranarray(a).T).cast("B"))
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Provenance:
    """Where a result came from."""

    method: str
    config_hash: str
    data_hash: str
    parameters: dict[str, Any] = field(default_factory=dict)
    data_notes: tuple[str, ...] = ()
    version: str = field(default_factory=lambda: finstab.__version__)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def synthetic(self) -> bool:
        """True when any input is marked synthetic."""
        return any("synthetic" in n.lower() for n in self.data_notes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line for footers of tables and reports."""
        tag = " | SYNTHETIC DATA 合成数据" if self.synthetic else ""
        return (f"finstab {self.version} | {self.method} | config {self.config_hash} | "
                f"data {self.data_hash} | {self.created}{tag}")
