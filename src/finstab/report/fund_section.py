"""Report section for fund sizing: tile maps of fund size and tiers, sector allocation bars."""

from __future__ import annotations

from finstab.configs import provinces
from finstab.fund.sizing import FundSizing, province_names
from finstab.report.charts import bar_chart, line_chart, tile_map
from finstab.report.html import Section

TITLE = {"zh": "金融稳定保障基金规模 (或有权益分析)", "en": "Stability-fund size (contingent claims)"}
SECTOR_NAMES = {"zh": {"government": "政府", "financial": "金融", "corporate": "企业", "household": "家庭"},
                "en": {"government": "government", "financial": "financial", "corporate": "corporate",
                       "household": "household"}}


def fund_section(result: FundSizing, year: int, lang: str = "zh") -> Section:
    sec = Section("fund", f"{TITLE[lang]} {year}", synthetic=result.provenance.synthetic)
    names = SECTOR_NAMES[lang]
    prov = provinces()
    prov["name"] = prov["name_zh" if lang == "zh" else "name_en"]
    ranking = result.province_ranking(year)
    cells = prov.merge(ranking, left_on="code", right_on="province")
    sec.image(tile_map(cells, "fund", "亿元" if lang == "zh" else "100 million yuan",
                       f"{'各省基金最优规模' if lang == 'zh' else 'fund by province'} {year}"), alt="map")
    fin = result.rows(year)
    fin = fin[fin["sector"] == "financial"][["province", "relative", "tier"]]
    cells_t = prov.merge(fin, left_on="code", right_on="province")
    sec.image(tile_map(cells_t, "tier", "梯队" if lang == "zh" else "tier",
                       f"{'金融部门相对规模梯队' if lang == 'zh' else 'financial sector: tiers of relative size'}",
                       fmt="{:.0f}", categorical=True), alt="tiers")
    alloc = result.rows(year).pivot(index="province", columns="sector", values="share_in_province")
    top = ranking["province"].head(12)
    labels = [province_names(lang).get(p, p) for p in top]
    sec.image(bar_chart(labels, {names.get(s, s): list(alloc.loc[top, s]) for s in alloc.columns},
                        f"{'部门配置比例' if lang == 'zh' else 'allocation across sectors'} {year}",
                        stacked=True), alt="allocation")
    result = result.with_lang(lang)
    sec.table(result.display(result.sector_allocation(year)), digits=4)
    trends = result.trends()
    years = sorted(trends["year"].unique())
    by = {s: part.set_index("year") for s, part in trends.groupby("sector")}
    zh = lang == "zh"
    sec.images([line_chart(years, {names.get(s, s): list(p.loc[years, "mean_relative"]) for s, p in by.items()},
                           "各部门平均相对规模" if zh else "mean relative size by sector", percent=True),
                line_chart(years, {names.get(s, s): list(p.loc[years, "share"]) for s, p in by.items()},
                           "各部门配置比例" if zh else "allocation share by sector", percent=True)], alt="trends")
    tiers = result.tier_table(year)
    sec.text(f"四个部门的相对规模梯队 (1 = 最小) {year}" if zh else
             f"Tiers of relative size in all four sectors (1 = smallest), {year}")
    provs = province_names(lang)
    listing = tiers.assign(province=tiers["province"].map(provs).fillna(tiers["province"]))
    listing = listing.groupby(["sector", "tier"])["province"].apply(lambda s: "、".join(s) if zh else ", ".join(s))
    listing = listing.unstack("tier").rename(columns=lambda t: f"第{t}梯队" if zh else f"tier {t}")
    sec.table(result.display(listing.reset_index()))
    if result.monte_carlo is not None:
        mc = result.monte_carlo
        sec.text("蒙特卡洛: 整体与部门基金及分散化收益" if lang == "zh"
                 else "Monte Carlo: system and sector funds against the sum of stand-alone funds")
        sec.table(result.display(mc[~mc["group"].str.startswith("province:")]), digits=4)
    jb = result.normality
    sec.text(f"Jarque-Bera: {int(jb['lognormal_not_rejected_5pct'].sum())}/{len(jb)} "
             + ("个序列在 5% 水平不拒绝对数正态" if lang == "zh" else "series not rejected at 5 %"))
    sec.provenance.extend(result.footer().splitlines())
    return sec

