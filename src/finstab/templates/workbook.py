"""Build and write the input templates.

Every template has an instructions sheet first (``说明 instructions``: what the workbook is
for, how to fill it, one line per column with meaning, unit, allowed values and whether it is
required), then its data sheet(s): one bilingual header row with units (``不良贷款率 NPL
ratio (%)``), two sample rows (expert votes: one per indicator; the memo: every field),
Excel data validation on every column with a range or a fixed set, frozen header.
The readers find the data sheet by name and skip the instructions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finstab.core.columns import TABLES, ColumnSpec
from finstab.core.errors import ConfigError
from finstab.core.io import atomic_write
from finstab.core.validate import check_option

#: Kind -> (Chinese title, English title, what the filled workbook is read by).
KINDS: dict[str, tuple[str, str, str]] = {
    "monitor": ("区域金融风险监测面板", "monitor panel", "finstab monitor --data FILE --system NAME"),
    "votes": ("模糊综合评价专家投票", "FCE expert votes", "finstab fce --votes FILE --system NAME"),
    "banks": ("银行面板（IN 指数）", "bank panel (IN index)", "finstab bank screen --data FILE"),
    "failures": ("倒闭银行", "bank failures", "finstab bank calibrate --failures FILE"),
    "memo": ("决策备忘录输入", "decision-memo inputs", "finstab bank memo --inputs FILE"),
    "cca": ("或有权益分析：资产负债表与市场数据", "CCA balance sheets and market data",
            "finstab fund size --data FILE"),
    "network": ("银行间网络：银行与敞口", "interbank network: banks and exposures",
                "finstab contagion --banks FILE --edges FILE"),
    "contributors": ("稳定保障基金缴费机构", "fund contributors", "finstab fund plan --contributors FILE"),
    "events": ("预警事件", "warning events", "finstab warn --events FILE --system NAME --data PANEL"),
}
#: Rows of each data sheet that carry data validation.
VALIDATED_ROWS = 2000
INSTRUCTIONS = "说明 instructions"
LISTS = "_lists"
HEADER_FILL = "DDEBF7"
SAMPLE_FILL = "FFF2CC"


@dataclass
class Sheet:
    """A data sheet: its name, columns and rows (sample values, ``None`` for empty)."""

    name: str
    columns: list[ColumnSpec]
    rows: list[list[Any]]
    note_zh: str = ""
    note_en: str = ""
    #: (row index, column index) -> spec overriding the column's for that cell (memo fields)
    cell_specs: dict[tuple[int, int], ColumnSpec] = field(default_factory=dict)


_REGION = ColumnSpec("region", "地区", "region", kind="text", note_zh="地区、地市、区县或机构组", note_en="region")
_PERIOD = ColumnSpec("period", "期间", "period", kind="period",
                     note_zh="一个面板只用一种频率：2021、2021年、2021Q1、2021年一季度、2021-03 或日期",
                     note_en="one frequency per panel: 2021, 2021Q1, 2021-03 or a date")
_SOURCE = ColumnSpec("source", "数据来源", "source", kind="text", required=False,
                     note_zh="可选：数据出处", note_en="optional: where the figures come from")
_SAMPLE_REGION = "示例区 Sample district"
_SAMPLE_SOURCE = "示例数据，请替换 sample - replace"
_TYPE_ZH = {"positive": "正向（越大越安全）", "negative": "逆向（越大越危险）", "moderate": "适度（区间内最安全）"}


def _system(system: Any, default: str):
    from finstab.monitor.systems import load_system
    from finstab.monitor.systems.schema import IndicatorSystem

    if isinstance(system, IndicatorSystem):
        return system
    return load_system(system if system is not None else default)


def _typical(ind: Any, shift: int) -> float:
    """A value scoring in the middle of an indicator's scale (``shift`` moves one cut)."""
    if ind.type == "moderate":
        lo, hi = ind.cuts[-1], ind.high_cuts[0]
        return round(lo + (hi - lo) * (0.4 + 0.2 * shift), 4)
    k = len(ind.cuts) // 2 - 1 + shift
    return round((ind.cuts[k] + ind.cuts[k + 1]) / 2, 4)


