"""Pipelines: read data and configs, call the models, return results (no printing)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from finstab.bank import CalibrationResult, ScreenResult, calibrate_threshold, load_in_params, read_bank_panel, screen
from finstab.bank.memo import Memo, build_memo, load_memo_inputs
from finstab.contagion import ClearingResult, aggregate_network, eisenberg_noe, furfine_cascade, rank_nodes
from finstab.errors import ConfigError, DataError, FinstabError
from finstab.fce import membership_from_votes
from finstab.financing import (
    LevyPlan,
    ReservePath,
    assign_layers,
    layer_sizes,
    load_rules,
    lognormal_system_losses,
    plan_levies,
    simulate_reserve,
)
from finstab.fundsizing import FundSizing, size_funds, system_monte_carlo
from finstab.io import read_table
from finstab.monitor import Monitor, MonitorResult
from finstab.network_data import exposure_matrix, read_network
from finstab.panel import Panel, build_panel
from finstab.provenance import Provenance, hash_frame, hash_object
from finstab.samples import sample_path
from finstab.sectors import compile_cca, load_conventions
from finstab.systems import load_system
from finstab.systems.schema import IndicatorSystem
from finstab.validate import require_columns
from finstab.warning import SignalResult, evaluate_signal, klr_signals, pre_crisis_labels


def run_monitor(system: str | Path | IndicatorSystem, data: str | Path | pd.DataFrame,
                method: str = "threshold", missing: str = "error", objective: str | None = None,
                alpha: float = 0.5) -> MonitorResult:
    """Load a system and a panel, then evaluate with the chosen evaluator and weights."""
    sys_obj = system if isinstance(system, IndicatorSystem) else load_system(system)
    frame = data if isinstance(data, pd.DataFrame) else read_table(data)
    return Monitor(sys_obj, method=method, missing=missing, objective=objective, alpha=alpha).evaluate(frame)


def read_votes(path: str | Path | pd.DataFrame, system: IndicatorSystem,
               n_experts: int | None = None) -> tuple[Panel, np.ndarray]:
    """Expert votes (indicator, one count column per grade key[, region, period]) -> memberships.

    Returns the (region, period) keys as a :class:`Panel` and memberships of shape
    (rows x indicators x grades) in the system's grade order.
    """
    df = path if isinstance(path, pd.DataFrame) else read_table(path)
    source = df.attrs.get("source", "votes")
    grade_keys = [g.key for g in system.grades or []]
    if not grade_keys:
        raise ConfigError("system has no grade list; votes need named grades", where=system.id)
    require_columns(df.columns, ["indicator", *grade_keys], source)
    extra = [c for c in df.columns if c not in {"indicator", "region", "period", "source", *grade_keys}]
    if extra:
        raise DataError(f"columns {extra} are not grades of system {system.id!r}; expected "
                        f"{grade_keys}", where=source)
    df = df.assign(region=df.get("region", "all"), period=df.get("period", "all"))
    ids = [i.id for i in system.tree.indicators]
    unknown = sorted(set(df["indicator"]) - set(ids))
    if unknown:
        raise DataError(f"indicators {unknown} are not in system {system.id!r}", where=source)
    blocks, keys = [], []
    for (region, period), part in df.groupby(["region", "period"], sort=True):
        missing = [i for i in ids if i not in set(part["indicator"])]
        if missing:
            raise DataError(f"no votes for {missing} at ({region!r}, {period!r})", where=source)
        if part["indicator"].duplicated().any():
            dup = part.loc[part["indicator"].duplicated(), "indicator"].iloc[0]
            raise DataError(f"indicator {dup!r} voted twice at ({region!r}, {period!r})", where=source)
        part = part.set_index("indicator").loc[ids]
        counts = np.column_stack([pd.to_numeric(part[g], errors="coerce") for g in grade_keys])
        if np.isnan(counts).any():
            r, c = np.argwhere(np.isnan(counts))[0]
            raise DataError(f"vote count for {ids[r]!r}, grade {grade_keys[c]!r} is not a number",
                            where=source)
        try:
            blocks.append(membership_from_votes(counts, n_experts, labels=ids))
        except FinstabError as exc:
            raise DataError(str(exc), where=source) from None
        keys.append((region, period))
    key_frame = pd.DataFrame(keys, columns=["region", "period"])
    notes = tuple(sorted(df["source"].dropna().astype(str).unique())) if "source" in df else ()
    membership = np.stack(blocks)
    return Panel(key_frame, membership.reshape(len(keys), -1), tuple(ids), notes), membership


def run_fce(system: str | Path | IndicatorSystem, *, votes: str | Path | pd.DataFrame | None = None,
            data: str | Path | pd.DataFrame | None = None, operator: str = "weighted_average",
            n_experts: int | None = None) -> MonitorResult:
    """AHP-FCE from expert votes or from indicator values (exactly one of the two)."""
    sys_obj = system if isinstance(system, IndicatorSystem) else load_system(system)
    if (votes is None) == (data is None):
        raise ConfigError("give exactly one of votes or data", where="--votes/--data")
    monitor = Monitor(sys_obj, method="fce", operator=operator)
    if data is not None:
        return monitor.evaluate(data if isinstance(data, pd.DataFrame) else read_table(data))
    panel, membership = read_votes(votes, sys_obj, n_experts)
    return monitor.evaluate_memberships(membership, panel, membership @ sys_obj.grade_values)


def run_fund_sizing(data_dir: str | Path, *, alpha: float = 0.05, tier_method: str = "quantile",
                    conventions: str | Path | None = None, mc_year: int | None = None,
                    n_sims: int = 0, seed: int = 0, scheduler: str | None = None) -> FundSizing:
    """Read ``balance_sheets.csv`` and ``market.csv`` from a folder, compile the CCA table,
    size the funds; optionally simulate ``mc_year`` (locally, or on dask: ``scheduler`` is
    ``"local"`` for a LocalCluster or a scheduler address)."""
    folder = Path(data_dir)
    if not folder.is_dir():
        raise DataError("not a folder with balance_sheets.csv and market.csv", where=str(folder))
    bs, mk = read_table(folder / "balance_sheets.csv"), read_table(folder / "market.csv")
    conv = load_conventions(conventions)
    cca = compile_cca(bs, mk, conv)
    notes = tuple(sorted({*bs.get("source", pd.Series(dtype=str)).dropna().astype(str),
                          *mk.get("source", pd.Series(dtype=str)).dropna().astype(str)}))
    prov = Provenance("fund/var", hash_object(conv.model_dump()), hash_frame(bs) + hash_frame(mk)[:4],
                      {"alpha": alpha, "tier_method": tier_method, "n_sims": n_sims, "seed": seed},
                      notes)
    result = size_funds(cca, alpha=alpha, tier_method=tier_method, provenance=prov)
    if mc_year is None or n_sims <= 0:
        return result
    if scheduler is None:
        mc = system_monte_carlo(result, cca, mc_year, n_sims=n_sims, seed=seed)
    else:
        mc = _with_dask(scheduler, lambda client: system_monte_carlo(
            result, cca, mc_year, n_sims=n_sims, seed=seed, client=client))
    return replace(result, monte_carlo=mc)


def _with_dask(scheduler: str, work):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("dask is not installed; pip install 'finstab[scale]'", where="--dask") from exc
    if scheduler == "local":
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            return work(client)
    with Client(scheduler) as client:
        return work(client)


def run_bank_screen(data: str | Path | pd.DataFrame, *, params: str | Path | None = None,
                    threshold: float | None = None, failures: str | Path | None = None,
                    penalty: float = 3.0) -> tuple[ScreenResult, CalibrationResult | None]:
    """Screen a bank panel; with ``failures`` (bank, failure_quarter) calibrate the threshold first."""
    p = load_in_params(params)
    panel = read_bank_panel(data, p)
    result = screen(panel, p, threshold)
    if failures is None:
        return result, None
    f = read_table(failures)
    require_columns(f.columns, ["bank", "failure_quarter"], f.attrs.get("source", "failures"))
    cal = calibrate_threshold(result.frame, dict(zip(f["bank"].astype(str), f["failure_quarter"], strict=True)),
                              penalty)
    return screen(panel, p, cal.threshold if threshold is None else threshold), cal


def run_bank_memo(bank: str, data: str | Path | pd.DataFrame, inputs: str | Path, **kwargs) -> Memo:
    """Screen, then write the decision memo for ``bank`` from the analyst's inputs file."""
    memo_inputs = load_memo_inputs(inputs)
    if memo_inputs.bank != bank:
        raise ConfigError(f"inputs are for bank {memo_inputs.bank!r}, not {bank!r}", where=str(inputs))
    result, _ = run_bank_screen(data, **kwargs)
    return build_memo(result, memo_inputs)


