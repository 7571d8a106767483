"""Report sections for contagion (network, ranking, region matrix) and early warning."""

from __future__ import annotations

import numpy as np

from finstab.early_warning import SIGNAL_COLUMNS, EarlyWarning
from finstab.pipelines.contagion import ContagionRun
from finstab.report.charts import heatmap, network_chart
from finstab.report.html import Section

TITLE = {"zh": "跨机构与跨区域风险传染", "en": "Contagion across banks and regions"}
WARN = {"zh": "早期预警 (KLR 信号法)", "en": "Early warning (KLR signals)"}


def contagion_section(run: ContagionRun, lang: str = "zh") -> Section:
    where = f" {run.shocked_region}" if run.shocked_region else ""
    shock = "冲击" if lang == "zh" else "shock"
    sec = Section("contagion", f"{TITLE[lang]}: {run.shock:.0%} {shock}{where}", synthetic=run.provenance.synthetic)
    run = run.with_lang(lang)
    zh = lang == "zh"
    sec.text(run.headline())
    impact = run.ranking.set_index("node").loc[run.banks["bank"], "impact"].to_numpy()
    sec.image(network_chart(run.exposures, list(run.banks["bank"]), run.banks["equity"].to_numpy(dtype=float),
                            impact, "同业敞口网络" if zh else "interbank exposure network",
                            "DebtRank 影响力" if zh else "DebtRank impact"), alt="network")
    sec.table(run.display(run.ranking.head(10)), digits=4)
    active = run.region_matrix.loc[run.region_matrix.sum(axis=1) > 0, run.region_matrix.sum(axis=0) > 0]
    sec.image(heatmap(np.log1p(active), "区域间敞口 (对数)" if zh else "region-to-region exposures (log)",
                      "log(1 + 亿元)" if zh else "log(1 + 100 million yuan)", "借款方" if zh else "borrower",
                      "贷款方" if zh else "lender"), alt="region matrix")
    sec.provenance.extend(run.footer().splitlines())
    return sec


def warning_section(run: EarlyWarning, title: str, anchor: str, lang: str = "zh") -> Section:
    run = run.with_lang(lang)
    sec = Section(anchor, f"{WARN[lang]}: {title}", synthetic=run.provenance.synthetic)
    sec.table(run.display(run.signals[SIGNAL_COLUMNS]), digits=4)
    sec.text(run.evaluation_line())
    sec.provenance.extend(run.footer().splitlines())
    return sec
