"""Report section for the bank screen: calibration summary and the IN watch list with sparklines."""

from __future__ import annotations

import html

from finstab.bank import CalibrationResult, ScreenResult
from finstab.report.charts import sparkline
from finstab.report.html import Block, Section

HEAD = {"zh": ["银行", "类型", "IN", "4季度趋势", "IN 路径", "超阈值", "异常波动", "系统性"],
        "en": ["bank", "type", "IN", "4q trend", "IN path", "above", "volatile", "systemic"]}
TITLE = {"zh": "稳保基金银行筛查 (IN 指数)", "en": "Bank screen for the stability fund (IN index)"}


def bank_section(result: ScreenResult, quarter: str, calibration: CalibrationResult | None = None,
                 lang: str = "zh") -> Section:
    sec = Section("bank", f"{TITLE[lang]} {quarter}", synthetic=result.provenance.synthetic)
    result = result.with_lang(lang)
    if calibration is not None:
        calibration = calibration.with_lang(lang)
        sec.text(calibration.summary()[: -len(calibration.footer())].strip())
    watch = result.watch_list(quarter)
    rows = []
    for _, r in watch.iterrows():
        path = result.bank(r["bank"])["in"].to_numpy()[-16:]
        cells = [html.escape(str(r["bank"])), html.escape(str(r["bank_type"])), f"{r['in']:.5f}",
                 f"{r['trend_4q']:.5f}", f'<img src="{sparkline(path, result.threshold)}" alt="IN path">',
                 "✔" if r["above_threshold"] else "", "✔" if r["abnormal_volatility"] else "",
                 "<b>✔</b>" if r["systemic_evidence"] else ""]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = HEAD[lang]
    table = ("<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>")
    sec.blocks.append(Block("table", table))
    n = len(result.dsibs["bank"].unique())
    sec.text(f"{n} 家系统重要性银行单列 (IN 指数适用于非系统重要性银行)" if lang == "zh" else
             f"{n} D-SIBs listed apart (the IN index is for non-D-SIBs).")
    sec.provenance.extend(result.footer().splitlines())
    return sec