@dataclass(frozen=True)
class ContagionRun:
    """Clearing after an external-asset shock, DebtRank ranking, Furfine cascade, region view."""

    banks: pd.DataFrame
    exposures: sp.csr_matrix
    clearing: ClearingResult
    ranking: pd.DataFrame
    cascade_rounds: list[list[str]]
    region_matrix: pd.DataFrame
    shock: float
    shocked_region: str | None
    provenance: Provenance


def run_contagion(banks: str | Path | pd.DataFrame, edges: str | Path | pd.DataFrame, *,
                  shock: float = 0.1, region: str | None = None, variant: str = "battiston2012",
                  lgd: float = 1.0) -> ContagionRun:
    """Shock external assets by ``shock`` (all banks, or those of ``region``) and trace contagion."""
    b, e = read_network(banks, edges)
    if not 0 <= shock <= 1:
        raise ConfigError(f"shock = {shock}; expected a fraction in [0, 1]", where="--shock")
    if region is not None and ("region" not in b or region not in set(b["region"])):
        raise ConfigError(f"region {region!r} not in the bank table", where="--region")
    X = exposure_matrix(b, e)
    hit = np.ones(len(b), dtype=bool) if region is None else (b["region"] == region).to_numpy()
    assets = b["external_assets"].to_numpy(dtype=float) * np.where(hit, 1 - shock, 1.0)
    clearing = eisenberg_noe(X.T, assets, external_liabilities=b["external_liabilities"].to_numpy(dtype=float))
    ranking = rank_nodes(X, b["equity"].to_numpy(dtype=float), b["external_assets"].to_numpy(dtype=float),
                         variant=variant, labels=list(b["bank"]))
    initial = np.flatnonzero(clearing.defaulted)
    seed_nodes = initial if initial.size else [int(np.argmax(ranking.set_index("node").loc[b["bank"], "impact"]))]
    _, rounds = furfine_cascade(X, b["equity"].to_numpy(dtype=float), seed_nodes, lgd)
    names = b["bank"].to_numpy()
    groups = b["region"] if "region" in b else b["bank"]
    prov = Provenance("contagion", hash_object({"variant": variant, "lgd": lgd}), hash_frame(e),
                      {"shock": shock, "region": region, "variant": variant, "lgd": lgd},
                      tuple(sorted(b["source"].dropna().astype(str).unique())) if "source" in b else ())
    return ContagionRun(b, X, clearing, ranking, [[str(names[i]) for i in r] for r in rounds],
                        aggregate_network(X, groups), shock, region, prov)


