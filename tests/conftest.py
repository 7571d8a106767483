import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from finstab.samples import sample_path

# Shared 2-core machines: no deadlines, no speed-dependent health checks; CI runs are reproducible.
settings.register_profile("finstab", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("finstab"), derandomize=True, print_blob=True)
# Mutation runs (make mutation) set FINSTAB_HYPOTHESIS=mutation: fewer, fixed examples per property.
settings.register_profile("mutation", deadline=None, max_examples=10, derandomize=True)
settings.load_profile(os.environ.get("FINSTAB_HYPOTHESIS") or ("ci" if os.environ.get("CI") else "finstab"))


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """Commands record runs by default: every test gets its own store, never the user's out/."""
    monkeypatch.setenv("FINSTAB_STORE", str(tmp_path_factory.mktemp("store") / "runs.duckdb"))


@pytest.fixture
def zibo_sample() -> Path:
    return sample_path("zibo_sample.csv")


@pytest.fixture
def pg_url():
    """A PostgreSQL URL with a schema of its own (dropped afterwards); skips without $FINSTAB_TEST_PG.

    ``.ci/run`` starts a local server and exports ``FINSTAB_TEST_PG=postgresql+psycopg://...``.
    """
    import os
    import uuid

    base = os.environ.get("FINSTAB_TEST_PG")
    if not base:
        pytest.skip("no PostgreSQL: set FINSTAB_TEST_PG (bash .ci/run starts one)")
    pytest.importorskip("psycopg")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(sa.text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@pytest.fixture(params=["duckdb", "postgresql"])
def store_location(request, tmp_path):
    """Where a test store lives: a DuckDB file, then a PostgreSQL schema (when one is available)."""
    if request.param == "duckdb":
        return str(tmp_path / "store.duckdb")
    return request.getfixturevalue("pg_url")