def _monitor(system: Any) -> list[Sheet]:
    s = _system(system, "zibo")
    inds = list(s.tree.indicators)
    cols = [_REGION, _PERIOD]
    for i in inds:
        cuts = ", ".join(f"{c:g}" for c in i.cuts) + (f" | {', '.join(f'{c:g}' for c in i.high_cuts)}"
                                                     if i.high_cuts else "")
        cols.append(ColumnSpec(i.id, i.name_zh, i.name_en, i.unit, "number",
                               note_zh=f"{_TYPE_ZH[i.type]}；临界值 {cuts}",
                               note_en=f"{i.type}; critical values {cuts}"))
    cols.append(_SOURCE)
    rows = [[_SAMPLE_REGION, year, *(_typical(i, k) for i in inds), _SAMPLE_SOURCE]
            for k, year in enumerate((2023, 2024))]
    return [Sheet("数据 data", cols, rows, f"{s.name_zh}：每行一个地区一个期间，每列一个指标。",
                  f"{s.name_en}: one row per region and period, one column per indicator.")]


def _votes(system: Any) -> list[Sheet]:
    s = _system(system, "guangxi")
    if not s.grades:
        raise ConfigError("this system has no named grades, so it takes no expert votes; use a system with "
                          "a grades list (e.g. guangxi)", where=s.id)
    inds = list(s.tree.indicators)
    cols = [ColumnSpec("indicator", "指标代码", "indicator id", kind="choice", choices=tuple(i.id for i in inds)),
            ColumnSpec("name", "指标名称", "indicator name", kind="text", required=False,
                       note_zh="仅供参考，读取时忽略", note_en="for reference; not read"),
            ColumnSpec("region", "地区", "region", kind="text", required=False, note_zh="可选", note_en="optional"),
            ColumnSpec("period", "期间", "period", kind="period", required=False, note_zh="可选", note_en="optional")]
    cols += [ColumnSpec(g.key, g.name_zh, g.name_en, "票 votes", "integer", minimum=0, maximum=1000,
                        note_zh="投该等级的专家人数", note_en="experts voting for this grade") for g in s.grades]
    cols.append(_SOURCE)
    n = len(s.grades)
    rows = []
    for k, i in enumerate(inds):
        counts = [(k + j) % 4 for j in range(n)]
        counts[-1] += 10 - sum(counts)
        rows.append([i.id, i.name_zh, _SAMPLE_REGION, 2024, *counts, _SAMPLE_SOURCE])
    return [Sheet("数据 data", cols, rows, f"{s.name_zh}：每行一个指标，各等级的得票数之和为专家人数。",
                  f"{s.name_en}: one row per indicator; the votes of a row add up to the number of experts.")]


def _table(name: str, sheet: str, note_zh: str, note_en: str) -> Sheet:
    cols = list(TABLES[name])
    rows = [[c.samples[k] if len(c.samples) > k else None for c in cols] for k in range(2)]
    for row in rows:
        for j, c in enumerate(cols):
            if c.kind == "bool" and isinstance(row[j], str):
                row[j] = row[j] == "TRUE"
    return Sheet(sheet, cols, rows, note_zh, note_en)


