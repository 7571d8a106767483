"""The run page's drill-down and full tables: filters by key columns, tables as people read them
(translated headers and values, grade colours), with the raw numbers kept for sorting.

The page's small script (``static/tables.js``) sorts and paginates these tables in the browser;
without it they are plain, complete HTML tables.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from finstab.core.results import Result

#: key columns a run page can be filtered by, in the order the filters are shown
DRILL_COLUMNS = ("region", "province", "sector", "bank", "entity", "market", "period", "quarter", "year", "node",
                 "node_name", "indicator")
MAX_OPTIONS = 500
#: rows a full table shows on the page (the Excel download has all of them)
MAX_ROWS = 2000


#: table key -> (Chinese, English) title; other tables are titled by their key
TABLE_TITLES: dict[str, tuple[str, str]] = {
    "scores": ("综合得分", "scores"), "alerts": ("临界预警", "threshold alerts"), "nodes": ("节点得分", "node scores"),
    "indicators": ("指标得分", "indicator scores"), "weights": ("权重", "weights"),
    "node_weights": ("节点内权重", "weights within nodes"), "membership": ("隶属度", "membership"),
    "quality": ("数据质量", "data quality"), "provinces": ("各省基金规模", "fund by province"),
    "sectors": ("各部门基金规模", "fund by sector"), "tiers": ("分档", "tiers"), "trends": ("历年趋势", "trends"),
    "funds": ("或有权益明细", "contingent-claims detail"), "jarque_bera": ("JB 正态检验", "Jarque-Bera tests"),
    "jarque_bera_by_sector": ("分部门 JB 检验", "Jarque-Bera by sector"), "monte_carlo": ("蒙特卡洛", "Monte Carlo"),
    "reserve": ("储备路径", "reserve path"), "buckets": ("风险档", "risk buckets"),
    "scenarios": ("损失情景", "loss scenarios"),
    "layers": ("中央与地方分层", "central and provincial layers"), "levies": ("缴费明细", "levies"),
    "contributors": ("缴费机构", "contributors"), "watch_list": ("观察名单", "watch list"),
    "screen": ("筛查明细", "screen"),
    "dsibs": ("系统重要性银行", "D-SIBs"), "calibration_jumps": ("校准跳点", "calibration jumps"),
    "calibration_evaluation": ("校准评估", "calibration evaluation"), "ranking": ("影响力排名", "ranking"),
    "clearing": ("清算结果", "clearing"), "cascade": ("违约级联", "default cascade"),
    "region_matrix": ("地区敞口矩阵", "region exposure matrix"), "largest_flows": ("最大地区敞口", "largest flows"),
    "banks": ("银行", "banks"), "edges": ("敞口", "exposures"), "signals": ("预警信号", "signals"),
    "composite": ("综合指数", "composite index"), "evaluation": ("预警评价", "evaluation"),
    "pairwise": ("两两溢出", "pairwise spillovers"), "directional": ("方向溢出", "directional spillovers"),
    "connectedness": ("总关联度", "connectedness"), "rolling": ("滚动关联度", "rolling connectedness"),
}


def table_title(name: str, lang: str) -> str:
    zh_en = TABLE_TITLES.get(name)
    return (zh_en[0] if lang == "zh" else zh_en[1]) if zh_en else name.replace("_", " ")


@dataclass
class Filter:
    column: str
    label: str
    options: list[tuple[str, str]]  # (value, shown text)
    current: str = ""


@dataclass
class FullTable:
    name: str
    title: str
    rows: int  # after filtering
    total: int  # before filtering
    html: str
    filtered_by: list[str] = field(default_factory=list)
    not_filtered_by: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.rows > MAX_ROWS


def chosen_filters(query: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in query.items() if k in DRILL_COLUMNS and v}


def drill_filters(result: Result, chosen: dict[str, str]) -> list[Filter]:
    """One filter per key column that takes several values in some table of the result."""
    values: dict[str, dict[str, Any]] = {}
    for table in result.tables().values():
        for col in DRILL_COLUMNS:
            if col in table.columns and table[col].nunique() > 1:
                seen = values.setdefault(col, {})
                for v in table[col].dropna().unique():
                    seen.setdefault(str(v), v)
    out = []
    for col in DRILL_COLUMNS:
        if col not in values:
            continue
        keys = sorted(values[col], key=_natural)[:MAX_OPTIONS]
        shown = _shown_values(result, col, [values[col][k] for k in keys])
        out.append(Filter(col, result.column_label(col), list(zip(keys, shown, strict=True)),
                          chosen.get(col, "")))
    return out


def _natural(text: str) -> tuple:
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


def _shown_values(result: Result, col: str, raw: list[Any]) -> list[str]:
    """How people read key values (a province code as its name), when the result labels them."""
    if col in ("region", "province", "lender_region", "borrower_region"):
        from finstab.configs import provinces

        table = provinces()
        names = dict(zip(table["code"], table["name_zh" if result.lang == "zh" else "name_en"], strict=True))
        if raw and all(str(v) in names for v in raw):
            return [f"{names[str(v)]} ({v})" for v in raw]
    try:
        shown = result.display(pd.DataFrame({col: raw}))
        # a result that names its ids adds a name column beside the id (node -> node name)
        texts = [str(v) for v in shown.iloc[:, 1 if shown.shape[1] == 2 else 0]]
        if len(texts) == len(raw):
            return [t if t == str(r) else f"{t} ({r})" for t, r in zip(texts, raw, strict=True)]
    except Exception:  # a result that cannot label a lone key column: show the keys
        pass
    return [str(v) for v in raw]


def full_tables(result: Result, chosen: dict[str, str]) -> list[FullTable]:
    """Every table of the result, filtered by the chosen key values, rendered for the page."""
    fills = _fills(result)
    out = []
    for name, table in result.tables().items():
        total = len(table)
        used = [c for c in chosen if c in table.columns]
        for col in used:
            table = table[table[col].astype(str) == chosen[col]]
        if {"score", "global_weight"} <= set(table.columns):  # each indicator's points in the total
            table = table.assign(contribution=table["score"] * table["global_weight"])
        shown = result.display(table.head(MAX_ROWS))
        colours = _column_colours(result, table.head(0), shown, fills)
        out.append(FullTable(name, table_title(name, result.lang), len(table), total,
                             render_table(shown, f"table-{name}", colours),
                             [result.column_label(c) for c in used],
                             [result.column_label(c) for c in chosen if c not in table.columns]))
    return out


def _fills(result: Result) -> dict[str, dict[str, str]]:
    try:
        return {str(k): dict(v) for k, v in result.excel_fills().items()}
    except Exception:  # a kind without grade colours
        return {}


def _column_colours(result: Result, head: pd.DataFrame, shown: pd.DataFrame,
                    fills: dict[str, dict[str, str]]) -> dict[int, dict[str, str]]:
    """Column position -> {cell text -> colour}: the workbook's grade colours on the page."""
    if not fills:
        return {}
    try:
        bilingual = list(result.display(head, bilingual=True).columns)
    except Exception:
        return {}
    if len(bilingual) != len(shown.columns):
        return {}
    return {k: fills[str(b)] for k, b in enumerate(bilingual) if str(b) in fills}


