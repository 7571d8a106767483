"""Report sections for cross-market spillovers and multi-layer contagion.

Spillovers: the rolling total connectedness (TCI) line, net-spillover bars, the pairwise
heatmap and the net pairwise network, labelled in Chinese and English. Multi-layer
contagion: the region x market loss matrix and the border flows.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from finstab.contagion.multilayer import MARKET_LABELS as NODE_LABELS
from finstab.contagion.multilayer import MultilayerResult
from finstab.pipelines.spillover import SpilloverRun
from finstab.report.charts import figure_to_data_uri, setup_cjk_font
from finstab.report.html import Section
from finstab.samples.markets import MARKET_LABELS

TITLE = {"zh": "跨市场风险溢出（Diebold–Yilmaz 关联度）",
         "en": "Cross-market spillovers (Diebold-Yilmaz connectedness)"}
ML_TITLE = {"zh": "跨市场、跨境多层网络压力测试", "en": "Multi-layer cross-market, cross-border stress test"}


def market_label(name: str, labels: Mapping[str, tuple[str, str]] | None = None) -> str:
    """``"地产股 property"`` for a known market id, the id itself otherwise.

    Examples
    --------
    >>> market_label("property"), market_label("XYZ")
    ('地产股 property', 'XYZ')
    """
    known = {**NODE_LABELS, **MARKET_LABELS} if labels is None else labels
    if name not in known:
        return name
    return f"{known[name][0]} {name}"


def tci_chart(rolling: pd.DataFrame, static_tci: float, title: str) -> str:
    """The rolling TCI over time with the full-sample TCI as a dashed line."""
    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    ax.plot(rolling.index, rolling["tci"], lw=1.3, color="#1f4e79", label="滚动 TCI rolling")
    ax.axhline(static_tci, lw=0.9, ls="--", color="#c0392b", label=f"全样本 full sample {static_tci:.1f}%")
    if "stable" in rolling.columns and (~rolling["stable"].astype(bool)).any():
        bad = rolling.index[~rolling["stable"].astype(bool)]
        ax.scatter(bad, rolling.loc[bad, "tci"], s=6, color="#e67e22", label="VAR 不平稳 unstable")
    ax.set_ylabel("总体关联度 TCI (%)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return figure_to_data_uri(fig)


def net_bars(net: pd.Series, title: str) -> str:
    """Net spillover per market: red = net transmitter, blue = net receiver."""
    setup_cjk_font()
    s = net.sort_values(ascending=False)
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    ax.bar(range(len(s)), s.to_numpy(), color=np.where(s.to_numpy() >= 0, "#c0392b", "#2e86c1"))
    ax.axhline(0, color="#333", lw=0.6)
    ax.set_xticks(range(len(s)), [market_label(m) for m in s.index], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("净溢出 net (%)")
    ax.set_title(title)
    return figure_to_data_uri(fig)


def pairwise_heatmap(pairwise: pd.DataFrame, title: str) -> str:
    """Row i, column j: share of i's forecast-error variance due to shocks in j (%)."""
    setup_cjk_font()
    k = pairwise.shape[0]
    fig, ax = plt.subplots(figsize=(7.5, 6.2))
    values = pairwise.to_numpy()
    shown = np.where(np.eye(k, dtype=bool), np.nan, values)  # the own shares would swamp the colours
    im = ax.imshow(shown, cmap="OrRd")
    labels = [market_label(m) for m in pairwise.columns]
    ax.set_xticks(range(k), labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(k), [market_label(m) for m in pairwise.index], fontsize=7)
    if k <= 12:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{values[i, j]:.1f}", ha="center", va="center", fontsize=6,
                        color="#555" if i == j else "black")
    ax.set_xlabel("冲击来源 source of shock (j)")
    ax.set_ylabel("受影响市场 receiving market (i)")
    fig.colorbar(im, ax=ax, shrink=0.6, label="% (对角线除外 off-diagonal)")
    ax.set_title(title)
    return figure_to_data_uri(fig)


