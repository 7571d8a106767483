"""One report section per kind of result: the demo, ``finstab report`` and the web render the same."""

from __future__ import annotations

from collections.abc import Callable

from finstab.core.results import Result, StoredResult
from finstab.report.html import Section

PREVIEW_ROWS = 60
TITLES = {"zh": "分析结果", "en": "Results"}


def generic_section(result: Result, lang: str, anchor: str) -> Section:
    """Summary, every table (first rows) and provenance: for kinds without a dedicated section."""
    result = result.with_lang(lang)
    sec = Section(anchor, f"{TITLES[lang]}: {result.kind}", synthetic=result.provenance.synthetic)
    for name, table in result.display_tables().items():
        more = f" ({PREVIEW_ROWS} / {len(table)})" if len(table) > PREVIEW_ROWS else ""
        sec.text(f"{name}{more}")
        sec.table(table.head(PREVIEW_ROWS), digits=4)
    sec.provenance.extend(result.footer().splitlines())
    return sec


def _monitor(result, lang: str, anchor: str) -> Section:
    from finstab.report.monitor_section import fce_section, monitor_section

    return fce_section(result, lang, anchor) if result.method == "fce" else monitor_section(result, lang, anchor)


def _fund(result, lang: str, anchor: str) -> Section:
    from finstab.report.fund_section import fund_section

    return fund_section(result, result.shown_year, lang)


def _financing(result, lang: str, anchor: str) -> Section:
    from finstab.report.financing_section import financing_section

    return financing_section(result, lang)


def _contagion(result, lang: str, anchor: str) -> Section:
    from finstab.report.contagion_section import contagion_section

    return contagion_section(result, lang)


def _warning(result, lang: str, anchor: str) -> Section:
    from finstab.report.contagion_section import warning_section

    return warning_section(result, result.provenance.parameters.get("system") or "bank panel", anchor, lang)


def _bank(result, lang: str, anchor: str) -> Section:
    from finstab.report.bank_section import bank_section

    return bank_section(result, str(result.quarter), result.calibration, lang)


def _spillover(result, lang: str, anchor: str) -> Section:
    from finstab.report.spillover_section import spillover_section

    return spillover_section(result, lang)


def _multilayer(result, lang: str, anchor: str) -> Section:
    from finstab.report.spillover_section import multilayer_section

    return multilayer_section(result, lang)


SECTIONS: dict[str, Callable[[Result, str, str], Section]] = {
    "monitor": _monitor, "fund_sizing": _fund, "financing_plan": _financing, "contagion": _contagion,
    "early_warning": _warning, "bank_screen": _bank, "spillover": _spillover,
    "multilayer": _multilayer,
}


def section_for(result: Result, lang: str = "zh", anchor: str | None = None) -> Section:
    """The report section of any result (its kind's own, or the generic one)."""
    make = generic_section if isinstance(result, StoredResult) else SECTIONS.get(result.kind, generic_section)
    section = make(result, lang, anchor or result.kind)
    section.anchor = anchor or section.anchor
    return section