def _decimals(values: np.ndarray) -> int:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 2
    if np.all(finite == np.round(finite)):
        return 0
    return 2 if np.nanmax(np.abs(finite)) >= 100 else 4


def render_table(df: pd.DataFrame, table_id: str, colours: dict[int, dict[str, str]] | None = None) -> str:
    """An escaped HTML table; numeric cells carry their value in ``data-v`` for sorting."""
    colours = colours or {}
    cols = list(df.columns)
    kinds: list[str] = []
    formats: list[int | str | None] = []
    for k in range(len(cols)):
        s = df.iloc[:, k]
        if pd.api.types.is_bool_dtype(s):
            kinds.append("bool")
            formats.append(None)
        elif pd.api.types.is_datetime64_any_dtype(s):
            kinds.append("date")
            times = s.dropna()
            formats.append("%Y-%m-%d" if (times == times.dt.normalize()).all() else "%Y-%m-%d %H:%M:%S")
        elif pd.api.types.is_numeric_dtype(s):
            kinds.append("num")
            formats.append(_decimals(s.to_numpy(dtype=float, na_value=np.nan)))
        else:
            kinds.append("text")
            formats.append(None)
    head = "".join(f'<th data-kind="{kinds[k]}" class="{kinds[k]}">{html.escape(str(c))}</th>'
                   for k, c in enumerate(cols))
    body = []
    for row in df.itertuples(index=False, name=None):
        cells = []
        for k, v in enumerate(row):
            cells.append(_cell(v, kinds[k], formats[k], colours.get(k)))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="data" id="{html.escape(table_id)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _cell(v: Any, kind: str, fmt: int | str | None, colours: dict[str, str] | None) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return '<td class="na"></td>'
    if kind == "date":
        return f'<td class="txt">{pd.Timestamp(v).strftime(str(fmt))}</td>'
    if kind == "bool":
        return f'<td data-v="{int(bool(v))}">{"✓" if v else "–"}</td>'
    if kind == "num":
        x = float(v)
        text = f"{x:,.{fmt}f}" if math.isfinite(x) else ("∞" if x > 0 else "-∞")
        if fmt == 0 and abs(x) < 10_000:  # years, counts
            text = f"{x:.0f}"
        return f'<td class="num" data-v="{x!r}">{text}</td>'
    text = str(v)
    style = ""
    if colours and text in colours:
        style = f' style="background-color:{html.escape(colours[text])}"'
    return f'<td class="txt"{style}>{html.escape(text)}</td>'
