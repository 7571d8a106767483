"""The hostile-input corpus: bad files and options, each of which must stop with exit code 2,
one message, no traceback and nothing written. ``python tests/hostile/corpus.py DIR`` writes it."""

from __future__ import annotations

import io
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from finstab.samples import sample_path

#: case name -> (files to write into the case folder, CLI arguments; "{dir}" is the case folder)
Case = tuple[Callable[[Path], None], list[str]]


def _zibo_wide(path: Path, **changes) -> None:
    df = pd.read_csv(sample_path("zibo_sample.csv"), comment="#")
    for col, value in changes.items():
        df[col] = df[col].astype(object)
        df.loc[0, col] = value
    df.to_csv(path, index=False)


def _xlsx(path: Path, df: pd.DataFrame) -> None:
    df.to_excel(path, index=False)


def _truncated_xlsx(d: Path) -> None:
    buf = io.BytesIO()
    pd.DataFrame({"region": ["a"], "period": [2020]}).to_excel(buf, index=False)
    (d / "panel.xlsx").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])


def _entity_bomb_xlsx(d: Path) -> None:
    buf = io.BytesIO()
    pd.DataFrame({"region": ["a"], "period": [2020]}).to_excel(buf, index=False)
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(d / "panel.xlsx", "w") as out:
        for item in src.infolist():
            data = bomb.encode() if item.filename.endswith("sheet1.xml") else src.read(item.filename)
            out.writestr(item, data)


def _huge_period_xlsx(d: Path) -> None:
    df = pd.read_csv(sample_path("zibo_sample.csv"), comment="#")
    df["period"] = df["period"].astype(float)
    df.loc[0, "period"] = 1.8e308
    _xlsx(d / "panel.xlsx", df)


def _cca(d: Path, column: str, value: float, table: str = "balance_sheets") -> None:
    shutil.copytree(sample_path("cca"), d / "cca")
    path = d / "cca" / f"{table}.csv"
    df = pd.read_csv(path, comment="#")
    df[column] = value
    df.to_csv(path, index=False)


def _write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def make(d: Path) -> None:
        target = d / name
        target.write_bytes(text) if isinstance(text, bytes) else target.write_text(text, encoding="utf-8")
    return make


def _network_zero_assets(d: Path) -> None:
    banks = pd.read_csv(sample_path("network/banks.csv"), comment="#")
    banks["external_assets"] = 0.0
    banks.to_csv(d / "banks.csv", index=False)
    shutil.copy(sample_path("network/edges.csv"), d / "edges.csv")


def _failures_bad_date(d: Path) -> None:
    (d / "failures.csv").write_text("bank,failure_quarter\nCITY003,2021-13-45\n", encoding="utf-8")


NO_FILES: Callable[[Path], None] = lambda d: None  # noqa: E731
PANEL = ["monitor", "--data", "{dir}/panel.csv", "--out", "{dir}/out"]