@dataclass(frozen=True)
class WarningRun:
    signals: SignalResult
    evaluation: dict[str, float]
    composite: pd.DataFrame  # keys + composite index + label
    horizon: int
    synthetic: bool


def _events(path: str | Path | pd.DataFrame, entity: str, period_col: str, as_period) -> dict:
    ev = path if isinstance(path, pd.DataFrame) else read_table(path)
    require_columns(ev.columns, [entity, period_col], ev.attrs.get("source", "events"))
    return {str(k): as_period(v) for k, v in zip(ev[entity], ev[period_col], strict=True)}


def run_warning(*, system: str | Path | None = None, data: str | Path | pd.DataFrame | None = None,
                events: str | Path | pd.DataFrame, horizon: int = 4, threshold: float = 0.5,
                mu: float = 0.5) -> WarningRun:
    """KLR signals on a monitor panel (``system`` + ``data``, events: region, event_period) or,
    without ``system``, on a bank panel (events: bank, failure_quarter) with the IN index."""
    if system is None:
        screened = screen(read_bank_panel(data if data is not None else sample_path("banks/panel.csv")))
        frame = screened.frame.rename(columns={"bank": "entity", "quarter": "period"})
        ev = _events(events, "bank", "failure_quarter", lambda q: pd.Period(q, freq="Q"))
        indicators = [*(r.id for r in screened.params.ratios), "in"]
        synthetic = screened.provenance.synthetic
        directions = {r.id: (-1 if r.risky_when == "below" else 1) for r in screened.params.ratios}
    else:
        sys_obj = load_system(system)
        raw = data if isinstance(data, pd.DataFrame) else read_table(data)
        panel = build_panel(raw, [i.id for i in sys_obj.tree.indicators])
        frame = panel.keys.rename(columns={"region": "entity"}).assign(
            **{c: panel.values[:, k] for k, c in enumerate(panel.columns)})
        frame["entity"] = frame["entity"].astype(str)
        kind = type(frame["period"].iloc[0])
        ev = _events(events, "region", "event_period", kind)
        indicators = list(panel.columns)
        synthetic = any("synthetic" in n for n in panel.notes)
        directions = {i.id: 1 if i.type == "negative" else -1 for i in sys_obj.tree.indicators}
    frame = frame.sort_values(["entity", "period"], ignore_index=True)
    labels = pre_crisis_labels(frame, ev, horizon)
    result = klr_signals(frame, labels, indicators, directions, mu=mu)
    composite = result.composite(frame)
    evaluation = evaluate_signal(composite >= threshold, frame, ev, horizon)
    out = frame[["entity", "period"]].assign(composite=composite, pre_crisis=labels)
    return WarningRun(result, evaluation, out, horizon, synthetic)