def spillover_network(pairwise: pd.DataFrame, net: pd.Series, title: str, top: int | None = None) -> str:
    """Markets on a circle; an arrow i -> j when i's net pairwise push to j is positive.

    Arrow width ~ net pairwise spillover (only the ``top`` strongest, default 2 k); node colour
    ~ net spillover (red transmitter, blue receiver).
    """
    import networkx as nx

    setup_cjk_font()
    p = pairwise.to_numpy()
    names = list(pairwise.columns)
    k = len(names)
    push = p.T - p  # [i, j]: i's net push to j
    pairs = [(i, j, push[i, j]) for i in range(k) for j in range(k) if push[i, j] > 0]
    pairs.sort(key=lambda x: -x[2])
    pairs = pairs[: (top or 2 * k)]
    graph = nx.DiGraph()
    graph.add_nodes_from(range(k))
    graph.add_weighted_edges_from(pairs)
    pos = nx.circular_layout(graph)
    fig, ax = plt.subplots(figsize=(7.0, 6.4))
    widest = max((w for *_, w in pairs), default=1.0)
    nx.draw_networkx_edges(graph, pos, ax=ax, width=[0.5 + 4 * w / widest for *_, w in pairs],
                           edge_color="#7f8c8d", arrows=True, arrowsize=12, connectionstyle="arc3,rad=0.08",
                           node_size=1300)
    vals = net.reindex(names).to_numpy()
    lim = max(np.abs(vals).max(), 1e-9)
    nodes = nx.draw_networkx_nodes(graph, pos, ax=ax, node_size=1300, node_color=vals, cmap="coolwarm",
                                   vmin=-lim, vmax=lim, edgecolors="#333", linewidths=0.5)
    nx.draw_networkx_labels(graph, pos, {i: market_label(n).replace(" ", "\n", 1) for i, n in enumerate(names)},
                            font_size=7, ax=ax)
    fig.colorbar(nodes, ax=ax, shrink=0.6, label="净溢出 net (%)")
    ax.set_title(title)
    ax.axis("off")
    return figure_to_data_uri(fig)


def spillover_section(run: SpilloverRun, lang: str = "zh") -> Section:
    """TCI line, net-spillover bars, pairwise heatmap and spillover network of a spillover run."""
    static = run.static
    sec = Section("spillover", TITLE[lang], synthetic=run.provenance.synthetic)
    net = static.net.sort_values()
    if lang == "zh":
        sec.text(f"全样本总体关联度 TCI = {static.tci:.2f}%（VAR({static.lags})，预测期 H = {static.horizon}，"
                 f"{static.n_obs} 个观测）。最大净输出市场：{market_label(net.index[-1])}（{net.iloc[-1]:+.2f}）；"
                 f"最大净接收市场：{market_label(net.index[0])}（{net.iloc[0]:+.2f}）。")
    else:
        sec.text(f"Full-sample total connectedness TCI = {static.tci:.2f} % (VAR({static.lags}), H = "
                 f"{static.horizon}, {static.n_obs} observations). Largest net transmitter: "
                 f"{market_label(net.index[-1])} ({net.iloc[-1]:+.2f}); largest net receiver: "
                 f"{market_label(net.index[0])} ({net.iloc[0]:+.2f}).")
    if run.rolling is not None:
        sec.image(tci_chart(run.rolling.frame, static.tci,
                            f"滚动总体关联度 rolling TCI ({run.rolling.window} 日窗口 window)"), alt="TCI")
    sec.images([net_bars(static.net, "净溢出 net spillovers"),
                spillover_network(static.pairwise, static.net, "净溢出网络 net spillover network")],
               alt="net spillovers")
    sec.image(pairwise_heatmap(static.pairwise, "成对溢出 pairwise spillovers (%)"), alt="pairwise")
    sec.table(static.directional().sort_values("net", ascending=False), digits=2)
    for w in run.warnings:
        sec.text(f"! {w}")
    sec.provenance.append(run.provenance.describe())
    return sec


def multilayer_section(res: MultilayerResult, lang: str = "zh") -> Section:
    """Region x market losses, the largest groups and the border flows of a multi-layer stress test."""
    sec = Section("multilayer", f"{ML_TITLE[lang]}: " + "; ".join(s.describe() for s in res.shocks),
                  synthetic=res.provenance.synthetic)
    nt = res.node_table
    sec.text(f"违约 defaults {int(nt['defaulted'].sum())}/{len(nt)}; 清偿缺口 shortfall {nt['shortfall'].sum():,.1f}; "
             f"DebtRank 损失 loss {nt['debtrank_loss'].sum():,.1f} ({res.variant})")
    m = res.matrix("region", "market")
    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    im = ax.imshow(m.to_numpy(), cmap="OrRd")
    ax.set_xticks(range(m.shape[1]), [market_label(c, NODE_LABELS) for c in m.columns], rotation=45, ha="right",
                  fontsize=8)
    ax.set_yticks(range(m.shape[0]), list(m.index), fontsize=8)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m.iat[i, j] > 0:
                dark = m.iat[i, j] > 0.6 * m.to_numpy().max()
                ax.text(j, i, f"{m.iat[i, j]:,.0f}", ha="center", va="center", fontsize=6,
                        color="white" if dark else "black")
    fig.colorbar(im, ax=ax, shrink=0.7, label="DebtRank 权益损失 equity loss")
    ax.set_title("地区 × 市场损失 region x market losses")
    sec.image(figure_to_data_uri(fig), alt="region x market")
    groups = res.groups().sort_values("debtrank_loss", ascending=False).head(10)
    sec.table(groups, digits=3)
    border = res.flow_matrix("border", "exposure").join(res.flow_matrix("border", "loss"), rsuffix=" loss")
    sec.table(border.reset_index(), digits=1)
    sec.provenance.append(res.provenance.describe())
    return sec
