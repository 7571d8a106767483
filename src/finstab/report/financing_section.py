"""Report section for the financing plan: reserve path, scenario path, layers."""

from __future__ import annotations

from finstab.pipelines import FinancingRun
from finstab.report.charts import bar_chart
from finstab.report.html import Section

TITLE = {"zh": "稳保基金筹资方案", "en": "Stability-fund financing plan"}


def financing_section(run: FinancingRun, lang: str = "zh") -> Section:
    plan = run.plan
    sec = Section("financing", TITLE[lang], synthetic=run.provenance.synthetic)
    sec.text(plan.summary())
    r = plan.reserve
    sec.image(bar_chart([str(y) for y in r["year"]], {"opening 期初": list(r["opening"]),
                                                      "levies 缴费": list(r["levies"]),
                                                      "income 投资收益": list(r["income"])},
                        "储备积累路径 reserve path", stacked=True), alt="reserve path")
    s = run.scenarios
    sec.text(f"{s.summary_stats['scenarios']:,} scenarios: P(reserve exhausted) {s.summary_stats['p_exhausted']:.1%}, "
             f"largest relending bridge {s.summary_stats['max_bridge']:,.1f}")
    sec.table(s.path, digits=2)
    sec.table(plan.by_bucket(), digits=6)
    sec.provenance.append(run.provenance.describe())
    sec.text(f"central layer 中央层 {run.central_layer:,.0f}; provincial layers 地方层 "
             f"{run.layers['provincial_layer'].sum():,.0f}")
    return sec