@dataclass(frozen=True)
class FinancingRun:
    plan: LevyPlan
    scenarios: ReservePath
    layers: pd.DataFrame
    central_layer: float
    contributors: pd.DataFrame


def bank_contributors(data: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Contributors from a bank panel's latest quarter: assessment base = INTER + AMO
    (trillion -> 100 million yuan; a proxy where liabilities are not in the panel), risk = IN."""
    panel = read_bank_panel(data if data is not None else sample_path("banks/panel.csv"))
    last = panel[panel["quarter"] == panel["quarter"].max()]
    screened = screen(panel).latest().set_index("bank")["in"]
    out = pd.DataFrame({"id": last["bank"], "base": (last["inter"] + last["amo"]) * 1e4,
                        "dsib": last["dsib"], "type": np.where(last["dsib"], "large", last["bank_type"])})
    out["in"] = out["id"].map(screened).fillna(0.0)  # D-SIBs are not screened: neutral risk
    return out.reset_index(drop=True)


def run_financing_plan(*, target: float, years: int, bond_yield: float = 0.025, rules: str | Path | None = None,
                       contributors: pd.DataFrame | None = None, fund_data: str | Path | None = None,
                       fund_year: int = 2020, n_sims: int = 2_000, horizon: int = 10, coverage: float = 0.01,
                       relending_rate: float = 0.0225, repay_years: int = 5, seed: int = 0) -> FinancingRun:
    """Levy plan to reach ``target``; reserve scenarios with system losses drawn to match the
    fund-sizing Monte Carlo (``coverage`` = share of the system's unexpected loss the fund
    bears); central and provincial layers from the fund sizes of ``fund_year``."""
    rule_obj = load_rules(rules)
    contrib = contributors if contributors is not None else bank_contributors()
    contrib = contrib.assign(layer=assign_layers(contrib, rule_obj)) if "layer" not in contrib else contrib
    assign_layers(contrib, rule_obj)
    plan = plan_levies(contrib, target, years, bond_yield, rule_obj)
    sizing = run_fund_sizing(fund_data or sample_path("cca"), mc_year=fund_year, n_sims=20_000, seed=seed)
    mc = sizing.monte_carlo
    losses = lognormal_system_losses(float(mc.expected[0]), float(mc.var_fund[0]), mc.alpha, horizon, n_sims,
                                     coverage, seed)
    scenarios = simulate_reserve(plan, losses, relending_rate=relending_rate, repay_years=repay_years)
    layers, central = layer_sizes(sizing.year(fund_year), rule_obj)
    return FinancingRun(plan, scenarios, layers, central, contrib)
