"""Display labels for canonical column names: tables keep canonical keys, faces show these."""

from __future__ import annotations

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
}


def column_label(column: str, lang: str, *, bilingual: bool = False) -> str:
    """The label of a canonical column; unknown columns are shown as they are.

    Examples
    --------
    >>> column_label("region", "zh"), column_label("region", "en"), column_label("grade", "zh", bilingual=True)
    ('地区', 'region', '等级 grade')
    """
    zh_en = COLUMNS.get(column)
    if zh_en is None:
        return column
    return f"{zh_en[0]} {zh_en[1]}" if bilingual else zh_en[LANGS.index(lang)]


def display_frame(df: pd.DataFrame, lang: str, *, bilingual: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with display headers (the canonical frame is not changed)."""
    return df.rename(columns={c: column_label(str(c), lang, bilingual=bilingual) for c in df.columns})
