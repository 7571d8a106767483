"""SYNTHETIC core-periphery interbank network (200 banks in 31 provinces) and the
province-to-province exposure matrix aggregated from it. Nothing here is a real exposure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from finstab.configs import provinces

SEED = 6_2024
N_CORE, N_PERIPHERY = 15, 185
SYNTHETIC = f"synthetic: finstab.samples.network seed={SEED}"


def make_network(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(banks, edges): banks with region, type, equity, external assets and liabilities;
    edges (lender, borrower, amount in 100 million yuan)."""
    rng = np.random.default_rng(seed)
    codes = provinces()["code"].to_numpy()
    n = N_CORE + N_PERIPHERY
    ids = [f"B{k:03d}" for k in range(n)]
    core = np.arange(N_CORE)
    edges = []
    for i in core:  # dense core
        for j in core:
            if i != j and rng.random() < 0.7:
                edges.append((i, j, rng.lognormal(5.0, 0.6)))
    for i in range(N_CORE, n):  # each periphery bank lends to and borrows from 1-3 core banks
        for j in rng.choice(core, size=rng.integers(1, 4), replace=False):
            edges.append((i, j, rng.lognormal(3.0, 0.7)))
            if rng.random() < 0.6:
                edges.append((j, i, rng.lognormal(2.8, 0.7)))
    e = pd.DataFrame(edges, columns=["lender", "borrower", "amount"]).groupby(["lender", "borrower"],
                                                                              as_index=False).sum()
    lent = np.bincount(e["lender"], weights=e["amount"], minlength=n)
    borrowed = np.bincount(e["borrower"], weights=e["amount"], minlength=n)
    size = np.where(np.arange(n) < N_CORE, rng.lognormal(8.5, 0.4, n), rng.lognormal(6.0, 0.6, n))
    equity = 0.08 * (size + lent)
    external_assets = size
    external_liabilities = np.maximum(size + lent - borrowed - equity, 0.0)
    banks = pd.DataFrame({
        "bank": ids, "region": np.where(np.arange(n) < N_CORE, rng.choice(["BJ", "SH", "GD", "JS", "ZJ"], n),
                                        rng.choice(codes, n)),
        "type": np.where(np.arange(n) < N_CORE, "core 核心", "periphery 外围"),
        "equity": equity.round(3), "external_assets": external_assets.round(3),
        "external_liabilities": external_liabilities.round(3), "source": SYNTHETIC})
    e["lender"] = [ids[i] for i in e["lender"]]
    e["borrower"] = [ids[j] for j in e["borrower"]]
    e["amount"] = e["amount"].round(3)
    e["source"] = SYNTHETIC
    return banks, e


if __name__ == "__main__":  # regenerate the shipped files
    from finstab.contagion import aggregate_network
    from finstab.contagion.network import exposure_matrix
    from finstab.core.io import write_text
    from finstab.samples import sample_path

    header = "".join(f"# {line}\n" for line in (__doc__ or "").strip().splitlines())
    banks, edges = make_network()
    write_text(sample_path("network/banks.csv"), header + banks.to_csv(index=False))
    write_text(sample_path("network/edges.csv"), header + edges.to_csv(index=False))
    X = exposure_matrix(banks, edges)
    prov = aggregate_network(X, banks["region"])
    write_text(sample_path("network/province_exposures.csv"), header + prov.round(3).to_csv(index_label="lender"))
