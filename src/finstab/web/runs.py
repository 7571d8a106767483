"""Running any method from the web: one request body per method (its input datasets and its
parameters, typed and bounded), inputs and systems resolved from the store, results saved.

The parameters a request leaves out take the shipped defaults of
:func:`finstab.pipelines.methods.run_method`, as in the CLI and the Python API; nothing here
repeats a default. Bounds here only keep a shared server responsive (no million-scenario
simulation); the pipelines check the rest with the CLI's messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, Union, get_args, get_origin

import pandas as pd
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, create_model

from finstab.contagion.spillover import CRITERIA
from finstab.core.config import read_yaml
from finstab.core.errors import ConfigError
from finstab.mcda.fce import OPERATORS
from finstab.monitor.model import METHODS as EVALUATORS
from finstab.monitor.model import MISSING, OBJECTIVES
from finstab.monitor.systems import available_presets
from finstab.monitor.systems.loader import parse_system
from finstab.monitor.systems.schema import IndicatorSystem
from finstab.pipelines.methods import METHODS, run_method
from finstab.pipelines.spillover import KINDS
from finstab.store.database import Store

ID_PATTERN = r"^[0-9a-f]{6,32}$"  # pydantic's regex engine: '$' is the very end (no trailing newline)
ID = re.compile(r"[0-9a-f]{6,32}")  # used with fullmatch
SYSTEM_PATTERN = r"^[0-9A-Za-z_\-]{1,64}$"
#: dataset kinds: a monitor panel (checked on upload), any other table (checked when a method reads it),
#: an indicator system (YAML)
DATASET_KINDS = ("panel", "table", "system")
TABLE_KINDS = ("panel", "table")
#: scenarios a web request may ask for (the CLI has no limit; a shared server has)
MAX_SIMS = 10_000

DatasetId = Annotated[str, Field(pattern=ID_PATTERN, description="Id of an uploaded dataset (GET /api/datasets).")]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
SystemRef = Annotated[str, Field(pattern=SYSTEM_PATTERN, description="A preset name (GET /api/presets) or the id "
                                                                     "of an uploaded system (dataset kind 'system').")]


class NotFound(LookupError):
    """A dataset or system named by a request does not exist."""


@dataclass(frozen=True)
class Param:
    """A parameter the web offers for a method: its type (with bounds) and labels."""

    type: Any
    zh: str
    en: str
    system: bool = False  # a system reference (a preset, or an uploaded system where ``uploaded``)
    uploaded: bool = True

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def choices(self) -> tuple[str, ...]:
        """Allowed text values (a select in the form); empty for free values."""
        found: list[str] = []
        for arg in _flatten(self.type):
            if get_origin(arg) is Literal:
                found.extend(str(a) for a in get_args(arg))
        return tuple(found)

    def numeric(self) -> bool:
        return any(a in (int, float) for a in _flatten(self.type))


def _flatten(tp: Any) -> list[Any]:
    if get_origin(tp) is Annotated:
        return _flatten(get_args(tp)[0])
    if get_origin(tp) is Union:
        return [x for a in get_args(tp) for x in _flatten(a)]
    return [tp]


def _lit(values) -> Any:
    return Literal[tuple(v for v in values if v is not None)]


#: method -> parameter -> spec; every parameter optional (left out: the shipped default)
PARAMS: dict[str, dict[str, Param]] = {
    "monitor": {
        "system": Param(SystemRef, "指标体系", "indicator system", system=True),
        "method": Param(_lit(EVALUATORS), "评价方法", "evaluator"),
        "missing": Param(_lit(MISSING), "缺失值", "missing values"),
        "objective": Param(_lit(OBJECTIVES), "客观赋权", "objective weights"),
        "alpha": Param(Share, "主观权重占比 α", "subjective weight share α"),
    },
    "fce": {
        "system": Param(SystemRef, "指标体系", "indicator system", system=True),
        "operator": Param(_lit(OPERATORS), "合成算子", "composition operator"),
    },
    "fund_sizing": {
        "alpha": Param(Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)], "显著性水平 α", "tail level α"),
        "year": Param(Annotated[int, Field(ge=1900, le=2200)], "展示年份", "year shown"),
        "n_sims": Param(Annotated[int, Field(ge=0, le=MAX_SIMS)], "模拟次数", "Monte Carlo scenarios"),
        "seed": Param(Annotated[int, Field(ge=0, le=2**32 - 1)], "随机种子", "random seed"),
    },
    "financing_plan": {
        "target": Param(Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)], "目标规模 (亿元)",
                        "target size (100 million yuan)"),
        "years": Param(Annotated[int, Field(ge=1, le=50)], "筹资年限", "years to reach the target"),
        "coverage": Param(Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)], "覆盖比例", "coverage"),
        "n_sims": Param(Annotated[int, Field(ge=1, le=MAX_SIMS)], "情景数", "loss scenarios"),
    },
    "bank_screen": {
        "threshold": Param(Finite, "IN 阈值", "IN threshold"),
        "quarter": Param(Annotated[str, Field(pattern=r"^\d{4}\s*-?\s*[Qq][1-4]$")], "季度", "quarter"),
    },
    "contagion": {
        "shock": Param(Share, "外部资产冲击", "external-asset shock"),
        "region": Param(Annotated[str, Field(min_length=1, max_length=40)], "冲击地区", "shocked region"),
    },
    "early_warning": {
        "system": Param(SystemRef, "指标体系 (需面板)", "indicator system (with a panel)", system=True,
                        uploaded=False),
        "horizon": Param(Annotated[int, Field(ge=1, le=40)], "预警期数", "horizon (periods)"),
        "threshold": Param(Share, "综合指数阈值", "composite threshold"),
    },
    "spillover": {
        "kind": Param(_lit(KINDS), "数据类型", "series kind"),
        "window": Param(Annotated[int, Field(ge=0, le=100_000)], "滚动窗口 (行)", "rolling window (rows)"),
        "lags": Param(Union[Annotated[int, Field(ge=1, le=20)], _lit(CRITERIA)], "滞后阶数", "VAR lags"),  # noqa: UP007
        "horizon": Param(Annotated[int, Field(ge=1, le=100)], "预测期 H", "forecast horizon H"),
    },
}


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))


def _inputs_model(name: str) -> type[BaseModel]:
    spec = METHODS[name]
    fields: dict[str, Any] = {i: (DatasetId, ...) for i in spec.inputs}
    fields |= {i: (Optional[DatasetId], None) for i in spec.optional}  # noqa: UP045
    return create_model(f"{_camel(name)}Inputs", __config__=ConfigDict(extra="forbid"), **fields)


def _params_model(name: str) -> type[BaseModel]:
    spec = PARAMS.get(name)
    if spec is None:  # a method newer than this table: parameters pass through to the pipeline
        return create_model(f"{_camel(name)}Params", __config__=ConfigDict(extra="allow"))
    fields = {k: (Optional[p.type], Field(None, description=p.en)) for k, p in spec.items()}  # noqa: UP045
    return create_model(f"{_camel(name)}Params", __config__=ConfigDict(extra="forbid"), **fields)


def _request_model(name: str) -> type[BaseModel]:
    spec = METHODS[name]
    inputs, params = _inputs_model(name), _params_model(name)
    datasets = (inputs, ...) if spec.inputs else (inputs, Field(default_factory=inputs))
    return create_model(f"{_camel(name)}Run", __config__=ConfigDict(extra="forbid"),
                        __doc__=f"Run {spec.name_en} ({spec.name_zh}) on uploaded datasets.",
                        method=(Literal[name], ...), datasets=datasets,
                        params=(params, Field(default_factory=params)))


class PresetRun(BaseModel):
    """The monitor's first API: a shipped system on one uploaded panel (kept for existing clients)."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: str = Field(pattern=ID_PATTERN, description="Id of an uploaded dataset.")
    preset: str = Field(max_length=80, description="Name of a shipped indicator system (GET /api/presets).",
                        json_schema_extra=lambda schema: schema.update(enum=available_presets()))
    method: Literal["threshold", "fce"] = "threshold"


