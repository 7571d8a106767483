"""The demo: every method on the embedded sample data, one bilingual HTML report, and every
run recorded in ``DIR/finstab.duckdb`` for ``finstab runs`` and ``finstab serve``."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from finstab.bank.memo import build_memo, load_memo_inputs
from finstab.pipelines import (
    run_bank_screen,
    run_contagion,
    run_fce,
    run_financing_plan,
    run_fund_sizing,
    run_monitor,
    run_warning,
)
from finstab.report.bank_section import bank_section
from finstab.report.contagion_section import contagion_section, warning_section
from finstab.report.financing_section import financing_section
from finstab.report.fund_section import fund_section
from finstab.report.html import write_report
from finstab.report.memo import write_memo
from finstab.report.monitor_section import fce_section, monitor_section
from finstab.samples import sample_path
from finstab.store.database import Store

TITLE = {"zh": "finstab 金融稳定分析演示报告", "en": "finstab financial-stability demo report"}
STORE_NAME = "finstab.duckdb"


STEPS = 7


def run_demo(out_dir: str | Path, lang: str = "zh", console: Console | None = None,
             store: Store | None = None) -> Path:
    """Run every module on the samples; write results, the report and the run store."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, disable=console is None) as progress:
        task = progress.add_task("demo", total=STEPS)

        def say(message: str) -> None:
            progress.update(task, description=message, completed=min(progress.tasks[0].completed + 1, STEPS))
            progress.console.print(message)

        return _demo(Path(out_dir), lang, say, store or Store(Path(out_dir) / STORE_NAME))


def _demo(out: Path, lang: str, say, store: Store) -> Path:
    zh = lang == "zh"

    say("monitor: Zibo preset on the sample panel")
    zibo = run_monitor("zibo", sample_path("zibo_sample.csv"))
    zibo.with_lang(lang).write(out / "monitor")
    store.save(zibo.with_lang(lang), "zibo — sample panel")
    sections = [monitor_section(zibo, lang)]

    say("fce: Guangxi preset on ten experts' votes and on indicator values")
    votes = run_fce("guangxi", votes=sample_path("guangxi_votes.csv"))
    values = run_fce("guangxi", data=sample_path("guangxi_values.csv"))
    votes.with_lang(lang).write(out / "fce_votes")
    store.save(votes.with_lang(lang), "guangxi — expert votes")
    store.save(values.with_lang(lang), "guangxi — indicator values")
    sections += [fce_section(votes, lang, "fce", "— 专家投票" if zh else "— expert votes"),
                 fce_section(values, lang, "fce-values", "— 指标数值" if zh else "— indicator values")]

    say("fund: contingent-claims sizing, 31 provinces x 4 sectors, Monte Carlo 2020")
    fund = run_fund_sizing(sample_path("cca"), year=2020, n_sims=50_000, seed=7)
    fund.with_lang(lang).write(out / "fund")
    store.save(fund.with_lang(lang), "fund sizing 2020 — sample")
    sections.append(fund_section(fund, 2020, lang))

    say("bank screen: IN index, calibrated threshold, decision memo for CITY003")
    screened = run_bank_screen(sample_path("banks/panel.csv"), failures=sample_path("banks/failures.csv"),
                               quarter="2021Q1")
    store.save(screened.with_lang(lang), "bank screen — sample panel, calibrated threshold")
    sections.append(bank_section(screened, "2021Q1", screened.calibration, lang))
    write_memo(build_memo(screened, load_memo_inputs(sample_path("banks/memo_inputs.yaml"))), out / "memo")

    say("financing: levies to a 600 (100 million yuan) target over 5 years; reserve scenarios; layers")
    financing = run_financing_plan(target=600, years=5)
    store.save(financing.with_lang(lang), "financing plan — target 600, 5 years")
    sections.append(financing_section(financing, lang))

    say("contagion: 20 % shock to Shanghai banks' external assets; early warning")
    contagion = run_contagion(sample_path("network/banks.csv"), sample_path("network/edges.csv"), shock=0.2,
                              region="SH")
    store.save(contagion.with_lang(lang), "contagion — 20 % shock, SH")
    sections.append(contagion_section(contagion, lang))
    sections.append(warning_section(run_warning(events=sample_path("banks/failures.csv")),
                                    "银行面板 bank panel" if zh else "bank panel", "warn-banks", lang))
    debt = run_monitor("local_debt", sample_path("themes/local_debt.csv"))
    store.save(debt.with_lang(lang), "local debt — sample provinces")
    sections.append(monitor_section(debt, lang, anchor="local-debt", max_regions=3))
    sections.append(warning_section(run_warning(system="local_debt", data=sample_path("themes/local_debt.csv"),
                                                events=sample_path("themes/local_debt_events.csv"), horizon=2),
                                    "地方债 local debt" if zh else "local debt", "warn-debt", lang))
    small = run_monitor("small_banks", sample_path("themes/small_banks.csv"))
    store.save(small.with_lang(lang), "small and medium banks — sample groups")
    sections.append(monitor_section(small, lang, anchor="small-banks"))
    say("report: writing report.html (charts, tables, embedded CJK glyphs)")
    return write_report(out / "report.html", TITLE[lang], sections, lang)