CASES: dict[str, Case] = {
    "truncated_xlsx": (_truncated_xlsx, ["monitor", "--data", "{dir}/panel.xlsx", "--out", "{dir}/out"]),
    "entity_bomb_xlsx": (_entity_bomb_xlsx, ["monitor", "--data", "{dir}/panel.xlsx", "--out", "{dir}/out"]),
    "huge_period_xlsx": (_huge_period_xlsx, ["monitor", "--data", "{dir}/panel.xlsx", "--out", "{dir}/out"]),
    "blank_region": (lambda d: _zibo_wide(d / "panel.csv", region=" "), PANEL),
    "text_in_number": (lambda d: _zibo_wide(d / "panel.csv", value="abc"), PANEL),
    "out_is_a_file": (lambda d: (shutil.copy(sample_path("zibo_sample.csv"), d / "panel.csv"),
                                 (d / "out").write_text("x"))[0] and None, PANEL),
    "unknown_system": (lambda d: shutil.copy(sample_path("zibo_sample.csv"), d / "panel.csv"),
                       [*PANEL, "--system", "nope"]),
    "bad_method": (lambda d: shutil.copy(sample_path("zibo_sample.csv"), d / "panel.csv"), [*PANEL, "--method", "x"]),
    "bad_lang": (lambda d: shutil.copy(sample_path("zibo_sample.csv"), d / "panel.csv"), [*PANEL, "--lang", "fr"]),
    "ahp_scalar": (_write("m.yaml", "5\n"), ["ahp", "{dir}/m.yaml"]),
    "ahp_binary": (_write("m.yaml", b"\x00\x01\x02PK\x03\x04"), ["ahp", "{dir}/m.yaml"]),
    "ahp_yaml_syntax": (_write("m.yaml", "matrix: [[1, 3], [1/3, 1]\n"), ["ahp", "{dir}/m.yaml"]),
    "ahp_yaml_tabs": (_write("m.yaml", "matrix:\n\t- [1, 3]\n\t- [1/3, 1]\n"), ["ahp", "{dir}/m.yaml"]),
    "ahp_python_tag": (_write("m.yaml", "matrix: !!python/object/apply:os.system ['true']\n"),
                       ["ahp", "{dir}/m.yaml"]),
    "ahp_huge_entry": (_write("m.yaml", "matrix: [[1, 1e308], [1e-308, 1]]\n"), ["ahp", "{dir}/m.yaml"]),
    "bank_quarter_q9": (NO_FILES, ["bank", "screen", "--quarter", "2021Q9", "--out", "{dir}/out"]),
    "bank_threshold_nan": (NO_FILES, ["bank", "screen", "--threshold", "nan", "--out", "{dir}/out"]),
    "bank_penalty_negative": (NO_FILES, ["bank", "calibrate", "--penalty", "-1", "--out", "{dir}/out"]),
    "bank_failure_date": (_failures_bad_date, ["bank", "calibrate", "--failures", "{dir}/failures.csv",
                                               "--out", "{dir}/out"]),
    "warn_threshold_nan": (NO_FILES, ["warn", "--threshold", "nan", "--out", "{dir}/out"]),
    "contagion_zero_assets": (_network_zero_assets, ["contagion", "--banks", "{dir}/banks.csv", "--edges",
                                                     "{dir}/edges.csv", "--shock", "1.5", "--out", "{dir}/out"]),
    "contagion_banks_without_edges": (NO_FILES, ["contagion", "--banks", "x.csv", "--out", "{dir}/out"]),
    "fund_plan_zero_sims": (NO_FILES, ["fund", "plan", "--target", "600", "--years", "5", "--sims", "0",
                                       "--out", "{dir}/out"]),
    "fund_loan_term_zero": (lambda d: _cca(d, "household_loan_term", 0.0, "market"),
                            ["fund", "size", "--data", "{dir}/cca", "--out", "{dir}/out"]),
    "fund_loan_term_negative": (lambda d: _cca(d, "household_loan_term", -3.0, "market"),
                                ["fund", "size", "--data", "{dir}/cca", "--out", "{dir}/out"]),
    "fund_risk_free_500pct": (lambda d: _cca(d, "risk_free", 5.0, "market"),
                              ["fund", "size", "--data", "{dir}/cca", "--out", "{dir}/out"]),
    "store_is_a_csv": (lambda d: shutil.copy(sample_path("zibo_sample.csv"), d / "panel.csv"),
                       [*PANEL, "--store", "{dir}/panel.csv"]),
}


def write_corpus(root: Path) -> dict[str, Path]:
    """Write every case into its own folder under ``root``; returns case -> folder."""
    out = {}
    for name, (make, _) in CASES.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        make(folder)
        out[name] = folder
    return out


if __name__ == "__main__":
    print("\n".join(str(p) for p in write_corpus(Path(sys.argv[1])).values()))
