"""The one Result protocol that every public result follows.

A Result keeps canonical tables (keys such as ``basically_safe``, sector and bank ids),
the :class:`~finstab.core.provenance.Provenance` it was made from, the warnings raised
while it was computed, and the language its faces display. The store, the reports, the
web and the CLI handle every method through these members only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Self

import pandas as pd

from finstab.core.errors import FinstabError
from finstab.core.io import check_excel_size, write_csv, write_excel, write_folder, write_text
from finstab.core.labels import LANGS, column_label, display_frame
from finstab.core.provenance import Provenance
from finstab.core.validate import check_option


@dataclass(frozen=True, kw_only=True)
class Result:
    """Base of every result.

    Subclasses are frozen dataclasses that set ``kind`` and implement :meth:`summary`
    and :meth:`tables`; the first table is the main one (:meth:`to_frame`).

    Examples
    --------
    >>> import pandas as pd
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Toy(Result):
    ...     kind = "toy"
    ...     scores: pd.DataFrame
    ...     def summary(self) -> str:
    ...         return f"{len(self.scores)} rows"
    ...     def tables(self):
    ...         return {"scores": self.scores}
    >>> r = Toy(pd.DataFrame({"region": ["a"], "score": [61.0]}))
    >>> str(r), list(r.to_frame().columns), r.with_lang("en").lang
    ('1 rows', ['region', 'score'], 'en')
    """

    kind: ClassVar[str] = "result"
    #: every Result class by its kind, so a stored run comes back as the class that made it
    registry: ClassVar[dict[str, type[Result]]] = {}
    provenance: Provenance = field(default_factory=Provenance.unrecorded)
    lang: str = "zh"
    warnings: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__ and isinstance(cls.__dict__["kind"], str):
            Result.registry[cls.kind] = cls

    def __post_init__(self) -> None:
        check_option(self.lang, LANGS, "lang")

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: Any, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> Result:
        """Rebuild a result from its stored tables and config (classes that can, override this)."""
        raise NotImplementedError

    # the protocol ------------------------------------------------------------------------
    def summary(self) -> str:
        """A few lines for a terminal, in ``self.lang``."""
        raise NotImplementedError

    def tables(self) -> dict[str, pd.DataFrame]:
        """Named canonical tables; the first is the main one."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """The main table."""
        return next(iter(self.tables().values()))

    def config(self) -> Any:
        """The configuration the store keeps beside the run (default: the parameters)."""
        return self.provenance.parameters

    def with_lang(self, lang: str) -> Self:
        """The same result displayed in ``lang`` (``"zh"`` or ``"en"``)."""
        return replace(self, lang=check_option(lang, LANGS, "lang"))

    def with_warnings(self, messages: list[str] | tuple[str, ...]) -> Self:
        """The same result carrying ``messages`` as well (duplicates dropped)."""
        merged = tuple(dict.fromkeys((*self.warnings, *messages)))
        return replace(self, warnings=merged)

    def __str__(self) -> str:
        return self.summary()

    # display ------------------------------------------------------------------------------
    def label(self, df: pd.DataFrame) -> pd.DataFrame:
        """Canonical values -> display values in ``self.lang`` (names for ids, grade names); headers unchanged."""
        return df

    def column_labels(self) -> Mapping[str, tuple[str, str]]:
        """(Chinese, English) labels of columns named by this result's configuration (such as a
        system's ratios), used before the shared ones."""
        return {}

    def column_label(self, column: str, *, bilingual: bool = False) -> str:
        """A column's header as people read it."""
        return column_label(column, self.lang, bilingual=bilingual, extra=self.column_labels())

    def display(self, df: pd.DataFrame, *, bilingual: bool = False) -> pd.DataFrame:
        """A canonical table as people read it: labelled values and translated headers."""
        return display_frame(self.label(df), self.lang, bilingual=bilingual, extra=self.column_labels())

    def display_tables(self, *, bilingual: bool = False) -> dict[str, pd.DataFrame]:
        """Tables as people read them (zh and en headers side by side if ``bilingual``)."""
        return {name: self.display(df, bilingual=bilingual) for name, df in self.tables().items()}

    def excel_fills(self) -> Mapping[str, Mapping[str, str]]:
        """Display column -> {cell text -> colour} for the workbook (grade colours)."""
        return {}

    def footer(self) -> str:
        """Provenance line followed by one line per warning."""
        return "\n".join([self.provenance.describe(self.lang), *(f"! {w}" for w in self.warnings)])

    def meta_frame(self) -> pd.DataFrame:
        """Provenance and warnings as a two-column table (the workbook's last sheet)."""
        rows = [{"key": k, "value": str(v)} for k, v in self.provenance.to_dict().items()]
        rows.append({"key": "synthetic", "value": str(self.provenance.synthetic)})
        rows += [{"key": "warning", "value": w} for w in self.warnings]
        return pd.DataFrame(rows, columns=["key", "value"])

    # files --------------------------------------------------------------------------------
    def to_excel(self, path: str | Path) -> Path:
        """One formatted workbook: every table, then provenance and warnings."""
        sheets = {**self.display_tables(bilingual=True), "provenance": self.meta_frame()}
        return write_excel(sheets, path, fills=self.excel_fills())

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write every table as CSV, ``results.xlsx`` and ``summary.txt``, all or nothing."""

        def files(tmp: Path) -> None:
            tables = self.tables()
            for name, df in tables.items():
                write_csv(df, tmp / f"{name}.csv")
            note = ""
            try:
                check_excel_size(tables)
            except FinstabError as exc:  # too big for a workbook: the CSV files hold everything
                note = f"\nresults.xlsx not written: {exc}"
            else:
                self.to_excel(tmp / "results.xlsx")
            write_text(tmp / "summary.txt", f"{self.summary()}{note}\n")

        return write_folder(out_dir, files)


@dataclass(frozen=True, kw_only=True)
class StoredResult(Result):
    """A stored run whose class cannot rebuild itself: its tables, summary and config as stored."""

    stored_kind: str
    stored_tables: dict[str, pd.DataFrame]
    stored_summary: str = ""
    stored_config: Any = None

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.stored_kind

    def summary(self) -> str:
        return f"{self.stored_summary}\n{self.footer()}".strip()

    def tables(self) -> dict[str, pd.DataFrame]:
        return dict(self.stored_tables)

    def config(self) -> Any:
        return self.stored_config


def rebuild(kind: str, tables: dict[str, pd.DataFrame], config: Any, *, provenance: Provenance,
            warnings: tuple[str, ...] = (), summary: str = "") -> Result:
    """The Result a stored run was made as, or a :class:`StoredResult` where its class cannot rebuild it."""
    cls = Result.registry.get(kind)
    if cls is not None:
        try:
            return cls.from_tables(tables, config, provenance=provenance, warnings=warnings)
        except NotImplementedError:
            pass
    return StoredResult(stored_kind=kind, stored_tables=tables, stored_summary=summary, stored_config=config,
                        provenance=provenance, warnings=warnings)
