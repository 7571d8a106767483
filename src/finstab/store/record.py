"""Record pipeline results in the store: which tables, summary and config each kind keeps."""

from __future__ import annotations

from typing import Any

from finstab.bank import ScreenResult
from finstab.core.results import Result
from finstab.store.database import Store


def _screen(result: ScreenResult) -> tuple:
    return ("bank", {"screen": result.frame, "dsibs": result.dsibs}, result.summary(),
            result.params.model_dump(), result.provenance)


def record(store: Store, result: Any, label: str, *, lang: str = "zh", year: int = 2020,
           dataset_id: str | None = None) -> str:
    """Save a result of any pipeline; returns the run id."""
    if isinstance(result, Result):
        return store.save(result.with_lang(lang), label, dataset_id)
    if isinstance(result, ScreenResult):
        kind, tables, summary, config, prov = _screen(result)
    else:
        raise TypeError(f"cannot record {type(result).__name__}")
    return store.save_run(kind, label, prov, tables, summary, config, dataset_id)
