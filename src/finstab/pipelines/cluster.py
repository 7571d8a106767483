"""Scale-out on dask.distributed: one place that opens a client, and chunked work on its workers.

``scheduler`` is ``"local"`` (a LocalCluster of worker processes on this machine) or the address
of a running scheduler (``tcp://host:8786``, as printed by ``dask scheduler``). The work sent to the
workers is the same code on the same numbers, so results are bit for bit those of the local path
when the workers run the same environment (same numpy and BLAS on the same kind of CPU).

For real clusters start the scheduler and workers with dask-jobqueue (SLURM, PBS, ...) or on
Kubernetes (dask-kubernetes, the dask helm chart) and pass the scheduler's address.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from typing import Any, TypeVar

import numpy as np

from finstab.core.errors import ConfigError, InputError
from finstab.core.validate import as_float_array, check_positive
from finstab.core.warnings import FinstabWarning

T_ = TypeVar("T_")

#: seconds to wait for a scheduler to answer before giving up
CONNECT_TIMEOUT = 5.0
#: entities per task in :func:`solve_cca_distributed`
CCA_CHUNK = 100_000


def _scale_extra() -> ConfigError:
    return ConfigError("dask.distributed is not installed; pip install 'finstab[scale]' or run without a scheduler",
                       where="scheduler")


@contextmanager
def open_client(scheduler: str, *, timeout: float = CONNECT_TIMEOUT, n_workers: int | None = None) -> Iterator[Any]:
    """A dask.distributed ``Client`` on ``"local"`` (a LocalCluster of processes) or a scheduler address.

    Parameters
    ----------
    scheduler
        ``"local"``, or an address such as ``tcp://10.0.0.5:8786`` (``host:port`` means tcp).
    timeout
        Seconds to wait for the scheduler to answer.
    n_workers
        Worker processes of the LocalCluster (default: one per core); ignored for an address.

    Raises
    ------
    ConfigError
        ``where="scheduler"``: dask is not installed, the address is malformed, or no scheduler
        answered within ``timeout`` seconds.

    Examples
    --------
    >>> with open_client("local", n_workers=1) as client:  # doctest: +SKIP
    ...     client.submit(sum, [1, 2]).result()
    3
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise _scale_extra() from None
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ConfigError(f"{scheduler!r}; expected 'local' or a scheduler address such as tcp://host:8786",
                          where="scheduler")
    if scheduler.strip().lower() == "local":
        with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None) \
                as cluster, Client(cluster) as client:
            yield client
        return
    address = scheduler.strip()
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError):
        raise ConfigError(f"no dask scheduler answered at {address} within {timeout:g} s; is it running?",
                          where="scheduler") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{address!r} is not a scheduler address ({_reason(exc)}); expected 'local' or "
                          "tcp://host:port", where="scheduler") from None
    with client:
        yield client


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def with_dask(scheduler: str, work: Callable[[Any], T_]) -> T_:
    """Run ``work(client)`` with a client on ``scheduler`` (see :func:`open_client`), then close it.

    Examples
    --------
    >>> with_dask("local", lambda client: client.submit(max, 1, 2).result())  # doctest: +SKIP
    2
    """
    with open_client(scheduler) as client:
        return work(client)


def _merton_chunk(arrays: dict[str, np.ndarray], labels: list[Any] | None, options: dict[str, Any]
                  ) -> tuple[Any, list[tuple[type[Warning], str]]]:
    """merton_solve on one chunk, with the finstab warnings it raised (they would die with the worker)."""
    from finstab.fund.merton import merton_solve

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FinstabWarning)
        extra = {k: v for k, v in (("drift", arrays.get("drift")), ("labels", labels)) if v is not None}
        res = merton_solve(arrays["equity"], arrays["equity_vol"], arrays["default_point"], arrays["r"],
                           arrays["T"], **extra, **options)
    return res, [(w.category, str(w.message)) for w in caught if issubclass(w.category, FinstabWarning)]


def _concat(parts: list[Any], n_total: int) -> dict[str, Any]:
    """Field values of one result from per-chunk results of the same dataclass: per-entity arrays
    and tuples concatenated field by field, other fields taken from the first chunk."""
    values: dict[str, Any] = {}
    for f in fields(parts[0]):
        got = [getattr(p, f.name) for p in parts]
        if isinstance(got[0], np.ndarray) and got[0].ndim >= 1:
            values[f.name] = np.concatenate(got)
        elif f.name != "warnings" and isinstance(got[0], tuple) and sum(len(g) for g in got) == n_total:
            values[f.name] = tuple(x for g in got for x in g)
        else:
            values[f.name] = got[0]
    return values


def _whole_provenance(prov: Any, first: dict[str, Any], size: int, raw: dict[str, np.ndarray],
                      flat: dict[str, np.ndarray]) -> Any:
    """The provenance ``merton_solve`` gives all entities at once, from the first chunk's: each input
    re-hashed over all entities, as the solver hashed it in that chunk (the input as given, or
    broadcast to one value per entity)."""
    from dataclasses import replace

    from finstab.core.provenance import Provenance, hash_input, hash_object

    if not isinstance(prov, Provenance):
        return prov
    hashes = {}
    for name, got in prov.input_hashes.items():
        if name not in raw:
            break
        if got == hash_input(np.asarray(first[name], dtype=float)):
            hashes[name] = hash_input(raw[name])
        elif got == hash_input(np.broadcast_to(np.asarray(first[name], dtype=float), (size,)).copy()):
            hashes[name] = hash_input(flat[name])
        else:
            break
    else:
        return replace(prov, data_hash=hash_object(hashes), input_hashes=hashes)
    return Provenance.from_inputs(prov.method, inputs=flat, params=prov.parameters)  # a record, if not the same


