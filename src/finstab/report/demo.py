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
from finstab.report.background import Background
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
             store: Store | None = None, workers: int = 0) -> Path:
    """Run every module on the samples; write results, the report and the run store.

    ``workers=1`` draws the report's sections in a second process while the methods run (see
    :class:`~finstab.report.background.Background`: the calling script needs a ``__main__`` guard).
    """
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, disable=console is None) as progress:
        task = progress.add_task("demo", total=STEPS)

        def say(message: str) -> None:
            progress.update(task, description=message, completed=min(progress.tasks[0].completed + 1, STEPS))
            progress.console.print(message)

        return _demo(Path(out_dir), lang, say, store or Store(Path(out_dir) / STORE_NAME), workers)


def _demo(out: Path, lang: str, say, store: Store, workers: int) -> Path:
    zh = lang == "zh"
    with Background(workers) as draw:  # sections are drawn in a second process while the next method runs
        say("monitor: Zibo preset on the sample panel")
        zibo = run_monitor("zibo", sample_path("zibo_sample.csv"))
        sections = [draw(monitor_section, zibo, lang)]
        zibo.with_lang(lang).write(out / "monitor")
        store.save(zibo.with_lang(lang), "zibo — sample panel")

        say("fce: Guangxi preset on ten experts' votes and on indicator values")
        votes = run_fce("guangxi", votes=sample_path("guangxi_votes.csv"))
        values = run_fce("guangxi", data=sample_path("guangxi_values.csv"))
        sections += [draw(fce_section, votes, lang, "fce", "— 专家投票" if zh else "— expert votes"),
                     draw(fce_section, values, lang, "fce-values", "— 指标数值" if zh else "— indicator values")]
        votes.with_lang(lang).write(out / "fce_votes")
        store.save(votes.with_lang(lang), "guangxi — expert votes")
        store.save(values.with_lang(lang), "guangxi — indicator values")

        say("fund: contingent-claims sizing, 31 provinces x 4 sectors, Monte Carlo 2020")
        fund = run_fund_sizing(sample_path("cca"), year=2020, n_sims=50_000, seed=7)
        sections.append(draw(fund_section, fund, 2020, lang))
        fund.with_lang(lang).write(out / "fund")
        store.save(fund.with_lang(lang), "fund sizing 2020 — sample")

        say("bank screen: IN index, calibrated threshold, decision memo for CITY003")
        screened = run_bank_screen(sample_path("banks/panel.csv"), failures=sample_path("banks/failures.csv"),
                                   quarter="2021Q1")
        sections.append(draw(bank_section, screened, "2021Q1", screened.calibration, lang))
        memo = draw(write_memo, build_memo(screened, load_memo_inputs(sample_path("banks/memo_inputs.yaml"))),
                    out / "memo")
        store.save(screened.with_lang(lang), "bank screen — sample panel, calibrated threshold")

        say("financing: levies to a 600 (100 million yuan) target over 5 years; reserve scenarios; layers")
        financing = run_financing_plan(target=600, years=5)
        sections.append(draw(financing_section, financing, lang))
        store.save(financing.with_lang(lang), "financing plan — target 600, 5 years")

        say("contagion: 20 % shock to Shanghai banks' external assets; early warning")
        contagion = run_contagion(sample_path("network/banks.csv"), sample_path("network/edges.csv"), shock=0.2,
                                  region="SH")
        sections.append(draw(contagion_section, contagion, lang))
        store.save(contagion.with_lang(lang), "contagion — 20 % shock, SH")
        sections.append(draw(warning_section, run_warning(events=sample_path("banks/failures.csv")),
                             "银行面板 bank panel" if zh else "bank panel", "warn-banks", lang))
        debt = run_monitor("local_debt", sample_path("themes/local_debt.csv"))
        sections.append(draw(monitor_section, debt, lang, anchor="local-debt", max_regions=3))
        store.save(debt.with_lang(lang), "local debt — sample provinces")
        debt_warning = run_warning(system="local_debt", data=sample_path("themes/local_debt.csv"),
                                   events=sample_path("themes/local_debt_events.csv"), horizon=2)
        sections.append(draw(warning_section, debt_warning, "地方债 local debt" if zh else "local debt", "warn-debt",
                             lang))
        small = run_monitor("small_banks", sample_path("themes/small_banks.csv"))
        sections.append(draw(monitor_section, small, lang, anchor="small-banks"))
        store.save(small.with_lang(lang), "small and medium banks — sample groups")
        say("report: writing report.html (charts, tables, embedded CJK glyphs)")
        drawn = [s.result() for s in sections]
        memo.result()
    return write_report(out / "report.html", TITLE[lang], drawn, lang)