def _memo(_: Any) -> list[Sheet]:
    from finstab.core.config import read_yaml
    from finstab.samples import sample_path

    path = sample_path("banks/memo_inputs.yaml")
    sample = read_yaml(path.read_text(encoding="utf-8"), str(path))
    items = {"bank": ("银行代码", "bank id"),
             "measures_taken": ("1 已采取的措施", "2 measures taken so far"),
             "why_risk_evolves": ("3 风险仍在演化的原因", "3 why the risk still evolves"),
             "harm_of_not_intervening": ("5 不干预的危害", "5 harm of not intervening"),
             "intervention_plan": ("6 干预方案", "6 intervention plan"),
             "uninsured_deposits": ("7 未保险存款的处理", "7 treatment of uninsured deposits"),
             "moral_hazard": ("8 道德风险的权衡", "8 the moral-hazard trade-off"),
             "qualitative": ("4 定性证据", "4 qualitative evidence"),
             "loss": ("损失", "loss"), "balance_sheet": ("资产负债表", "balance sheet"),
             "funds": ("可用资金", "funds available"), "unit": ("金额单位", "unit of amounts")}
    cols = [ColumnSpec("field", "字段", "field", kind="text"),
            ColumnSpec("about_zh", "中文说明", "description (Chinese)", kind="text", required=False),
            ColumnSpec("about_en", "英文说明", "description (English)", kind="text", required=False),
            ColumnSpec("value", "值", "value", kind="text")]
    rows: list[list[Any]] = []
    specs: dict[tuple[int, int], ColumnSpec] = {}

    def walk(prefix: str, value: Any, zh: str, en: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}", v, f"{zh} · {k}", f"{en} · {k}")
            return
        leaf = prefix.rsplit(".", 1)[-1]
        if leaf == "level":
            specs[(len(rows), 3)] = ColumnSpec("level", "等级", "level", kind="choice",
                                               choices=("low", "medium", "high"))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            specs[(len(rows), 3)] = ColumnSpec(leaf, leaf, leaf, "亿元" if leaf != "payout_admin_rate" else "",
                                               "number", minimum=0)
        rows.append([prefix, zh, en, value])

    for key, (zh, en) in items.items():
        walk(key, sample[key], zh, en)
    return [Sheet("fields 字段", cols, rows,
                  "决策备忘录的分析师输入：每行一个字段，只填“值”列（示例为合成银行 CITY003）。",
                  "Analyst inputs of the decision memo: one field per row; fill the value column only "
                  "(the sample is the synthetic bank CITY003).", specs)]


def _network(_: Any) -> list[Sheet]:
    return [_table("banks", "banks 银行", "每行一家银行（金额单位：亿元）。", "One row per bank (100 million yuan)."),
            _table("edges", "edges 敞口", "每行一笔银行间敞口：贷出行借给借入行的金额。",
                   "One row per interbank exposure: what the lender has lent to the borrower.")]


def _cca(_: Any) -> list[Sheet]:
    return [_table("balance_sheets", "balance_sheets 资产负债表",
                   "每行一个省份、年份、部门的账面资产负债（亿元）；各部门所需字段见说明。",
                   "One row per province, year and sector: book values (100 million yuan); the fields each sector "
                   "needs are listed in the instructions."),
            _table("market", "market 市场", "每行一年的全国市场数据。", "One row per year: national market inputs.")]


BUILDERS: dict[str, Callable[[Any], list[Sheet]]] = {
    "monitor": _monitor,
    "votes": _votes,
    "banks": lambda _: [_table("bank_panel", "数据 data", "每行一家银行一个季度；比率填小数（1.5 表示 150%）。",
                               "One row per bank and quarter; ratios as decimals (1.5 = 150 %).")],
    "failures": lambda _: [_table("failures", "数据 data", "每行一家倒闭（或被处置）的银行及其季度。",
                                  "One row per failed (or resolved) bank and its quarter.")],
    "memo": _memo,
    "cca": _cca,
    "network": _network,
    "contributors": lambda _: [_table("contributors", "数据 data", "每行一家缴费机构。", "One row per contributor.")],
    "events": lambda _: [_table("events", "数据 data", "每行一个预警事件：地区及事件发生的期间。",
                                "One row per event: the region and the period it happened in.")],
}