REQUESTS: dict[str, type[BaseModel]] = {name: _request_model(name) for name in METHODS}
LEGACY = "preset_run"
TAGS = frozenset({LEGACY, *REQUESTS})


def _tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "dataset_id" in value or "preset" in value:
            return LEGACY
        method = value.get("method")
        return method if isinstance(method, str) and method in REQUESTS else None
    if isinstance(value, PresetRun):
        return LEGACY
    return getattr(value, "method", None)


RunRequest = Annotated[
    Union[(Annotated[PresetRun, Tag(LEGACY)], *(Annotated[m, Tag(k)] for k, m in REQUESTS.items()))],
    Discriminator(_tag, custom_error_type="method",
                  custom_error_message=f"method must be one of {', '.join(METHODS)} (or give dataset_id and "
                                       "preset for the monitor)"),
]
RUN_REQUEST: TypeAdapter = TypeAdapter(RunRequest)


def form_to_request(method: str, datasets: dict[str, str], params: dict[str, str]) -> dict[str, Any]:
    """A method form's text fields as a request body: empty fields left out (shipped defaults),
    whole numbers read as numbers where a parameter also takes words (``lags``)."""
    spec = PARAMS.get(method, {})
    out: dict[str, Any] = {}
    for key, text in params.items():
        text = text.strip()
        if not text:
            continue
        p = spec.get(key)
        out[key] = int(text) if p is not None and p.choices() and p.numeric() and text.isdigit() else text
    return {"method": method, "datasets": {k: v for k, v in datasets.items() if v}, "params": out}


