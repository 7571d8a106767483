"""Charts for reports; one function per picture. Chinese glyphs render via a bundled CJK font."""

from __future__ import annotations

import base64
import io
from functools import cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib import font_manager
from PIL import Image

from finstab.report.fonts import cjk_font_path


@cache
def setup_cjk_font() -> str:
    """Register the bundled CJK font with matplotlib; return its family name."""
    path = str(cjk_font_path())
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return family


DPI = 110
PAD_INCHES = 0.1  # matplotlib's savefig.pad_inches around the tight box
MARGIN_INCHES = (1.2, 0.8, 3.0, 1.4)  # left, top, right, bottom: room for labels and outside legends
# A title put on the axes' top edge, where matplotlib would put it anyway when no tick labels or
# offset text sit above the axes; saying so skips measuring every tick label to place it.
TITLE_ON_FRAME = 1.0


def figure_to_data_uri(fig: plt.Figure) -> str:
    """PNG data URI so reports stay a single offline file; the figure is closed.

    The picture is what ``bbox_inches="tight"`` saves (the figure's tight box plus
    ``PAD_INCHES``) but drawn once, not laid out twice: the canvas grows by ``MARGIN_INCHES``
    around the unchanged axes, the figure is drawn, the tight box is measured on the drawn figure
    and cut out. A figure whose box leaves the grown canvas, or that has figure-level artists or
    a layout engine, is saved the usual way.
    """
    for text in fig.findobj(matplotlib.text.Text):  # data text (a region named "$x$") is shown as written
        text.set_parse_math(False)
    try:
        png = _draw_once_cropped(fig)
        if png is None:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
            png = buf.getvalue()
    finally:
        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _draw_once_cropped(fig: plt.Figure) -> bytes | None:
    face = np.asarray(matplotlib.colors.to_rgba(fig.get_facecolor()))
    if (fig.get_layout_engine() is not None or fig.texts or fig.legends or fig.images or fig.patches
            or fig.lines or fig.artists or face[3] < 1):
        return None
    w, h = fig.get_size_inches()
    left, top, right, bottom = MARGIN_INCHES
    width, height = w + left + right, h + top + bottom
    for ax in fig.axes:  # keep every axes' size and place in inches
        x0, y0, aw, ah = ax.get_position(original=True).bounds
        in_layout = ax.get_in_layout()
        ax.set_position(((x0 * w + left) / width, (y0 * h + bottom) / height, aw * w / width, ah * h / height),
                        which="both")
        ax.set_in_layout(in_layout)
    fig.set_size_inches(width, height)
    fig.set_dpi(DPI)
    fig.canvas.draw()
    # the box bbox_inches="tight" would save, measured on the drawn figure (text sizes are cached)
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(PAD_INCHES)
    pixels = np.asarray(fig.canvas.buffer_rgba())
    rows, cols = pixels.shape[:2]
    left_px, right_px = int(np.floor(box.x0 * DPI)), int(np.ceil(box.x1 * DPI))
    top_px, bottom_px = rows - int(np.ceil(box.y1 * DPI)), rows - int(np.floor(box.y0 * DPI))
    if left_px < 0 or top_px < 0 or right_px > cols or bottom_px > rows:
        return None  # something lies beyond the grown canvas
    crop = pixels[top_px:bottom_px, left_px:right_px, :3]
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(crop), "RGB").save(buf, format="png", dpi=(DPI, DPI))
    return buf.getvalue()


def _grade_bands(ax: plt.Axes, grades) -> None:
    for g in grades:
        ax.axhspan(g.lower, g.upper, color=g.color, alpha=0.12, lw=0)


def trend_chart(scores: pd.DataFrame, columns: dict[str, str], grades, title: str,
                ylabel: str = "score") -> str:
    """Score lines per period (one per column) over the grade bands; returns a data URI."""
    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    _grade_bands(ax, grades)
    x = scores["period"].astype(str)
    for col, label in columns.items():
        ax.plot(x, scores[col], marker="o", lw=2 if col == "total" else 1.3, label=label)
    ax.set_ylim(0, 100)
    step = max(1, len(x) // 10)
    ax.set_xticks(range(0, len(x), step), list(x)[::step], rotation=30 if step > 1 else 0, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, y=TITLE_ON_FRAME)  # 0-100 axis: no offset text to clear
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return figure_to_data_uri(fig)


def line_chart(x: list, series: dict[str, list[float]], title: str, ylabel: str = "", percent: bool = False) -> str:
    """One line per series over a shared x axis (years, dates)."""
    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    labels = [str(v) for v in x]
    for name, values in series.items():
        ax.plot(labels, values, marker="o", ms=3, lw=1.5, label=name)
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), labels[::step], fontsize=8)
    if percent:
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel(ylabel)
    ax.set_title(title, y=TITLE_ON_FRAME if percent else None)  # a percent axis has no offset text
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return figure_to_data_uri(fig)


def radar_chart(values: dict[str, float], title: str) -> str:
    """Dimension scores on a 0-100 radar."""
    setup_cjk_font()
    labels = list(values)
    angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False)
    closed = np.r_[angles, angles[:1]]
    vals = np.r_[list(values.values()), next(iter(values.values()))]
    fig, ax = plt.subplots(figsize=(4.2, 4.2), subplot_kw={"polar": True})
    ax.plot(closed, vals, lw=2)
    ax.fill(closed, vals, alpha=0.25)
    ax.set_xticks(angles, labels, fontsize=9)
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10)
    return figure_to_data_uri(fig)