def template_sheets(kind: str, system: Any = None) -> list[Sheet]:
    """The data sheets of a template (columns and sample rows), before they are written.

    Examples
    --------
    >>> [c.id for c in template_sheets("failures")[0].columns]
    ['bank', 'failure_quarter']
    """
    check_option(kind, tuple(KINDS), "kind")
    if system is not None and kind not in ("monitor", "votes"):
        raise ConfigError(f"a {kind} template does not depend on an indicator system", where="system")
    return BUILDERS[kind](system)


def write_template(kind: str, path: str | Path, system: Any = None) -> Path:
    """Write the input workbook of ``kind`` (see :data:`KINDS`) to ``path`` (``.xlsx``).

    Parameters
    ----------
    kind
        ``monitor``, ``votes``, ``banks``, ``failures``, ``memo``, ``cca``, ``network``,
        ``contributors`` or ``events``.
    path
        The workbook to write (atomically; an existing file is replaced).
    system
        ``monitor`` and ``votes``: a preset name, a YAML path or an
        :class:`~finstab.monitor.systems.schema.IndicatorSystem` (default ``zibo`` and
        ``guangxi``).

    Returns
    -------
    pathlib.Path
        The workbook written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from openpyxl import load_workbook
    >>> out = write_template("network", pathlib.Path(tempfile.mkdtemp()) / "network.xlsx")
    >>> load_workbook(out).sheetnames
    ['说明 instructions', 'banks 银行', 'edges 敞口']
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ConfigError(f"a template is an .xlsx workbook, not '{target.suffix or '(none)'}'", where=str(target))
    if target.exists() and target.is_dir():
        raise ConfigError("is a folder; give a file name ending in .xlsx", where=str(target))
    sheets = template_sheets(kind, system)
    return atomic_write(target, lambda tmp: _save(kind, sheets, tmp))


def _save(kind: str, sheets: Sequence[Sheet], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    info = wb.active
    info.title = INSTRUCTIONS
    lists = None
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name[:31])
        lists = _fill(ws, sheet, wb, lists)
    _instructions(info, kind, sheets)
    wb.active = 0
    wb.save(path)


def _fill(ws: Any, sheet: Sheet, wb: Any, lists: Any) -> Any:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.append([c.header for c in sheet.columns])
    for row in sheet.rows:
        ws.append(row)
    for j, c in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", start_color=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        note = "; ".join(x for x in (c.note_zh, c.note_en) if x)
        if note:
            cell.comment = Comment(note, "finstab")
        width = max(len(c.header) + 4, *(len(str(r[j - 1])) + 2 for r in sheet.rows if r[j - 1] is not None), 10)
        ws.column_dimensions[get_column_letter(j)].width = min(width, 48)
        for r in range(2, len(sheet.rows) + 2):
            ws.cell(row=r, column=j).fill = PatternFill("solid", start_color=SAMPLE_FILL)
    ws.freeze_panes = "A2"
    for j, c in enumerate(sheet.columns, start=1):
        if sheet.cell_specs and any(k[1] == j - 1 for k in sheet.cell_specs):
            continue
        letter = get_column_letter(j)
        lists = _validate(ws, c, f"{letter}2:{letter}{VALIDATED_ROWS + 1}", wb, lists)
    for (r, j), spec in sheet.cell_specs.items():
        ref = f"{get_column_letter(j + 1)}{r + 2}"
        lists = _validate(ws, spec, ref, wb, lists)
    return lists


def _validate(ws: Any, c: ColumnSpec, ref: str, wb: Any, lists: Any) -> Any:
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = None
    if c.kind in ("choice", "bool"):
        options = ("TRUE", "FALSE") if c.kind == "bool" else c.choices
        inline = ",".join(options)
        if len(inline) <= 200:
            formula = f'"{inline}"'
        else:
            if lists is None:
                lists = wb.create_sheet(LISTS)
                lists.sheet_state = "hidden"
            col = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value is not None else 1
            for k, v in enumerate(options, start=1):
                lists.cell(row=k, column=col, value=v)
            from openpyxl.utils import get_column_letter

            letter = get_column_letter(col)
            formula = f"'{LISTS}'!${letter}$1:${letter}${len(options)}"
        dv = DataValidation(type="list", formula1=formula, allow_blank=not c.required)
        expected = f"one of {', '.join(options)}" if len(inline) <= 200 else "a value from the list"
    elif c.kind in ("number", "integer", "year"):
        kind = "decimal" if c.kind == "number" else "whole"
        lo = c.minimum if c.minimum is not None else -1e15
        hi = c.maximum if c.maximum is not None else 1e15
        dv = DataValidation(type=kind, operator="between", formula1=f"{lo:g}", formula2=f"{hi:g}",
                            allow_blank=True)
        what = "a whole number" if kind == "whole" else "a number"
        bounds = "" if c.minimum is None and c.maximum is None else \
            f" from {lo:g}" + ("" if c.maximum is None else f" to {hi:g}")
        expected = f"{what}{bounds}"
    if dv is None:
        return lists
    dv.error = f"{c.name_zh}：{expected} / {c.name_en}: {expected}"
    dv.errorTitle = "finstab"
    dv.showErrorMessage = True
    note = "; ".join(x for x in (c.note_zh, c.note_en) if x)
    dv.prompt = (f"{expected}{'; ' + c.unit if c.unit else ''}{'; ' + note if note else ''}")[:250]
    dv.promptTitle = c.name_zh[:32]
    dv.showInputMessage = True
    ws.add_data_validation(dv)
    dv.add(ref)
    return lists


def _instructions(ws: Any, kind: str, sheets: Sequence[Sheet]) -> None:
    from openpyxl.styles import Alignment, Font

    zh, en, command = KINDS[kind]
    lines: list[list[Any]] = [
        [f"finstab 输入模板：{zh}", f"finstab input template: {en}"],
        [],
        ["填写方法", "How to fill it in"],
        ["在数据表中逐行填写；黄色的两行是示例，请替换或删除。",
         "Fill the data sheet row by row; the two yellow rows are samples: replace or delete them."],
        ["不要改动表头（可以在表头后加括号注明单位，如“不良贷款率(%)”）。",
         "Keep the header row (a unit in brackets after a header, like 'NPL ratio (%)', is fine)."],
        ["数值只填数字，不带单位；空单元格表示缺失。",
         "Numbers only, without units; an empty cell is a missing value."],
        ["可以另存为 CSV（UTF-8 或 GBK 均可）。", "You may save a sheet as CSV (UTF-8 or GBK)."],
        [f"读取命令：{command}", f"Read with: {command}"],
        [],
    ]
    for sheet in sheets:
        lines.append([f"表 {sheet.name}", sheet.note_en])
        lines.append([sheet.note_zh, ""])
        lines.append(["列 column", "含义 meaning", "单位 unit", "必填 required", "允许值 allowed", "说明 note"])
        for c in sheet.columns:
            allowed = ", ".join(c.choices) if c.kind == "choice" and len(c.choices) <= 12 else \
                "TRUE, FALSE" if c.kind == "bool" else \
                "见下拉列表 see the drop-down list" if c.kind == "choice" else \
                f"{'' if c.minimum is None else f'≥ {c.minimum:g}'}" \
                f"{'' if c.maximum is None else f' ≤ {c.maximum:g}'}".strip()
            lines.append([c.header, f"{c.name_zh} / {c.name_en}", c.unit, "是 yes" if c.required else "否 no",
                          allowed, "; ".join(x for x in (c.note_zh, c.note_en) if x)])
        lines.append([])
    for row in lines:
        ws.append(row)
    ws["A1"].font = Font(bold=True, size=14)
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str) and (cell.value.startswith(("表 ", "列 column")) or
                                                cell.value in ("填写方法", "How to fill it in")):
                cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (40, 48, 16, 12, 28, 60), strict=True):
        ws.column_dimensions[letter].width = width
