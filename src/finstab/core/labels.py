"""Display labels for canonical column names: tables keep canonical keys, faces show these."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

LANGS = ("zh", "en")

#: canonical column -> (Chinese, English)
COLUMNS: dict[str, tuple[str, str]] = {
    "region": ("地区", "region"), "period": ("期间", "period"), "node": ("节点", "node"),
    "name": ("名称", "name"), "level": ("层级", "level"), "score": ("得分", "score"),
    "grade": ("等级", "grade"), "indicator": ("指标", "indicator"), "value": ("数值", "value"),
    "parent": ("上级", "parent"), "global_weight": ("全局权重", "global weight"),
    "local_weight": ("局部权重", "local weight"), "total": ("综合得分", "total score"),
    "bank": ("银行", "bank"), "quarter": ("季度", "quarter"), "province": ("省份", "province"),
    "sector": ("部门", "sector"), "year": ("年份", "year"), "fund": ("基金规模", "fund size"),
    "share": ("分摊比例", "share"), "tier": ("档次", "tier"), "in_index": ("IN指数", "IN index"),
    "flag": ("预警", "flag"), "impact": ("影响力", "impact"), "vulnerability": ("脆弱性", "vulnerability"),
    "payment": ("清偿支付", "payment"), "defaulted": ("违约", "defaulted"), "key": ("项目", "key"),
    "response": ("响应级别", "response level"), "near_threshold": ("临界", "near threshold"),
    "node_name": ("节点名称", "node name"), "indicator_name": ("指标名称", "indicator name"),
    "id_name": ("名称", "name"), "parent_name": ("上级名称", "parent name"), "kind": ("类别", "kind"),
    "score_from": ("起始得分", "score from"), "score_to": ("结束得分", "score to"),
    "weight_in_node": ("节点内权重", "weight in node"), "contribution": ("贡献(分)", "contribution (points)"),
    "max_membership": ("最大隶属等级", "max-membership grade"), "direction": ("方向", "direction"),
    "threshold": ("阈值", "threshold"), "nsr": ("噪声信号比", "noise-to-signal"), "hit_rate": ("命中率", "hit rate"),
    "false_alarm_rate": ("误报率", "false-alarm rate"), "relative_usefulness": ("相对有用性", "relative usefulness"),
    "mean_fund": ("平均基金规模", "mean fund"), "mean_relative": ("平均相对规模", "mean relative size"),
    "relative": ("相对规模", "relative size"), "market_value": ("市值", "market value"),
    "payments": ("清偿支付", "payments"), "obligations": ("应付总额", "obligations"),
    "net_worth": ("净值", "net worth"), "external_paid": ("对外偿付", "external paid"),
    "opening": ("期初", "opening"), "levies": ("缴费", "levies"), "income": ("投资收益", "income"),
    "closing": ("期末", "closing"), "surcharge": ("附加费", "surcharge"), "loss": ("损失", "loss"),
    "bridge": ("再贷款过桥", "relending bridge"), "repayment": ("偿还", "repayment"), "debt": ("负债", "debt"),
    "banks": ("银行数", "banks"), "rate_min": ("最低费率", "lowest rate"), "rate_max": ("最高费率", "highest rate"),
    "levy": ("缴费额", "levy"), "bucket": ("风险档", "risk bucket"), "exposure": ("敞口", "exposure"),
    "lender_region": ("出借地区", "lender region"), "borrower_region": ("借入地区", "borrower region"),
    "group": ("组别", "group"), "expected": ("期望值", "expected value"), "var_fund": ("VaR 基金", "VaR fund"),
    "es_fund": ("ES 基金", "ES fund"), "sum_of_parts": ("分项之和", "sum of parts"),
    "diversification_benefit": ("分散化收益", "diversification benefit"), "jb_stat": ("JB 统计量", "JB statistic"),
    "p_value": ("p 值", "p-value"), "impact_rank": ("影响力排名", "impact rank"),
    "composite": ("综合指数", "composite"),
    "pre_crisis": ("危机前窗口", "pre-crisis window"), "entity": ("主体", "entity"), "round": ("轮次", "round"),
    "provincial_layer": ("地方层", "provincial layer"), "total_fund": ("基金总额", "total fund"),
    "allocation_share": ("分配比例", "allocation share"), "alert": ("预警", "alert"),
    "points_above_boundary": ("高出等级边界(分)", "points above boundary"),
    "central_pool_allocation": ("中央池分配", "central-pool allocation"), "year_": ("年", "year"),
    "id": ("代码", "id"), "weight": ("权重", "weight"), "type": ("类型", "type"), "source": ("来源", "source"),
    "tier_corporate": ("非金融企业部门梯队", "corporate tier"), "tier_financial": ("金融部门梯队", "financial tier"),
    "tier_government": ("政府部门梯队", "government tier"), "tier_household": ("家庭部门梯队", "household tier"),
    "equity": ("股权价值", "equity"), "equity_vol": ("股权波动率", "equity volatility"),
    "default_point": ("违约点", "default point"), "asset_value": ("资产市值", "asset value"),
    "asset_vol": ("资产波动率", "asset volatility"), "debt_value": ("风险债务价值", "risky debt value"),
    "distance_to_default": ("违约距离", "distance to default"),
    "default_probability": ("违约概率", "default probability"), "converged": ("已收敛", "converged"),
    "mu": ("漂移率 μ", "drift μ"), "sigma": ("波动率 σ", "volatility σ"),
    "share_in_province": ("省内占比", "share in province"), "share_in_sector": ("部门内占比", "share in sector"),
    "lognormal_not_rejected_5pct": ("5%水平不拒绝对数正态", "lognormal not rejected at 5 %"),
    "series": ("序列", "series"), "not_rejected_5pct": ("5%水平不拒绝", "not rejected at 5 %"),
    "min_p_value": ("最小 p 值", "smallest p-value"), "var_se": ("VaR 标准误", "VaR standard error"),
    "es_se": ("ES 标准误", "ES standard error"), "bank_type": ("银行类型", "bank type"),
    "in": ("IN指数", "IN index"), "trend_4q": ("近4季趋势", "4-quarter trend"),
    "size_multiplier": ("规模乘数", "size multiplier"), "in_vol": ("IN波动率", "IN volatility"),
    "above_threshold": ("超过阈值", "above threshold"), "abnormal_volatility": ("异常波动", "abnormal volatility"),
    "systemic_evidence": ("系统性影响证据", "systemic-impact evidence"), "dsib": ("系统重要性银行", "D-SIB"),
    "inter": ("关联度(万亿元)", "interconnectedness (trillion yuan)"),
    "amo": ("对公存贷款(万亿元)", "corporate deposits and loans (trillion yuan)"),
    "deviation": ("偏离度", "deviation"), "vol_vs_own": ("波动率/自身中位数", "volatility / own median"),
    "vol_pct_cross": ("截面百分位", "cross-section percentile"), "watch": ("关注", "watch"),
    "jump_quarter": ("跳变季度", "jump quarter"), "in_at_jump": ("跳变处IN", "IN at the jump"),
    "failure_quarter": ("出险季度", "failure quarter"), "failed": ("出险", "failed"),
    "first_alarm": ("首次预警", "first alarm"), "hit": ("命中", "hit"),
    "lead_quarters": ("提前季度数", "lead (quarters)"),
    "base": ("计费基数", "levy base"), "risk": ("风险", "risk"), "multiplier": ("乘数", "multiplier"),
    "rate": ("费率", "rate"), "layer": ("层级", "layer"), "lender": ("出借方", "lender"),
    "borrower": ("借入方", "borrower"), "amount": ("金额", "amount"),
    "external_assets": ("外部资产", "external assets"), "external_liabilities": ("外部负债", "external liabilities"),
    "usefulness": ("有用性", "usefulness"), "events_warned": ("预警命中事件", "events warned"),
    "events": ("事件数", "events"), "mean_lead": ("平均提前期", "mean lead"), "market": ("市场", "market"),
    "own": ("自身", "own"), "to_others": ("对其他", "to others"), "from_others": ("来自其他", "from others"),
    "net": ("净溢出", "net"), "date": ("日期", "date"),
}


def column_label(column: str, lang: str, *, bilingual: bool = False,
                 extra: Mapping[str, tuple[str, str]] | None = None) -> str:
    """The label of a canonical column (``extra`` first, then :data:`COLUMNS`); unknown columns
    are shown as they are.

    Examples
    --------
    >>> column_label("region", "zh"), column_label("region", "en"), column_label("grade", "zh", bilingual=True)
    ('地区', 'region', '等级 grade')
    >>> column_label("pcr", "zh", extra={"pcr": ("拨备覆盖率", "provision coverage ratio")})
    '拨备覆盖率'
    """
    zh_en = (extra or {}).get(column) or COLUMNS.get(column)
    if zh_en is None:
        return column
    return f"{zh_en[0]} {zh_en[1]}" if bilingual else zh_en[LANGS.index(lang)]


def display_frame(df: pd.DataFrame, lang: str, *, bilingual: bool = False,
                  extra: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """A copy of ``df`` with display headers (the canonical frame is not changed)."""
    return df.rename(columns={c: column_label(str(c), lang, bilingual=bilingual, extra=extra) for c in df.columns})