def bar_chart(labels: list[str], series: dict[str, list[float]], title: str,
              ylabel: str = "", stacked: bool = False, colors: dict[str, str] | None = None) -> str:
    """Grouped or stacked bars; ``colors`` fixes a series' colour (grades keep theirs everywhere)."""
    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    x = np.arange(len(labels))
    width = 0.8 if stacked else 0.8 / max(len(series), 1)
    bottom = np.zeros(len(labels))
    for k, (name, vals) in enumerate(series.items()):
        v = np.asarray(vals, dtype=float)
        if stacked:
            ax.bar(x, v, width, bottom=bottom, label=name, color=(colors or {}).get(name))
            bottom += v
        else:
            ax.bar(x + (k - (len(series) - 1) / 2) * width, v, width, label=name, color=(colors or {}).get(name))
    crowded = len(labels) > 8
    ax.set_xticks(x, labels, rotation=45 if crowded else 0, ha="right" if crowded else "center",
                  fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(series) > 1:
        ax.legend(fontsize=8)
    return figure_to_data_uri(fig)


def tile_map(cells: pd.DataFrame, value: str, label: str, title: str, fmt: str = "{:.0f}",
             categorical: bool = False) -> str:
    """China's 31 provinces as a tile grid (columns col, row, name, ``value``)."""
    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(7.5, 6.2))
    vals = cells[value].to_numpy(dtype=float)
    lo, hi = np.nanmin(vals), np.nanmax(vals)
    shade = matplotlib.colors.Normalize(lo, hi if hi > lo else lo + 1)  # 0 (lightest) ... 1 (darkest)
    ticks = None
    if categorical:  # one colour per whole-number category (tiers 1, 2, 3), labelled on the bar
        ticks = np.arange(lo, hi + 1)
        cmap = plt.get_cmap("YlOrRd", len(ticks))
        norm = matplotlib.colors.BoundaryNorm(np.r_[ticks - 0.5, ticks[-1] + 0.5], cmap.N)
    else:
        cmap, norm = plt.get_cmap("YlOrRd"), shade
    for _, c in cells.iterrows():
        colour = cmap(norm(c[value]))
        ax.add_patch(plt.Rectangle((c["col"], -c["row"]), 0.95, 0.95, color=colour))
        dark = shade(c[value]) > 0.6
        ax.text(c["col"] + 0.47, -c["row"] + 0.6, c["name"], ha="center", va="center", fontsize=9,
                color="white" if dark else "black")
        ax.text(c["col"] + 0.47, -c["row"] + 0.28, fmt.format(c[value]), ha="center", va="center",
                fontsize=7, color="white" if dark else "black")
    ax.set_xlim(0, cells["col"].max() + 1)
    ax.set_ylim(-cells["row"].max(), 1)
    ax.set_aspect("equal")
    ax.axis("off")
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.6, label=label, ticks=ticks)
    ax.set_title(title)
    return figure_to_data_uri(fig)


def sparkline(values: np.ndarray, threshold: float | None = None) -> str:
    """A tiny line chart (data URI) for tables."""
    fig, ax = plt.subplots(figsize=(1.6, 0.4))
    ax.plot(values, lw=1.2, color="#1f4e79")
    if threshold is not None:
        ax.axhline(threshold, lw=0.6, color="#c0392b", ls="--")
    ax.axis("off")
    fig.subplots_adjust(0, 0, 1, 1)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def network_chart(exposures, labels: list[str], size: np.ndarray, colour: np.ndarray, title: str,
                  colour_label: str) -> str:
    """Exposure network: node size ~ ``size``, colour ~ ``colour`` (e.g. DebtRank impact)."""
    import networkx as nx

    setup_cjk_font()
    graph = nx.from_scipy_sparse_array(exposures, create_using=nx.DiGraph)
    pos = nx.spring_layout(graph, seed=3, k=0.25)
    fig, ax = plt.subplots(figsize=(7.5, 6))
    nx.draw_networkx_edges(graph, pos, ax=ax, alpha=0.08, arrows=False, width=0.5)
    s = 20 + 400 * (size - size.min()) / max(np.ptp(size), 1e-12)
    nodes = nx.draw_networkx_nodes(graph, pos, ax=ax, node_size=s, node_color=colour, cmap="YlOrRd",
                                   edgecolors="#555", linewidths=0.3)
    top = np.argsort(colour)[-5:]
    nx.draw_networkx_labels(graph, pos, {int(k): labels[k] for k in top}, font_size=7, ax=ax)
    fig.colorbar(nodes, ax=ax, shrink=0.6, label=colour_label)
    ax.set_title(title)
    ax.axis("off")
    return figure_to_data_uri(fig)


def heatmap(frame: pd.DataFrame, title: str, label: str, xlabel: str = "borrower", ylabel: str = "lender") -> str:
    """A labelled matrix (e.g. region-to-region exposures)."""
    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    im = ax.imshow(frame.to_numpy(), cmap="Blues")
    ax.set_xticks(range(frame.shape[1]), frame.columns, rotation=90, fontsize=7)
    ax.set_yticks(range(frame.shape[0]), frame.index, fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.colorbar(im, ax=ax, shrink=0.6, label=label)
    ax.set_title(title, y=TITLE_ON_FRAME)  # labelled ticks: no offset text to clear
    return figure_to_data_uri(fig)
