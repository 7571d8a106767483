"""Cross-market, cross-border contagion on a multi-layer exposure network.

Nodes are of three kinds:

* ``bank``: domestic banks (market ``"bank"``);
* ``market``: domestic market and sector nodes, each the aggregate of the borrowers or
  counterparties of one market in one region: ``bond`` (non-financial bond issuers),
  ``equity`` (brokers and margin finance), ``fx`` (FX dealers and forward counterparties),
  ``property`` (developers), ``shadow_credit`` (trusts, wealth-management vehicles) and
  ``lgfv`` (local-government financing vehicles);
* ``foreign``: the foreign block (foreign banks and investors), border ``"foreign"``.

An edge ``lender -> borrower`` of ``amount`` on a ``layer`` (interbank, bond, property,
cross_border, ...) is a claim of the lender on the borrower; ``currency`` is ``"domestic"``
(default) or ``"fx"``. All layers together form one liabilities matrix (``[i, j]`` = what i
owes j), so clearing and DebtRank run on the whole network at once.

Shocks (applied in order, before contagion):

* :func:`market_shock`: the market nodes of one market (optionally one region) lose a fraction
  of their external assets (e.g. property prices fall 30 %);
* :func:`foreign_funding_shock`: foreign lenders withdraw a fraction f of their claims on
  domestic nodes. A borrower repays by selling external assets at a fire-sale ``discount`` d:
  repaying R costs R / (1 - d) of assets, a loss of R d / (1 - d); what its external assets
  cannot cover stays owed;
* :func:`fx_shock`: the domestic currency depreciates by delta: every ``fx`` edge is worth
  (1 + delta) times as much in domestic currency (borrowers of FX lose, lenders in FX gain).

The direct loss of node i is the fall of its book equity ``external assets + claims -
obligations - external liabilities`` caused by the shocks. Contagion then runs twice on the
shocked network: Eisenberg-Noe clearing (:func:`~finstab.contagion.clearing.eisenberg_noe`;
losses on claims = amount x (1 - p_borrower / p-bar_borrower)) and DebtRank
(:func:`~finstab.contagion.debtrank.debtrank`; initial distress = direct loss / equity,
weights = total assets). Results add up over groups region x market x border.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from finstab.contagion.clearing import ClearingResult, eisenberg_noe
from finstab.contagion.debtrank import VARIANTS, DebtRankResult, debtrank
from finstab.core.errors import DataError, InputError
from finstab.core.io import describe_row
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import check_option, require_columns
from finstab.core.warnings import collect

KINDS = ("bank", "market", "foreign")
MARKETS = ("bond", "equity", "fx", "property", "shadow_credit", "lgfv")
CURRENCIES = ("domestic", "fx")
BORDERS = ("domestic", "foreign")
NODE_COLUMNS = ["node", "kind", "region", "market", "equity", "external_assets", "external_liabilities"]
EDGE_COLUMNS = ["lender", "borrower", "amount", "layer"]
GROUP = ["region", "market", "border"]

#: display names of markets and kinds (canonical keys stay in tables)
MARKET_LABELS = {"bank": ("银行", "banks"), "bond": ("债券", "bonds"), "equity": ("股票", "equity"),
                 "fx": ("外汇", "FX"), "property": ("房地产", "property"),
                 "shadow_credit": ("影子信贷", "shadow credit"),
                 "lgfv": ("城投平台", "LGFVs"), "domestic": ("境内", "domestic"), "foreign": ("境外", "foreign")}


# ----------------------------------------------------------------------------------------------
# the network
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MultiLayerNetwork:
    """Validated nodes and edges (see :func:`multilayer_network`)."""

    nodes: pd.DataFrame  # NODE_COLUMNS + border (+ any extra columns), one row per node
    edges: pd.DataFrame  # EDGE_COLUMNS + currency + positions i_lender, i_borrower

    @property
    def n(self) -> int:
        return len(self.nodes)

    def liabilities(self, amounts: np.ndarray | None = None) -> sp.csr_matrix:
        """``L[i, j]`` = what i owes j over all layers (duplicate edges summed)."""
        a = self.edges["amount"].to_numpy(dtype=float) if amounts is None else amounts
        return sp.csr_matrix((a, (self.edges["i_borrower"].to_numpy(), self.edges["i_lender"].to_numpy())),
                             shape=(self.n, self.n))

    def layer_matrix(self, layer: str) -> sp.csr_matrix:
        """Liabilities of one layer only."""
        on = (self.edges["layer"] == layer).to_numpy()
        return self.liabilities(np.where(on, self.edges["amount"].to_numpy(), 0.0))

    def book_equity(self, amounts: np.ndarray | None = None, external_assets: np.ndarray | None = None
                    ) -> np.ndarray:
        """External assets + claims - obligations - external liabilities, at full value."""
        a = self.edges["amount"].to_numpy(dtype=float) if amounts is None else amounts
        e = self.nodes["external_assets"].to_numpy(dtype=float) if external_assets is None else external_assets
        claims = np.bincount(self.edges["i_lender"], weights=a, minlength=self.n)
        owed = np.bincount(self.edges["i_borrower"], weights=a, minlength=self.n)
        return e + claims - owed - self.nodes["external_liabilities"].to_numpy(dtype=float)


def _numeric(df: pd.DataFrame, col: str, *, positive: bool = False) -> pd.Series:
    num = pd.to_numeric(df[col], errors="coerce")
    bad = num.isna() | ~np.isfinite(num) | ((num <= 0) if positive else (num < 0))
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        need = "a positive number" if positive else "a non-negative number"
        raise DataError(f"column {col!r}: {df[col].iloc[pos]!r} is not {need}", where=describe_row(df, pos))
    return num.astype(float)


def multilayer_network(nodes: pd.DataFrame, edges: pd.DataFrame) -> MultiLayerNetwork:
    """Check node and edge tables and index the edges.

    Parameters
    ----------
    nodes
        Columns ``node, kind (bank | market | foreign), region, market, equity (> 0),
        external_assets, external_liabilities`` (>= 0); extra columns are kept.
    edges
        Columns ``lender, borrower, amount (>= 0), layer`` and optionally ``currency``
        (``domestic`` or ``fx``; default domestic). ``lender`` holds a claim on ``borrower``.

    Returns
    -------
    MultiLayerNetwork

    Raises
    ------
    DataError
        Missing columns, unknown kinds or currencies, duplicate nodes, self-loops, edges
        naming unknown nodes, negative or non-numeric amounts (the message names the row).

    Examples
    --------
    >>> nodes = pd.DataFrame({"node": ["A", "P"], "kind": ["bank", "market"], "region": ["GD", "GD"],
    ...                       "market": ["bank", "property"], "equity": [10.0, 5.0],
    ...                       "external_assets": [90.0, 50.0], "external_liabilities": [100.0, 5.0]})
    >>> edges = pd.DataFrame({"lender": ["A"], "borrower": ["P"], "amount": [40.0], "layer": ["property"]})
    >>> net = multilayer_network(nodes, edges)
    >>> net.liabilities().toarray().tolist(), net.book_equity().tolist()
    ([[0.0, 0.0], [40.0, 0.0]], [30.0, 5.0])
    """
    if not isinstance(nodes, pd.DataFrame) or not isinstance(edges, pd.DataFrame):
        raise InputError("expected DataFrames of nodes and edges", where="nodes/edges")
    require_columns(list(nodes.columns), NODE_COLUMNS, nodes.attrs.get("source", "nodes"))
    require_columns(list(edges.columns), EDGE_COLUMNS, edges.attrs.get("source", "edges"))
    n = nodes.reset_index(drop=True).assign(node=lambda d: d["node"].astype(str))
    n.attrs = dict(nodes.attrs)
    if n["node"].duplicated().any():
        raise DataError(f"node {n['node'][n['node'].duplicated()].iloc[0]!r} listed twice",
                        where=nodes.attrs.get("source", "nodes"))
    for col in ("kind", "region", "market"):
        blank = n[col].isna() | (n[col].astype(str).str.strip() == "")
        if blank.any():
            raise DataError(f"column {col!r} is empty", where=describe_row(n, int(np.flatnonzero(blank)[0])))
        n[col] = n[col].astype(str).str.strip()
    bad_kind = ~n["kind"].isin(KINDS)
    if bad_kind.any():
        pos = int(np.flatnonzero(bad_kind)[0])
        raise DataError(f"kind {n['kind'].iloc[pos]!r} is not one of {', '.join(KINDS)}", where=describe_row(n, pos))
    n["equity"] = _numeric(n, "equity", positive=True)
    for col in ("external_assets", "external_liabilities"):
        n[col] = _numeric(n, col)
    n["border"] = np.where(n["kind"] == "foreign", "foreign", "domestic")

    e = edges.reset_index(drop=True).copy()
    e.attrs = dict(edges.attrs)
    e["amount"] = _numeric(e, "amount")
    e["currency"] = e["currency"].fillna("domestic").astype(str).str.strip() if "currency" in e else "domestic"
    bad_cur = ~e["currency"].isin(CURRENCIES)
    if bad_cur.any():
        pos = int(np.flatnonzero(bad_cur)[0])
        raise DataError(f"currency {e['currency'].iloc[pos]!r} is not one of {', '.join(CURRENCIES)}",
                        where=describe_row(e, pos))
    e["layer"] = e["layer"].astype(str).str.strip()
    index = {name: k for k, name in enumerate(n["node"])}
    for col in ("lender", "borrower"):
        e[col] = e[col].astype(str)
        unknown = ~e[col].isin(index.keys())
        if unknown.any():
            pos = int(np.flatnonzero(unknown)[0])
            raise DataError(f"{col} {e[col].iloc[pos]!r} is not in the node table", where=describe_row(e, pos))
    loops = (e["lender"] == e["borrower"]).to_numpy()
    if loops.any():
        pos = int(np.flatnonzero(loops)[0])
        raise DataError(f"{e['lender'].iloc[pos]!r} lends to itself", where=describe_row(e, pos))
    e["i_lender"] = e["lender"].map(index).astype(int)
    e["i_borrower"] = e["borrower"].map(index).astype(int)
    return MultiLayerNetwork(n, e)


# ----------------------------------------------------------------------------------------------
# shocks
# ----------------------------------------------------------------------------------------------
SHOCK_KINDS = ("market", "foreign_funding", "fx")


@dataclass(frozen=True)
class Shock:
    """One shock; build it with :func:`market_shock`, :func:`foreign_funding_shock` or :func:`fx_shock`."""

    kind: str
    size: float
    market: str | None = None
    region: str | None = None
    discount: float = 0.0

    def describe(self) -> str:
        where = f" {self.region}" if self.region else ""
        if self.kind == "market":
            return f"{self.market}{where} -{self.size:.0%}"
        if self.kind == "foreign_funding":
            return f"foreign funding{where} withdrawn {self.size:.0%} (fire-sale discount {self.discount:.0%})"
        return f"FX depreciation {self.size:.0%}"


def _fraction(x: Any, name: str, *, upper_open: bool = False) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise InputError(f"{x!r} is not a number", where=name) from None
    if not (0 <= v < 1 if upper_open else 0 <= v <= 1):
        raise InputError(f"{v:g}; expected a fraction in [0, 1{')' if upper_open else ']'}", where=name)
    return v


def market_shock(market: str, loss: float, region: str | None = None) -> Shock:
    """Market nodes of ``market`` (in ``region``, or everywhere) lose ``loss`` of their external assets.

    Examples
    --------
    >>> market_shock("property", 0.3, region="GZ").describe()
    'property GZ -30%'
    """
    return Shock("market", _fraction(loss, "loss"), market=str(market), region=region)


def foreign_funding_shock(fraction: float, discount: float = 0.1, region: str | None = None) -> Shock:
    """Foreign lenders (of ``region``, or all) withdraw ``fraction`` of their claims on domestic nodes,
    repaid from external assets sold at a fire-sale ``discount``.

    Examples
    --------
    >>> foreign_funding_shock(0.5, discount=0.2).describe()
    'foreign funding withdrawn 50% (fire-sale discount 20%)'
    """
    return Shock("foreign_funding", _fraction(fraction, "fraction"), region=region,
                 discount=_fraction(discount, "discount", upper_open=True))


def fx_shock(depreciation: float) -> Shock:
    """The domestic currency loses ``depreciation``: FX claims and debts are worth (1 + depreciation) x.

    Examples
    --------
    >>> fx_shock(0.15).describe()
    'FX depreciation 15%'
    """
    try:
        d = float(depreciation)
    except (TypeError, ValueError):
        raise InputError(f"{depreciation!r} is not a number", where="depreciation") from None
    if not -1 < d <= 10:
        raise InputError(f"{d:g}; expected a depreciation above -1 (e.g. 0.2 for 20 %)", where="depreciation")
    return Shock("fx", d)


@dataclass(frozen=True)
class ShockedNetwork:
    amounts: np.ndarray  # edge amounts after the shocks (domestic currency)
    external_assets: np.ndarray
    direct_loss: np.ndarray  # fall of book equity caused by the shocks


def apply_shocks(net: MultiLayerNetwork, shocks: Sequence[Shock]) -> ShockedNetwork:
    """Edge amounts, external assets and direct losses after ``shocks`` (in order).

    Examples
    --------
    >>> nodes = pd.DataFrame({"node": ["A", "F"], "kind": ["bank", "foreign"], "region": ["SH", "HK"],
    ...                       "market": ["bank", "bank"], "equity": [10.0, 50.0],
    ...                       "external_assets": [110.0, 100.0], "external_liabilities": [0.0, 0.0]})
    >>> edges = pd.DataFrame({"lender": ["F"], "borrower": ["A"], "amount": [100.0], "layer": ["cross_border"],
    ...                       "currency": ["fx"]})
    >>> s = apply_shocks(multilayer_network(nodes, edges), [fx_shock(0.2)])
    >>> s.amounts.tolist(), s.direct_loss.tolist()
    ([120.0], [20.0, -20.0])
    """
    amounts = net.edges["amount"].to_numpy(dtype=float).copy()
    e = net.nodes["external_assets"].to_numpy(dtype=float).copy()
    before = net.book_equity()
    kind = net.nodes["kind"].to_numpy()
    region = net.nodes["region"].to_numpy()
    lender, borrower = net.edges["i_lender"].to_numpy(), net.edges["i_borrower"].to_numpy()
    for s in shocks:
        if not isinstance(s, Shock) or s.kind not in SHOCK_KINDS:
            raise InputError(f"{s!r} is not a shock; build one with market_shock, foreign_funding_shock or "
                             "fx_shock", where="shocks")
        if s.kind == "market":
            hit = (kind == "market") & (net.nodes["market"].to_numpy() == s.market)
            if s.region is not None:
                hit &= region == s.region
            if not hit.any():
                raise InputError(f"no market node for {s.market!r}{' in ' + s.region if s.region else ''}",
                                 where="shocks")
            e[hit] *= 1 - s.size
        elif s.kind == "fx":
            amounts[(net.edges["currency"] == "fx").to_numpy()] *= 1 + s.size
        else:
            on = (kind[lender] == "foreign") & (kind[borrower] != "foreign")
            if s.region is not None:
                on &= region[lender] == s.region
            wanted = np.where(on, s.size * amounts, 0.0)
            per_borrower = np.bincount(borrower, weights=wanted, minlength=net.n)
            payable = np.minimum(per_borrower, (1 - s.discount) * e)
            scale = np.divide(payable, per_borrower, out=np.ones(net.n), where=per_borrower > 0)
            repaid = wanted * scale[borrower]
            amounts -= repaid
            e -= payable / (1 - s.discount)
            e += np.bincount(lender, weights=repaid, minlength=net.n)
    e = np.maximum(e, 0.0)  # guards -0.0 from rounding
    return ShockedNetwork(amounts, e, before - net.book_equity(amounts, e))


# ----------------------------------------------------------------------------------------------
# the result
# ----------------------------------------------------------------------------------------------
_TXT = {
    "zh": {"title": "跨市场、跨境多层网络传染", "shock": "冲击", "defaults": "违约节点", "shortfall": "清偿缺口",
           "dr": "DebtRank 总损失", "induced": "其中传染引致", "top": "损失最大的组（地区 × 市场 × 境内外）",
           "border": "境内外损失矩阵（贷款方 → 借款方）"},
    "en": {"title": "Cross-market, cross-border multi-layer contagion", "shock": "shock", "defaults": "defaults",
           "shortfall": "clearing shortfall", "dr": "DebtRank total loss", "induced": "induced by contagion",
           "top": "largest losses by region x market x border", "border": "border loss matrix (lender -> borrower)"},
}


@dataclass(frozen=True)
class MultilayerResult(Result):
    """Clearing and DebtRank on the shocked multi-layer network, by node and by group.

    ``node_table``: one row per node with ``direct_loss``, ``clearing_loss`` (losses on claims
    when borrowers pay their clearing payments), ``payments``, ``obligations``, ``defaulted``,
    ``h0`` (initial distress), ``distress`` (DebtRank h), ``debtrank_loss`` (= distress x equity).
    ``flows``: group-to-group exposures and clearing losses (lender group -> borrower group).
    """

    kind: ClassVar[str] = "multilayer"
    node_table: pd.DataFrame
    edge_table: pd.DataFrame
    shocks: tuple[Shock, ...]
    clearing: ClearingResult
    debtrank_result: DebtRankResult
    variant: str = "battiston2012"

    @property
    def flows(self) -> pd.DataFrame:
        """Exposure and clearing loss summed by lender group and borrower group."""
        keys = [f"lender_{g}" for g in GROUP] + [f"borrower_{g}" for g in GROUP]
        return self.edge_table.groupby(keys)[["exposure", "loss"]].sum().reset_index()  # sorted by the keys

    def groups(self) -> pd.DataFrame:
        """Region x market x border: nodes, equity, losses and defaults."""
        t = self.node_table
        g = t.groupby(GROUP).agg(nodes=("node", "size"), equity=("equity", "sum"),  # sorted by the groups
                                 direct_loss=("direct_loss", "sum"), clearing_loss=("clearing_loss", "sum"),
                                 shortfall=("shortfall", "sum"), defaulted=("defaulted", "sum"),
                                 debtrank_loss=("debtrank_loss", "sum")).reset_index()
        g["defaulted"] = g["defaulted"].astype(int)
        g["loss_share"] = np.divide(g["debtrank_loss"], g["equity"])
        return g

    def matrix(self, rows: str = "region", columns: str = "market", value: str = "debtrank_loss") -> pd.DataFrame:
        """A node measure summed into a ``rows`` x ``columns`` matrix (e.g. region x market).

        Examples
        --------
        ``res.matrix("region", "market")`` is the DebtRank equity loss by region and market;
        ``res.matrix("border", "market", "clearing_loss")`` splits clearing losses by border.
        """
        for name in (rows, columns):
            check_option(name, GROUP, "rows/columns")
        if value not in self.node_table.columns:
            raise InputError(f"{value!r} is not a node measure", where="value")
        return self.node_table.pivot_table(index=rows, columns=columns, values=value, aggfunc="sum", fill_value=0.0)

    def flow_matrix(self, by: str = "border", value: str = "loss") -> pd.DataFrame:
        """Lender x borrower matrix of ``exposure`` or clearing ``loss`` aggregated by ``by``."""
        check_option(by, GROUP, "by")
        check_option(value, ("exposure", "loss"), "value")
        return self.flows.pivot_table(index=f"lender_{by}", columns=f"borrower_{by}", values=value, aggfunc="sum",
                                      fill_value=0.0)

    def layers(self) -> pd.DataFrame:
        """Exposure and clearing loss per layer and currency."""
        return self.edge_table.groupby(["layer", "currency"])[["exposure", "loss"]].sum().reset_index()

    def tables(self) -> dict[str, pd.DataFrame]:
        border = self.flow_matrix().reset_index().rename(columns={"lender_border": "lender"})  # losses by border
        border.columns.name = None
        rm = self.matrix().reset_index()  # DebtRank losses, region x market
        rm.columns.name = None
        return {"groups": self.groups(), "nodes": self.node_table, "flows": self.flows,
                "region_market": rm, "border": border, "layers": self.layers()}

    def summary(self) -> str:
        t = _TXT[self.lang]
        nt = self.node_table
        top = self.groups().sort_values("debtrank_loss", ascending=False).head(5)
        border = self.flow_matrix()
        lines = [t["title"],
                 f"{t['shock']}: " + "; ".join(s.describe() for s in self.shocks),
                 f"{t['defaults']}: {int(nt['defaulted'].sum())} / {len(nt)} "
                 f"({', '.join(nt.loc[nt['defaulted'], 'node'].head(8)) or '-'}); "
                 f"{t['shortfall']} {nt['shortfall'].sum():.4g}",
                 f"{t['dr']}: {nt['debtrank_loss'].sum():.4g} "
                 f"({t['induced']} {(nt['debtrank_loss'] - nt['h0'] * nt['equity']).sum():.4g}); "
                 f"DebtRank {self.debtrank_result.debtrank:.4f} ({self.variant})",
                 t["top"] + ":",
                 top[[*GROUP, "nodes", "defaulted", "debtrank_loss", "loss_share"]].round(4).to_string(index=False),
                 t["border"] + ":", border.round(4).to_string(), self.footer()]
        return "\n".join(lines)


def run_multilayer(nodes: pd.DataFrame | MultiLayerNetwork, edges: pd.DataFrame | None = None,
                   shocks: Sequence[Shock] = (), *, variant: str = "battiston2012") -> MultilayerResult:
    """Shock a multi-layer network, clear it and run DebtRank on the whole network.

    Parameters
    ----------
    nodes, edges
        Tables as in :func:`multilayer_network`, or a :class:`MultiLayerNetwork` and ``None``.
    shocks
        Shocks applied in order (:func:`market_shock`, :func:`foreign_funding_shock`, :func:`fx_shock`).
    variant
        DebtRank variant, ``"battiston2012"`` or ``"bardoscia2015"``.

    Returns
    -------
    MultilayerResult
        Node and group tables, flows, region x market and border matrices.

    Examples
    --------
    Developers P owe bank A 40 (and 5 outside); property falls 80 %, so P has 10 for its 45
    of debts. A receives 10 x 40 / 45, loses 31.11 > its equity of 10 and defaults as well:

    >>> nodes = pd.DataFrame({"node": ["A", "P"], "kind": ["bank", "market"], "region": ["GD", "GD"],
    ...                       "market": ["bank", "property"], "equity": [10.0, 5.0],
    ...                       "external_assets": [90.0, 50.0], "external_liabilities": [120.0, 5.0]})
    >>> edges = pd.DataFrame({"lender": ["A"], "borrower": ["P"], "amount": [40.0], "layer": ["property"]})
    >>> res = run_multilayer(nodes, edges, [market_shock("property", 0.8)])
    >>> res.node_table[["node", "payments", "clearing_loss", "defaulted"]].round(4).values.tolist()
    [['A', 98.8889, 31.1111, True], ['P', 10.0, 0.0, True]]
    """
    net = nodes if isinstance(nodes, MultiLayerNetwork) else multilayer_network(nodes, edges)
    check_option(variant, VARIANTS, "variant")
    shocks = tuple(shocks)
    with collect() as seen:
        shocked = apply_shocks(net, shocks)
        L = net.liabilities(shocked.amounts)
        ext = net.nodes["external_liabilities"].to_numpy()  # floats: multilayer_network converts them
        clear = eisenberg_noe(L, shocked.external_assets, external_liabilities=ext)
        equity = net.nodes["equity"].to_numpy()
        h0 = np.clip(shocked.direct_loss / equity, 0.0, 1.0)
        size = net.nodes["external_assets"].to_numpy() + np.bincount(
            net.edges["i_lender"], weights=net.edges["amount"].to_numpy(), minlength=net.n)
        dr = debtrank(L.T.tocsr(), equity, np.where(size > 0, size, 1e-12), h0, variant=variant)
    paid_share = np.divide(clear.payments, clear.obligations, out=np.ones(net.n), where=clear.obligations > 0)
    b, le = net.edges["i_borrower"].to_numpy(), net.edges["i_lender"].to_numpy()
    edge_loss = shocked.amounts * (1 - paid_share[b])
    nt = net.nodes[["node", "kind", *GROUP, "equity", "external_assets", "external_liabilities"]].copy()
    nt["direct_loss"] = shocked.direct_loss
    nt["clearing_loss"] = np.bincount(le, weights=edge_loss, minlength=net.n)
    nt["payments"] = clear.payments
    nt["obligations"] = clear.obligations
    nt["shortfall"] = clear.shortfall
    nt["defaulted"] = clear.defaulted
    nt["h0"] = h0
    nt["distress"] = dr.distress
    nt["debtrank_loss"] = dr.distress * equity
    edges = pd.DataFrame({
        "lender": net.edges["lender"].to_numpy(), "borrower": net.edges["borrower"].to_numpy(),
        **{f"lender_{g}": net.nodes[g].to_numpy()[le] for g in GROUP},
        **{f"borrower_{g}": net.nodes[g].to_numpy()[b] for g in GROUP},
        "layer": net.edges["layer"].to_numpy(), "currency": net.edges["currency"].to_numpy(),
        "exposure": shocked.amounts, "loss": edge_loss})
    prov = Provenance.from_inputs("contagion/multilayer", inputs={"nodes": net.nodes, "edges": net.edges},
                                  params={"shocks": [s.describe() for s in shocks], "variant": variant})
    return MultilayerResult(nt, edges, shocks, clear, dr, variant, provenance=prov).with_warnings(seen)
