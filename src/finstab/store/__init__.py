"""Run store: every result with its provenance, in DuckDB or any SQLAlchemy database."""

from finstab.store.database import DEFAULT_STORE, Store, StoredRun, StoreUnavailable

__all__ = ["DEFAULT_STORE", "Store", "StoreUnavailable", "StoredRun"]
