"""Match the columns of an analyst's table to what a method needs, in Chinese or English.

A column matches an indicator (or any named field) by its ``id``, ``name_zh``, ``name_en`` or
both names together (``不良贷款率 NPL ratio``), ignoring case, spaces, full-width forms and a
trailing unit in brackets (``不良贷款率(%)``, ``不良贷款率（%）``, ``NPL ratio [%]``). Key
columns (region, period, bank, ...) are recognised by their usual Chinese and English names.

The input tables of every method are described here once (:data:`TABLES`): the readers use
them to rename columns to canonical ids, the templates to write bilingual headers, units and
Excel data validation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from finstab.core.errors import DataError

_DROP = re.compile(r"[\s_\-·・'\"`“”‘’]+")
_BRACKETS = str.maketrans({"【": "[", "】": "]", "〔": "(", "〕": ")", "〈": "(", "〉": ")", "《": "(", "》": ")"})
_TRAILING_UNIT = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<u1>[^()]*)\)|\[(?P<u2>[^\[\]]*)\])\s*$")


def normalise(text: Any) -> str:
    """Compare-form of a header or name: NFKC (full-width -> ASCII), case-folded, no spaces,
    underscores, hyphens or quotes.

    Examples
    --------
    >>> normalise("ＮＰＬ_Ratio （％）"), normalise("不良贷款率 (%)")
    ('nplratio(%)', '不良贷款率(%)')
    """
    s = unicodedata.normalize("NFKC", str(text)).translate(_BRACKETS).casefold()
    return _DROP.sub("", s)


def split_unit(header: Any) -> tuple[str, str | None]:
    """Split a trailing unit in brackets off a header.

    Examples
    --------
    >>> split_unit("不良贷款率（%）"), split_unit("贷款余额【亿元】"), split_unit("地区")
    (('不良贷款率', '%'), ('贷款余额', '亿元'), ('地区', None))
    """
    s = unicodedata.normalize("NFKC", str(header)).translate(_BRACKETS).strip()
    m = _TRAILING_UNIT.match(s)
    if m is None or not m["name"].strip():
        return s, None
    unit = m["u1"] if m["u1"] is not None else m["u2"]
    return m["name"].strip(), unit.strip()


def _variants(header: Any) -> list[str]:
    """The header, then the header with one, two, ... trailing brackets removed (normalised)."""
    out = [normalise(header)]
    rest: str = str(header)
    for _ in range(3):
        name, unit = split_unit(rest)
        if unit is None:
            break
        out.append(normalise(name))
        rest = name
    return out


# --------------------------------------------------------------------------- units

#: Canonical unit -> spellings (compared normalised). Longest spellings are tried first.
UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "%": ("%", "百分比", "百分数", "percent", "percentage", "pct", "百分点", "percentagepoints", "pp"),
    "bp": ("bp", "bps", "基点", "basispoints", "basispoint"),
    "decimal": ("小数", "decimal", "fraction", "小数decimal"),
    "ratio": ("ratio", "倍", "times", "比值", "比率"),
    "元": ("元", "yuan", "rmb", "cny", "人民币元"),
    "千元": ("千元", "thousandyuan"),
    "万元": ("万元", "10thousandyuan", "tenthousandyuan"),
    "百万元": ("百万元", "millionyuan", "million"),
    "亿元": ("亿元", "100millionyuan", "hundredmillionyuan"),
    "万亿元": ("万亿元", "trillionyuan", "trillion"),
    "years": ("年", "years", "year", "yr"),
}
_UNIT_LOOKUP = {normalise(s): canon for canon, spellings in UNIT_SPELLINGS.items() for s in spellings}


def canonical_unit(unit: Any) -> str | None:
    """The canonical form of a unit, ``""`` for none, ``None`` if unknown.

    A bilingual unit (``亿元 100 million yuan``) is recognised by either half.

    Examples
    --------
    >>> canonical_unit("％"), canonical_unit("亿元 100 million yuan"), canonical_unit("小数 decimal")
    ('%', '亿元', 'decimal')
    >>> canonical_unit("widgets") is None
    True
    """
    if unit is None:
        return ""
    s = normalise(unit)
    if not s:
        return ""
    if s in _UNIT_LOOKUP:
        return _UNIT_LOOKUP[s]
    for part in re.split(r"\s+|/", unicodedata.normalize("NFKC", str(unit)).strip()):
        hit = _UNIT_LOOKUP.get(normalise(part))
        if hit is not None:
            return hit
    halves = re.match(r"^([^\x00-\x7f]+)\s*(.*)$", unicodedata.normalize("NFKC", str(unit)).strip())
    if halves:
        return _UNIT_LOOKUP.get(normalise(halves[1])) or _UNIT_LOOKUP.get(normalise(halves[2]))
    return None


# --------------------------------------------------------------------------- key columns

#: Role -> the names a key column goes by. The first is the canonical id.
KEY_ALIASES: dict[str, tuple[str, ...]] = {
    "region": ("region", "地区", "地市", "城市", "省份", "省", "省市", "省区", "区县", "县区", "区域", "行政区",
               "行政区划", "地区名称", "区县名称", "province", "city", "county", "district", "area"),
    "entity": ("entity", "主体", "对象", "单位名称", "名称", "name", "group", "组别"),
    "period": ("period", "期间", "时期", "报告期", "统计期", "日期", "时间", "年份", "年度", "年", "季度", "季",
               "月份", "月", "截止日期", "date", "time", "year", "quarter", "month"),
    "bank": ("bank", "银行", "机构", "机构名称", "银行名称", "机构代码", "银行代码", "bankid", "institution"),
    "indicator": ("indicator", "指标", "指标名称", "指标代码", "indicatorid", "indicatorname", "变量", "variable"),
    "value": ("value", "数值", "值", "指标值", "取值"),
    "source": ("source", "来源", "数据来源", "资料来源", "datasource"),
}
#: Period columns by what they hold, for a year column beside a quarter or month column.
YEAR_NAMES = ("年份", "年度", "年", "year")
QUARTER_NAMES = ("季度", "季", "quarter")
MONTH_NAMES = ("月份", "月", "month")


def _role_keys(names: Iterable[str]) -> set[str]:
    return {normalise(n) for n in names}


def find_keys(columns: Iterable[Any], role: str) -> list[Any]:
    """Every column that goes by a name of ``role`` (see :data:`KEY_ALIASES`), in table order.

    Examples
    --------
    >>> find_keys(["地区", "年份", "不良贷款率(%)"], "period")
    ['年份']
    >>> find_keys(["Region ", "DATE"], "region"), find_keys(["地区 region", "期间 period"], "period")
    (['Region '], ['期间 period'])
    """
    keys = _role_keys(KEY_ALIASES[role])
    return [c for c in columns if _named(c, keys)]


def _named(column: Any, keys: set[str]) -> bool:
    """The header, or every word of a bilingual header (``地区 region``), is one of ``keys``."""
    if any(v in keys for v in _variants(column)):
        return True
    words = split_unit(column)[0].split()
    return len(words) > 1 and all(normalise(w) in keys for w in words)


def find_key(columns: Iterable[Any], role: str, *, where: str = "data") -> Any | None:
    """The one column of ``role``, ``None`` if there is none; two or more is a DataError."""
    found = find_keys(columns, role)
    if len(found) > 1:
        raise DataError(f"several {role} columns: {', '.join(map(str, found))}; keep one", where=where)
    return found[0] if found else None


def is_named(column: Any, names: Iterable[str]) -> bool:
    """Whether ``column`` goes by one of ``names``."""
    return _named(column, _role_keys(names))


# --------------------------------------------------------------------------- column specs

@dataclass(frozen=True)
class ColumnSpec:
    """One column of an input table: names, unit, what a cell may hold, two sample values.

    ``kind`` is ``text``, ``number``, ``integer``, ``bool``, ``choice``, ``period``, ``quarter``
    or ``year``; ``choices`` lists the allowed values of a ``choice`` column; ``minimum`` and
    ``maximum`` bound numbers (inclusive).
    """

    id: str
    name_zh: str
    name_en: str
    unit: str = ""
    kind: str = "number"
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    samples: tuple[Any, ...] = ()
    note_zh: str = ""
    note_en: str = ""
    aliases: tuple[str, ...] = ()

    @classmethod
    def of(cls, item: Any, **extra: Any) -> ColumnSpec:
        """A spec from anything with ``id`` and optional ``name_zh``, ``name_en``, ``unit``."""
        if isinstance(item, ColumnSpec):
            return item
        if isinstance(item, str):
            return cls(item, item, item, **extra)
        return cls(str(item.id), str(getattr(item, "name_zh", item.id)), str(getattr(item, "name_en", item.id)),
                   unit=str(getattr(item, "unit", "") or ""), **extra)

    @property
    def header(self) -> str:
        """The bilingual header a template writes: ``不良贷款率 NPL ratio (%)``."""
        names = self.name_zh if self.name_zh == self.name_en else f"{self.name_zh} {self.name_en}"
        return f"{names} ({self.unit})" if self.unit else names

    def label(self, lang: str = "zh") -> str:
        """The name in one language, for messages: ``不良贷款率 (npl_ratio)``."""
        name = self.name_zh if lang == "zh" else self.name_en
        return name if name == self.id else f"{name} ({self.id})"

    def keys(self) -> tuple[set[str], set[str]]:
        """Strong keys (id, names, both names, aliases) and weak keys (names without their own
        trailing brackets), normalised."""
        strong = {normalise(x) for x in (self.id, self.name_zh, self.name_en, *self.aliases) if x}
        strong |= {normalise(self.name_zh + self.name_en), normalise(self.name_en + self.name_zh)}
        weak = {normalise(split_unit(x)[0]) for x in (self.name_zh, self.name_en)} - strong
        return strong, weak


@dataclass(frozen=True)
class ColumnMatch:
    """Which column holds each spec, the unit written in its header, and what did not match."""

    columns: dict[str, Any]  # spec id -> table column
    header_units: dict[str, str]  # spec id -> unit written in the header's brackets
    unmatched: list[Any] = field(default_factory=list)

    def rename_map(self) -> dict[Any, str]:
        return {col: sid for sid, col in self.columns.items() if col != sid}


def _index(specs: Sequence[ColumnSpec]) -> tuple[dict[str, str], dict[str, str]]:
    strong: dict[str, set[str]] = {}
    weak: dict[str, set[str]] = {}
    for s in specs:
        st, wk = s.keys()
        for k in st:
            strong.setdefault(k, set()).add(s.id)
        for k in wk:
            weak.setdefault(k, set()).add(s.id)
    unique = {k: next(iter(v)) for k, v in strong.items() if len(v) == 1}
    weak_unique = {k: next(iter(v)) for k, v in weak.items() if len(v) == 1 and k not in strong}
    return unique, weak_unique


def match_columns(columns: Iterable[Any], specs: Sequence[Any], *, where: str = "data") -> ColumnMatch:
    """Find the column of every spec (indicator, field) among a table's columns.

    Parameters
    ----------
    columns
        The table's headers.
    specs
        :class:`ColumnSpec` objects, or anything with ``id`` (and ``name_zh``, ``name_en``,
        ``unit``), or plain ids.
    where
        The file, for messages.

    Raises
    ------
    DataError
        Two columns match the same spec.

    Examples
    --------
    >>> spec = ColumnSpec("npl_ratio", "不良贷款率", "NPL ratio", unit="%")
    >>> m = match_columns(["地区", "不良贷款率（%）"], [spec])
    >>> m.columns, m.header_units, m.unmatched
    ({'npl_ratio': '不良贷款率（%）'}, {'npl_ratio': '%'}, ['地区'])
    """
    spec_list = [ColumnSpec.of(s) for s in specs]
    strong, weak = _index(spec_list)
    found: dict[str, Any] = {}
    units: dict[str, str] = {}
    unmatched: list[Any] = []
    for col in columns:
        sid = None
        variants = _variants(col)
        for k, v in enumerate(variants):
            sid = strong.get(v) or weak.get(v)
            if sid is not None:
                if k > 0:
                    units[sid] = _unit_after(col, k)
                break
        if sid is None:
            unmatched.append(col)
            continue
        if sid in found:
            raise DataError(f"columns {found[sid]} and {col} both hold {_spec(spec_list, sid).label()}; keep one",
                            where=where)
        found[sid] = col
    return ColumnMatch(found, units, unmatched)


def _unit_after(header: Any, strips: int) -> str:
    rest, unit = str(header), ""
    for _ in range(strips):
        rest, u = split_unit(rest)
        unit = u or ""
    return unit


def _spec(specs: Sequence[ColumnSpec], sid: str) -> ColumnSpec:
    return next(s for s in specs if s.id == sid)


def canonical_columns(df: pd.DataFrame, specs: Sequence[Any], *, where: str | None = None) -> pd.DataFrame:
    """Rename the columns that hold a spec to the spec's id; other columns are kept as they are.

    Units written in header brackets are kept in ``attrs["units"]`` (id -> unit).

    Examples
    --------
    >>> df = pd.DataFrame({"贷出行 lender": ["A"], "借入行 borrower": ["B"], "金额（亿元）": [1.0]})
    >>> list(canonical_columns(df, TABLES["edges"]).columns)
    ['lender', 'borrower', 'amount']
    """
    source = where or df.attrs.get("source", "data")
    m = match_columns(df.columns, specs, where=source)
    out = df.rename(columns=m.rename_map()) if m.rename_map() else df.copy()
    out.attrs = dict(df.attrs)
    units = dict(df.attrs.get("units", {}))
    for sid, col in m.columns.items():
        if col in units:
            units[sid] = units.pop(col)
    units.update(m.header_units)
    out.attrs["units"] = units
    return out


def missing_message(specs: Sequence[ColumnSpec], absent: Sequence[str], unmatched: Sequence[Any],
                    what: str = "column(s)") -> str:
    """``missing column(s) npl_ratio (不良贷款率); columns not recognised: 不良贷款(%)``."""
    by_id = {s.id: s for s in specs}
    names = ", ".join(f"{a} ({by_id[a].name_zh})" if a in by_id and by_id[a].name_zh != a else str(a)
                      for a in absent)
    extra = f"; columns not recognised: {', '.join(map(str, unmatched))}" if unmatched else ""
    return f"missing {what} {names}{extra}"


# --------------------------------------------------------------------------- input tables

def _c(id: str, zh: str, en: str, unit: str = "", kind: str = "number", **kw: Any) -> ColumnSpec:
    return ColumnSpec(id, zh, en, unit, kind, **kw)


_RATIO = "小数 decimal"
_YI = "亿元 100 million yuan"
_WANYI = "万亿元 trillion yuan"
_SOURCE = _c("source", "数据来源", "source", kind="text", required=False, samples=("示例 sample", "示例 sample"),
             note_zh="可选；写明出处，如“人民银行某分行”", note_en="optional: where the figures come from",
             aliases=("来源", "资料来源"))
_REGION = _c("region", "地区", "region", kind="text", samples=("示例区 Sample district", "示例区 Sample district"),
             aliases=KEY_ALIASES["region"][1:])
_BOOL = ("TRUE", "FALSE")

#: Input tables other than the indicator panels (which depend on the system): table -> columns.
TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "bank_panel": (
        _c("bank", "银行代码", "bank id", kind="text", samples=("CITY901", "CITY901"),
           aliases=("银行", "机构", "机构代码", "bankid")),
        _c("quarter", "季度", "quarter", kind="quarter", samples=("2024Q1", "2024Q2"),
           note_zh="如 2024Q1", note_en="like 2024Q1", aliases=("报告期", "期间", "period", "日期", "date")),
        _c("bank_type", "银行类型", "bank type", kind="text", required=False, samples=("城商行", "城商行"),
           note_zh="如 城商行、农商行、村镇银行", note_en="e.g. city commercial, rural commercial, village bank"),
        _c("dsib", "系统重要性银行", "D-SIB", kind="bool", required=False, choices=_BOOL, samples=("FALSE", "FALSE"),
           note_zh="TRUE：系统重要性银行，单独列示", note_en="TRUE for D-SIBs (listed apart)"),
        _c("pcr", "拨备覆盖率", "provision coverage ratio", _RATIO, minimum=0, maximum=50, samples=(1.85, 1.62),
           note_zh="1.5 表示 150%", note_en="1.5 means 150 %"),
        _c("ct1car", "核心一级资本充足率", "core tier-1 capital ratio", _RATIO, minimum=-1, maximum=1,
           samples=(0.105, 0.098)),
        _c("lcr", "流动性覆盖率", "liquidity coverage ratio", _RATIO, minimum=0, maximum=50, samples=(1.6, 1.4)),
        _c("cr", "集中度(房地产贷款)", "concentration (real-estate loans)", _RATIO, minimum=0, maximum=1,
           samples=(0.19, 0.21)),
        _c("lr", "杠杆率", "leverage ratio", _RATIO, minimum=-1, maximum=1, samples=(0.062, 0.058)),
        _c("inter", "关联度 INTER", "interconnectedness INTER", _WANYI, minimum=0, samples=(0.1, 0.11),
           note_zh="同业资产与负债", note_en="interbank assets and liabilities"),
        _c("amo", "规模 AMO", "size AMO", _WANYI, minimum=0, samples=(0.22, 0.23),
           note_zh="对公存款与贷款", note_en="corporate deposits and loans"),
        _c("name", "银行名称", "bank name", kind="text", required=False, samples=("示例银行", "示例银行")),
        _SOURCE,
    ),
    "failures": (
        _c("bank", "银行代码", "bank id", kind="text", samples=("CITY901", "CITY902"),
           aliases=("银行", "机构", "机构代码", "bankid")),
        _c("failure_quarter", "倒闭季度", "failure quarter", kind="quarter", samples=("2024Q2", "2023Q4"),
           note_zh="如 2021Q3", note_en="like 2021Q3", aliases=("失败季度", "风险暴露季度", "季度", "quarter")),
    ),
    "events": (
        _c("region", "地区", "region", kind="text", samples=("示例区 Sample district", "示例县 Sample county"),
           aliases=KEY_ALIASES["region"][1:]),
        _c("event_period", "事件期间", "event period", kind="period", samples=(2021, 2023),
           note_zh="与面板同一频率：2021、2021Q1 或 2021-03", note_en="same frequency as the panel",
           aliases=("事件时间", "危机期间", "event date")),
    ),
    "contributors": (
        _c("id", "机构代码", "contributor id", kind="text", samples=("BANK901", "BANK902"),
           aliases=("机构", "银行", "bank", "银行代码")),
        _c("base", "评估基数", "assessment base", _YI, minimum=0, samples=(1200.0, 350.0),
           note_zh="大于 0", note_en="greater than 0"),
        _c("in", "风险指标 IN", "risk measure (IN)", minimum=-1, maximum=1, samples=(-0.001, 0.0015),
           note_zh="IN 指数；系统重要性银行填 0", note_en="IN index; 0 for D-SIBs", aliases=("IN",)),
        _c("dsib", "系统重要性银行", "D-SIB", kind="bool", required=False, choices=_BOOL, samples=("TRUE", "FALSE")),
        _c("type", "机构类型", "type", kind="text", required=False, samples=("large", "城商行"),
           note_zh="large、national_infrastructure、central_government、central_enterprise 归中央层",
           note_en="large, national_infrastructure, central_government, central_enterprise go to the central layer"),
        _c("layer", "层级", "layer", kind="choice", required=False, choices=("central", "provincial"),
           samples=("central", "provincial"), note_zh="可留空，由规则决定", note_en="optional: the rules decide"),
        _SOURCE,
    ),
    "banks": (
        _c("bank", "银行代码", "bank id", kind="text", samples=("B901", "B902"),
           aliases=("银行", "机构", "机构代码", "bankid")),
        _REGION,
        _c("type", "类型", "type", kind="text", required=False, samples=("core 核心", "periphery 外围")),
        _c("equity", "资本", "equity", _YI, minimum=0, samples=(120.0, 35.0)),
        _c("external_assets", "外部资产", "external assets", _YI, minimum=0, samples=(1500.0, 400.0)),
        _c("external_liabilities", "外部负债", "external liabilities", _YI, minimum=0, samples=(900.0, 300.0)),
        _SOURCE,
    ),
    "edges": (
        _c("lender", "贷出行", "lender", kind="text", samples=("B901", "B902"), aliases=("债权行", "creditor")),
        _c("borrower", "借入行", "borrower", kind="text", samples=("B902", "B901"), aliases=("债务行", "debtor")),
        _c("amount", "金额", "amount", _YI, minimum=0, samples=(80.0, 25.0), aliases=("敞口", "exposure")),
        _SOURCE,
    ),
    "balance_sheets": (
        _c("province", "省份", "province", kind="text", samples=("BJ", "BJ"),
           aliases=("省", "地区", "region")),
        _c("year", "年份", "year", kind="year", minimum=1900, maximum=2200, samples=(2020, 2020), aliases=("年度",)),
        _c("sector", "部门", "sector", kind="choice", choices=("government", "financial", "corporate", "household"),
           samples=("government", "financial")),
        _c("total_liabilities", "总负债", "total liabilities", _YI, minimum=0, required=False,
           samples=(5200.0, None)),
        _c("equity_book", "账面权益", "book equity", _YI, minimum=0, required=False, samples=(8100.0, 2500.0)),
        _c("deposits", "存款", "deposits", _YI, minimum=0, required=False, samples=(None, 19000.0)),
        _c("current_liabilities", "流动负债", "current liabilities", _YI, minimum=0, required=False),
        _c("noncurrent_liabilities", "非流动负债", "non-current liabilities", _YI, minimum=0, required=False),
        _c("market_cap", "上市公司市值", "market capitalisation", _YI, minimum=0, required=False),
        _c("net_worth", "净资产", "net worth", _YI, minimum=0, required=False),
        _SOURCE,
    ),
    "market": (
        _c("year", "年份", "year", kind="year", minimum=1900, maximum=2200, samples=(2019, 2020), aliases=("年度",)),
        _c("risk_free", "无风险利率", "risk-free rate", _RATIO, minimum=-0.1, maximum=1, samples=(0.026, 0.024)),
        _c("treasury_market_to_book", "国债市值/账面值", "treasury market/book", "ratio", minimum=0,
           samples=(1.01, 1.02)),
        _c("treasury_repo_vol", "国债回购利率波动率", "treasury repo-rate volatility", _RATIO, minimum=0, maximum=10,
           samples=(0.45, 0.5)),
        _c("financials_market_to_book", "金融股市值/账面值", "financials market/book", "ratio", minimum=0,
           samples=(0.9, 0.8)),
        _c("financials_equity_vol", "金融股波动率", "financials equity volatility", _RATIO, minimum=0, maximum=10,
           samples=(0.25, 0.28)),
        _c("corporate_equity_vol", "企业股票波动率", "corporate equity volatility", _RATIO, minimum=0, maximum=10,
           samples=(0.3, 0.35)),
        _c("household_asset_vol", "家庭资产波动率", "household asset volatility", _RATIO, minimum=0, maximum=10,
           samples=(0.09, 0.1)),
        _c("mortgage_rate", "房贷利率", "mortgage rate", _RATIO, minimum=0, maximum=1, samples=(0.054, 0.052)),
        _c("household_discount_rate", "家庭贴现率", "household discount rate", _RATIO, minimum=0, maximum=1,
           samples=(0.047, 0.045)),
        _c("household_loan_term", "家庭贷款期限", "household loan term", "年 years", minimum=0, maximum=50,
           samples=(6.5, 6.6), note_zh="大于 0", note_en="greater than 0"),
        _SOURCE,
    ),
}


def specs_of(table: str | Sequence[Any]) -> tuple[ColumnSpec, ...]:
    """The specs of a named table in :data:`TABLES`, or specs made from items."""
    if isinstance(table, str):
        return TABLES[table]
    return tuple(ColumnSpec.of(s) for s in table)


def canonical_table(df: pd.DataFrame, table: str | Sequence[Any]) -> pd.DataFrame:
    """:func:`canonical_columns` for a named table of :data:`TABLES` (``"bank_panel"``, ``"edges"``, ...).

    Examples
    --------
    >>> df = pd.DataFrame({"银行代码 bank id": ["B1"], "季度": ["2024Q1"]})
    >>> list(canonical_table(df, "failures").columns)
    ['bank', 'failure_quarter']
    """
    return canonical_columns(df, specs_of(table))


def as_mapping(specs: Sequence[ColumnSpec]) -> Mapping[str, ColumnSpec]:
    return {s.id: s for s in specs}