def _balanced(n: int, chunk: int) -> list[tuple[int, int]]:
    """[start, stop) of ceil(n / chunk) chunks of nearly equal size (none much smaller than the others)."""
    k = max(1, -(-n // chunk))
    edges = [n * i // k for i in range(k + 1)]
    return list(itertools.pairwise(edges))


def solve_cca_distributed(equity: Any, equity_vol: Any, default_point: Any, r: Any, T: Any = 1.0, *,
                          drift: Any = None, labels: Sequence[Any] | None = None, scheduler: str | None = None,
                          client: Any = None, chunk: int = CCA_CHUNK, **options: Any) -> Any:
    """Merton CCA of many entities in chunks on dask workers, concatenated in the input order.

    Each chunk runs :func:`finstab.fund.merton.merton_solve` unchanged, and it solves every entity
    on its own, so the result equals ``merton_solve`` on all entities at once, bit for bit (same
    environment on the workers; chunks are of nearly equal size, so a solver that picks its engine
    by the number of entities picks the same one for every chunk of the default size: pass
    ``engine=...`` to be sure). Finstab warnings raised on the workers (entities that did not
    converge) are raised again here, one per chunk, naming the chunk's range of entities.

    Parameters
    ----------
    equity, equity_vol, default_point, r, T, drift, labels
        As for ``merton_solve``: arrays broadcast against each other.
    scheduler
        ``"local"`` or a scheduler address (see :func:`open_client`); ignored when ``client`` is given.
        Neither: solved here, chunk by chunk.
    client
        An open dask.distributed ``Client`` (anything with ``map`` and ``gather``).
    chunk
        Entities per task, at most.
    **options
        Further keyword arguments of ``merton_solve`` (e.g. ``engine``), passed to every chunk.

    Returns
    -------
    What ``merton_solve`` returns (a ``MertonResult``), with every per-entity field over all entities.

    Examples
    --------
    >>> res = solve_cca_distributed([40.0, 60.0, 5.0], [0.5, 0.3, 0.9], [80.0, 50.0, 20.0], 0.03, chunk=2)
    >>> res.asset_value.shape
    (3,)
    """
    if not isinstance(chunk, int | np.integer) or isinstance(chunk, bool) or chunk < 1:
        raise InputError(f"{chunk!r}; expected a number of entities >= 1", where="chunk")
    named = [(equity, "equity"), (equity_vol, "equity_vol"), (default_point, "default_point"), (r, "r"), (T, "T")]
    if drift is not None:
        named.append((drift, "drift"))
    raw = {n: as_float_array(v, n) for v, n in named}
    try:
        arrays = np.broadcast_arrays(*raw.values())
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in raw.items())
        raise InputError(f"inputs do not broadcast together: {shapes}", where="equity") from None
    inputs = {n: np.ascontiguousarray(a, dtype=float).ravel() for a, n in zip(arrays, raw, strict=True)}
    n = inputs["equity"].size
    if labels is not None and len(labels) != n:
        raise InputError(f"{len(labels)} labels for {n} entities", where="labels")
    for name in ("equity", "equity_vol", "default_point", "T"):
        check_positive(inputs[name], name, labels=labels)  # positions of all entities, not of a chunk
    spans = _balanced(n, int(chunk))
    # one value for all entities (a rate, a horizon) goes to every chunk as given
    # unlabelled entities are named by their position among all, in the solver's words ("index 12")
    names = [f"index {k}" for k in range(n)] if labels is None and len(spans) > 1 else labels
    tasks = [({k: raw[k] if raw[k].ndim == 0 else v[a:b] for k, v in inputs.items()},
              None if names is None else list(names[a:b]), options) for a, b in spans]
    if client is not None:
        out = client.gather(client.map(_merton_chunk, *zip(*tasks, strict=True), pure=False))
    elif scheduler is not None:
        out = with_dask(scheduler, lambda c: c.gather(c.map(_merton_chunk, *zip(*tasks, strict=True), pure=False)))
    else:
        out = [_merton_chunk(*task) for task in tasks]
    results = [res for res, _ in out]
    if len(results) == 1:
        res, caught = out[0]
        for category, message in caught:
            warnings.warn(message, category, stacklevel=2)
        return res
    messages = []
    for (a, b), (_, caught) in zip(spans, out, strict=True):
        for category, message in caught:
            text = f"entities {a:,} to {b - 1:,}: {message}"
            warnings.warn(text, category, stacklevel=2)
            messages.append(f"{category.__name__}: {text}")
    values = _concat(results, n)
    if labels is None and "labels" in values:
        values["labels"] = None
    if "warnings" in values:
        values["warnings"] = tuple(dict.fromkeys(messages))
    if "provenance" in values:
        values["provenance"] = _whole_provenance(values["provenance"], tasks[0][0], spans[0][1], raw, inputs)
    init = {f.name: values[f.name] for f in fields(results[0]) if f.init}
    return type(results[0])(**init)