# ------------------------------------------------------------------------------ execution
def dataset_table(store: Store) -> pd.DataFrame:
    return store.datasets().set_index("id")


def load_system(store: Store, ref: str, known: pd.DataFrame | None = None) -> str | IndicatorSystem:
    """A preset name as it is, or an uploaded system parsed again from its stored YAML."""
    if ref in available_presets():
        return ref
    known = dataset_table(store) if known is None else known
    if not ID.fullmatch(ref) or ref not in known.index or known.loc[ref, "kind"] != "system":
        raise NotFound(f"no system {ref!r}: neither a preset (GET /api/presets) nor an uploaded system")
    name = str(known.loc[ref, "name"])
    text = str(store.dataset(ref)["yaml"].iloc[0])
    return parse_system(read_yaml(text, name), name)


def system_label(ref: str | IndicatorSystem) -> str:
    return ref if isinstance(ref, str) else ref.id


def execute(store: Store, req: BaseModel) -> str:
    """Run a validated request and save the result; returns the run id.

    Raises
    ------
    NotFound
        A dataset or system the request names is not in the store.
    FinstabError
        The pipeline refused the inputs or parameters (the CLI's message).
    """
    known = dataset_table(store)
    if isinstance(req, PresetRun):
        if req.preset not in available_presets():
            raise ConfigError(f"unknown preset {req.preset!r}; see GET /api/presets", where="preset")
        return execute(store, REQUESTS["monitor"].model_validate(
            {"method": "monitor", "datasets": {"data": req.dataset_id},
             "params": {"system": req.preset, "method": req.method}}))
    method = req.method
    ids = {k: v for k, v in req.datasets.model_dump().items() if v is not None}
    for name, did in ids.items():
        if did not in known.index:
            raise NotFound(f"no dataset {did!r} (input {name})")
        if known.loc[did, "kind"] not in TABLE_KINDS:
            raise ConfigError(f"dataset {did} is an indicator system, not a table", where=f"datasets.{name}")
    params = req.params.model_dump(exclude_none=True)
    system = params.get("system")
    if system is not None:
        spec = PARAMS.get(method, {}).get("system")
        resolved = load_system(store, system, known)
        if not isinstance(resolved, str) and spec is not None and not spec.uploaded:
            raise ConfigError(f"{method} reads a shipped preset only; an uploaded system can run the monitor "
                              "and FCE", where="params.system")
        params["system"] = resolved
    tables = {name: store.dataset(did) for name, did in ids.items()}
    result = run_method(method, tables, params)
    return store.save(result, run_label(method, params, ids, known), dataset_id=next(iter(ids.values()), None))


def run_label(method: str, params: dict[str, Any], ids: dict[str, str], known: pd.DataFrame) -> str:
    """What a run was made from, in no particular language (the report titles it by its method):
    ``zibo · data=zibo_sample.csv``, ``target=600 · years=5``."""
    parts = [system_label(params["system"])] if "system" in params else []
    parts.extend(f"{name}={known.loc[did, 'name']}" for name, did in ids.items())
    parts.extend(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items() if k != "system")
    return " · ".join(parts) or f"{method} (defaults)"


def method_catalogue(lang: str = "en") -> list[dict[str, Any]]:
    """Every method with its inputs and parameters (GET /api/methods, the run forms)."""
    out = []
    for name, spec in METHODS.items():
        params = [{"name": k, "label": p.label(lang), "choices": list(p.choices()), "numeric": p.numeric(),
                   "system": p.system, "uploaded_systems": p.uploaded}
                  for k, p in PARAMS.get(name, {}).items()]
        out.append({"name": name, "name_zh": spec.name_zh, "name_en": spec.name_en, "inputs": list(spec.inputs),
                    "optional": list(spec.optional), "params": params})
    return out
