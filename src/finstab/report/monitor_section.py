"""Report section for a monitor result: score table, trend per dimension, radar."""

from __future__ import annotations

from finstab.monitor.model import MonitorResult
from finstab.report.charts import bar_chart, radar_chart, trend_chart
from finstab.report.html import Section


def grade_colours(result: MonitorResult) -> dict[str, str]:
    """Displayed grade name -> its colour (the same in every table and chart)."""
    return {g.name(result.lang): g.color for g in result.system.grade_scale}


TITLES = {"zh": "区域金融风险监测", "en": "Regional financial risk monitor"}


def monitor_section(result: MonitorResult, lang: str = "zh", anchor: str = "monitor",
                    max_regions: int = 6) -> Section:
    result = result.with_lang(lang)
    system = result.system
    sec = Section(anchor, f"{TITLES[lang]}: {system.name(lang)}",
                  synthetic=result.provenance.synthetic)
    sec.text(system.source)
    table = result.wide_frame(1)
    table["grade"] = table["grade"].map(result.grade_labels())
    dims = [n for n in system.tree.nodes if n.level == 1]
    names = {"total": "总体" if lang == "zh" else "total"} | {d.id: d.name(lang) for d in dims}
    latest = table[table["period"] == table["period"].max()]
    shown = latest if table["region"].nunique() > max_regions else table
    sec.table(result.display(result.wide_frame(1).loc[shown.index]), colours=grade_colours(result))
    worst = latest.nsmallest(max_regions, "total")["region"]
    for region, frame in table[table["region"].isin(worst)].groupby("region", sort=False):
        sec.image(trend_chart(frame, names, system.grade_scale,
                              f"{region}: {'各维度得分趋势' if lang == 'zh' else 'scores by dimension'}",
                              "得分" if lang == "zh" else "score"),
                  alt=f"trend {region}")
        last = frame.iloc[-1]
        sec.image(radar_chart({d.name(lang): float(last[d.id]) for d in dims},
                              f"{region} {last['period']}"), alt=f"radar {region}")
    periods = sorted(result.keys["period"].unique())
    if len(periods) >= 2:
        attr = result.label(result.attribution(periods[-2], periods[-1]))
        top = attr[attr["node"] == "total"].head(8)
        sec.text(("主要变动来源" if lang == "zh" else "Largest contributions to the change of the total")
                 + f" {periods[-2]} → {periods[-1]}")
        sec.table(result.display(top[["region", "indicator", "score_from", "score_to", "weight_in_node",
                                      "contribution"]]))
    _alerts_and_quality(sec, result)
    sec.provenance.extend(result.footer().splitlines())
    return sec


def _alerts_and_quality(sec: Section, result: MonitorResult, rows: int = 15) -> None:
    """Indicators beyond or near the critical line, and the data-quality notes."""
    zh = result.lang == "zh"
    alerts = result.alerts_frame()
    if len(alerts):
        last = alerts[alerts["period"] == alerts["period"].iloc[-1]].sort_values("score").head(rows)
        sec.text(f"{'临界预警 (最近一期)' if zh else 'Threshold alerts (latest period)'}: "
                 f"{int((alerts['alert'] == 'beyond').sum())} {'超出' if zh else 'beyond'}, "
                 f"{int((alerts['alert'] == 'near').sum())} {'接近' if zh else 'near'}")
        sec.table(result.display(last))
    quality = result.quality
    if quality is not None and len(quality):
        sec.text(f"{'数据质量' if zh else 'Data quality'}: {len(quality)} {'条记录' if zh else 'notes'}")
        sec.table(result.display(quality.head(rows)))


FCE_TITLES = {"zh": "模糊综合评价 (AHP-FCE)", "en": "Fuzzy comprehensive evaluation (AHP-FCE)"}


def fce_section(result: MonitorResult, lang: str = "zh", anchor: str = "fce",
                caption: str = "") -> Section:
    """Membership bars per layer and the B / score / grade table."""
    result = result.with_lang(lang)
    system = result.system
    sec = Section(anchor, f"{FCE_TITLES[lang]}: {system.name(lang)} {caption}".strip(),
                  synthetic=result.provenance.synthetic)
    sec.text(system.source)
    frame = result.label(result.membership_frame())
    grades = [g.name(lang) for g in system.grade_scale]
    sec.table(result.display(result.membership_frame().drop(columns="level")), digits=3,
              colours=grade_colours(result))
    last = frame[frame["period"] == frame["period"].iloc[-1]]
    sec.image(bar_chart(list(last["node_name"]), {g: list(last[g]) for g in grades},
                        f"{'各层隶属度' if lang == 'zh' else 'membership by layer'} "
                        f"({last['region'].iloc[0]}, {last['period'].iloc[0]})",
                        ylabel="隶属度" if lang == "zh" else "membership", stacked=True, colors=grade_colours(result)),
              alt="membership bars")
    sec.provenance.extend(result.footer().splitlines())
    return sec
