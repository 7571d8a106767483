"""Monte Carlo fund sizing: 124 series, rank-11 correlation (12 annual changes), 36 groups.

Goal (issue 17): at most 3x the time of drawing the same count of standard normals
(scenarios x 124, numpy's default generator), measured in the same run. Also checks that a
different chunking gives bitwise the same funds.
"""

from __future__ import annotations

import numpy as np
from common import best_of, report

from finstab.fund.montecarlo import monte_carlo_fund

N_PARTS, N_SECTORS, N_PROVINCES, SIMS, CHUNK = 124, 4, 31, 400_000, 50_000


def problem(seed: int = 1):
    rng = np.random.default_rng(seed)
    corr = np.corrcoef(rng.normal(size=(12, N_PARTS)), rowvar=False)  # rank 11
    sector, province = np.arange(N_PARTS) % N_SECTORS, np.arange(N_PARTS) // N_SECTORS
    groups = np.vstack([np.ones(N_PARTS)] + [sector == k for k in range(N_SECTORS)]
                       + [province == k for k in range(N_PROVINCES)]).astype(float)
    return rng.uniform(1e3, 1e5, N_PARTS), rng.uniform(0.02, 0.1, N_PARTS), rng.uniform(0.01, 0.2, N_PARTS), \
        corr, groups


def main() -> None:
    s0, mu, sigma, corr, groups = problem()
    rank = int(np.linalg.matrix_rank(corr))

    def run(chunk: int = CHUNK, engine: str = "auto"):
        return monte_carlo_fund(s0, mu, sigma, corr, groups=groups, n_sims=SIMS, chunk=chunk, seed=2, engine=engine)

    res = run()
    same = bool(np.array_equal(res.var_fund, run(SIMS).var_fund) and np.array_equal(res.es_fund, run(7).es_fund))
    mc = best_of(run, 3)
    numpy_engine = best_of(lambda: run(engine="numpy"), 3)
    normals = best_of(lambda: np.random.default_rng(3).standard_normal((SIMS, N_PARTS)), 3)
    rank_normals = best_of(lambda: np.random.default_rng(3).standard_normal((SIMS, rank)), 3)
    print(f"monte_carlo_fund: {N_PARTS} parts (correlation rank {rank}), {len(groups)} groups, {SIMS:,} scenarios "
          f"in {mc:.3f} s; {SIMS * N_PARTS:,} normals {normals:.3f} s, {SIMS * rank:,} normals {rank_normals:.3f} s; "
          f"same funds for chunks {CHUNK:,}, {SIMS:,} and 7: {same}; engine {res.provenance.parameters['engine']}, "
          f"numpy engine {numpy_engine:.3f} s ({numpy_engine / normals:.2f}x)")
    report("monte_carlo", "time / drawing scenarios x 124 standard normals", mc / normals, 3,
           higher_is_better=False, baseline="numpy default_rng standard_normal((scenarios, 124))",
           seconds=mc, normals_seconds=normals, rank_normals_seconds=rank_normals, chunking_invariant=same,
           engine=res.provenance.parameters["engine"], numpy_engine_ratio=numpy_engine / normals)


if __name__ == "__main__":
    main()
