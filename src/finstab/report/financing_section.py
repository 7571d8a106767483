"""Report section for the financing plan: reserve path, scenario path, layers."""

from __future__ import annotations

from finstab.fund.financing import FinancingPlan
from finstab.report.charts import bar_chart
from finstab.report.html import Section

TITLE = {"zh": "稳保基金筹资方案", "en": "Stability-fund financing plan"}


def financing_section(run: FinancingPlan, lang: str = "zh") -> Section:
    run = run.with_lang(lang)
    plan = run.plan
    sec = Section("financing", TITLE[lang], synthetic=run.provenance.synthetic)
    sec.text(plan.summary())
    r = plan.reserve
    parts = {c: run.display(r[[c]]).columns[0] for c in ("opening", "levies", "income")}
    sec.image(bar_chart([str(y) for y in r["year"]], {label: list(r[c]) for c, label in parts.items()},
                        "储备积累路径" if lang == "zh" else "reserve path", stacked=True), alt="reserve path")
    for line in run.summary().splitlines()[1:3]:
        sec.text(line)
    sec.table(run.display(run.scenarios), digits=2)
    sec.table(run.display(plan.by_bucket()), digits=6)
    sec.provenance.extend(run.footer().splitlines())
    return sec
