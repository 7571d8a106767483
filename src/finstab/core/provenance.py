"""Provenance: what produced a number (config, parameters, data hash, version, time)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
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


#: bytes copied at a time when an array is not column-major already (the rest is hashed in place)
HASH_CHUNK_BYTES = 1 << 23


def _raw(c_contiguous: np.ndarray) -> np.ndarray:
    """The bytes of a C-contiguous array as a flat uint8 view (any dtype, no copy)."""
    return c_contiguous.reshape(-1).view(np.uint8)


def _column_major_bytes(a: np.ndarray) -> Iterator[np.ndarray]:
    """``a``'s bytes in column-major order, in pieces of at most about ``HASH_CHUNK_BYTES``.

    A column-major (or 1-D contiguous) array is passed as it is; any other layout is copied a
    few columns (slices along the last axis) at a time, never whole. An empty array has no bytes.
    """
    if a.size == 0:
        return
    if a.flags.f_contiguous:
        yield _raw(a.T)
    elif a.ndim == 1:
        step = max(1, HASH_CHUNK_BYTES // a.itemsize)
        for start in range(0, a.shape[0], step):
            yield _raw(np.ascontiguousarray(a[start:start + step]))
    elif a[..., 0].nbytes > HASH_CHUNK_BYTES:
        for k in range(a.shape[-1]):
            yield from _column_major_bytes(a[..., k])
    else:
        step = max(1, HASH_CHUNK_BYTES // max(a[..., 0].nbytes, 1))
        for start in range(0, a.shape[-1], step):
            yield _raw(np.asfortranarray(a[..., start:start + step]).T)


def hash_arrays(*arrays: np.ndarray) -> str:
    """SHA-256 (first 16 hex digits) of arrays' values (column-major), shapes and dtypes.

    The value bytes are read in column-major order whatever the layout, so equal arrays hash
    equal; a row-major array is read a few columns at a time instead of being copied whole.

    Examples
    --------
    >>> a = np.arange(12.0).reshape(3, 4)
    >>> hash_arrays(a) == hash_arrays(np.asfortranarray(a)) == hash_arrays(a.copy(order="F"))
    True
    >>> hash_arrays(a) == hash_arrays(a.T)
    False
    """
    h = hashlib.sha256()
    for a in arrays:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        if a.dtype == object:
            h.update(_stable_json(a.tolist()).encode())
        else:
            for piece in _column_major_bytes(a):
                h.update(piece)
    return h.hexdigest()[:16]


def hash_input(value: Any) -> str:
    """Full-content hash of one input: frame, array, scalar, mapping or sequence."""
    if isinstance(value, pd.DataFrame):
        return hash_frame(value)
    if isinstance(value, pd.Series):
        return hash_frame(value.to_frame())
    if isinstance(value, np.ndarray):
        return hash_arrays(value)
    if hasattr(value, "toarray") and hasattr(value, "tocoo"):  # scipy.sparse
        coo = value.tocoo()
        return hash_arrays(np.asarray(coo.shape), coo.row, coo.col, coo.data)
    if hasattr(value, "model_dump"):
        return hash_object(value.model_dump(mode="json"))
    return hash_object(value)


def source_notes(value: Any) -> list[str]:
    """The ``source`` notes a frame carries (column values and ``attrs["source"]``)."""
    if not isinstance(value, pd.DataFrame):
        return []
    notes = [str(s) for s in value["source"].dropna().unique()] if "source" in value.columns else []
    if value.attrs.get("note"):
        notes.append(str(value.attrs["note"]))
    return notes


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

    input_hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def unrecorded(cls) -> Provenance:
        """Placeholder for results built directly from arrays, outside any pipeline."""
        return cls("unrecorded", "", "")

    @classmethod
    def from_inputs(cls, method: str, *, config: Any = None, inputs: Mapping[str, Any] | None = None,
                    params: Mapping[str, Any] | None = None, notes: Sequence[str] = ()) -> Provenance:
        """Provenance hashing every named input in full.

        Parameters
        ----------
        method
            What ran, e.g. ``"contagion"`` or ``"monitor/threshold"``.
        config
            The configuration (a pydantic model, a mapping or ``None``).
        inputs
            Name -> DataFrame, array, scalar or mapping. Each is hashed in full; a frame's
            ``source`` column and ``attrs["source"]`` become data notes.
        params
            Parameters of the call, stored as given.
        notes
            Further data notes (e.g. "synthetic: ...").

        Examples
        --------
        >>> import pandas as pd
        >>> banks = pd.DataFrame({"bank": ["A"], "equity": [10.0], "source": ["Synthetic: seed 1"]})
        >>> p = Provenance.from_inputs("contagion", inputs={"banks": banks}, params={"shock": 0.1})
        >>> p.synthetic, sorted(p.input_hashes)
        (True, ['banks'])
        """
        hashes = {name: hash_input(value) for name, value in (inputs or {}).items()}
        found: list[str] = list(notes)
        for value in (inputs or {}).values():
            found += source_notes(value)
        if hasattr(config, "model_dump"):
            config = config.model_dump(mode="json")
        return cls(method=method, config_hash=hash_object(config), data_hash=hash_object(hashes),
                   parameters=dict(params or {}), data_notes=tuple(dict.fromkeys(found)), input_hashes=hashes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self, lang: str | None = None) -> str:
        """One line for footers of tables and reports (the synthetic tag in ``lang``, or in both)."""
        tags = {"zh": "合成数据 SYNTHETIC", "en": "SYNTHETIC DATA", None: "SYNTHETIC DATA 合成数据"}
        tag = f" | {tags[lang]}" if self.synthetic else ""
        return (f"finstab {self.version} | {self.method} | config {self.config_hash} | "
                f"data {self.data_hash} | {self.created}{tag}")
