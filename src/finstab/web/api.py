"""The JSON API: runs, datasets (tables and indicator systems), methods and presets. Errors are
JSON ``{"detail": "..."}``; request-validation errors also list ``errors``."""

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Body, FastAPI, File, Form, HTTPException, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from finstab.monitor.systems import available_presets
from finstab.report.html import render_report
from finstab.web.context import Web
from finstab.web.runs import DATASET_KINDS, ID_PATTERN, NotFound, RunRequest, execute, method_catalogue

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str


class ErrorBody(BaseModel):
    """Every API error: a one-line ``detail``; request-validation errors also list ``errors``."""

    detail: str
    errors: list[ErrorItem] | None = None


def errors(*codes: int, json_route: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI error responses; routes answering HTML or Excel still answer errors in JSON."""
    text = {400: "Malformed request", 401: "Missing, unknown or expired token", 403: "Role or origin not allowed",
            404: "No such run, dataset or system", 413: "Request or upload too large", 415: "Unsupported file type",
            422: "Invalid request, data or parameters (the pipeline's message)",
            503: "Store busy or unreachable; try again"}
    if json_route:
        return {c: {"model": ErrorBody, "description": text[c]} for c in codes}
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    return {c: {"description": text[c], "content": content} for c in codes}


COMMON = (400, 401, 403, 413, 422, 503)


class RunInfo(BaseModel):
    id: str
    kind: str
    label: str
    created: str
    version: str
    config_hash: str
    data_hash: str
    synthetic: bool


class DatasetInfo(BaseModel):
    id: str
    name: str
    kind: str
    rows: int
    data_hash: str
    created: str


class RunDetail(BaseModel):
    meta: RunInfo
    summary: str
    parameters: str
    tables: dict[str, list[dict]]


class ParamInfo(BaseModel):
    name: str
    label: str
    choices: list[str]
    numeric: bool
    system: bool
    uploaded_systems: bool


class MethodInfo(BaseModel):
    name: str
    name_zh: str
    name_en: str
    inputs: list[str]
    optional: list[str]
    params: list[ParamInfo]


def register(app: FastAPI, web: Web) -> None:
    Reader, Analyst = web.reader, web.analyst
    st = web.store
    RunId = Annotated[str, PathParam(pattern=ID_PATTERN, description="Run id (6-32 hex digits) or unique prefix.")]

    @app.get("/runs/{run_id}/excel", tags=["runs"], summary="Download a run as a formatted Excel workbook",
             response_class=Response,
             responses={200: {"content": {XLSX: {}}}, **errors(*COMMON, 404, json_route=False)})
    def run_excel(run_id: RunId, role: Reader, lang: Literal["zh", "en"] = "zh"):
        stored = web.get_run(run_id)
        with tempfile.TemporaryDirectory() as tmp:
            data = stored.result().with_lang(lang).to_excel(Path(tmp) / "run.xlsx").read_bytes()
        return Response(data, media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="finstab_{stored.meta["id"]}.xlsx"'})

    @app.get("/runs/{run_id}/report", tags=["runs"], summary="Self-contained HTML report of a run",
             response_class=HTMLResponse, responses=errors(*COMMON, 404, json_route=False))
    def run_report(run_id: RunId, role: Reader, lang: Literal["zh", "en"] = "zh"):
        stored = web.get_run(run_id)
        section = web.section(stored, lang)
        return HTMLResponse(render_report(section.title, [section], lang))

    @app.get("/api/presets", tags=["systems"], response_model=list[str], responses=errors(*COMMON))
    def api_presets(role: Reader):
        return available_presets()

    @app.get("/api/methods", tags=["runs"], response_model=list[MethodInfo], responses=errors(*COMMON),
             summary="Every method, its input tables and its parameters (left out: the shipped default)")
    def api_methods(role: Reader, lang: Literal["zh", "en"] = "en"):
        return method_catalogue(lang)

    @app.get("/api/runs", tags=["runs"], response_model=list[RunInfo], responses=errors(*COMMON))
    def api_runs(role: Reader, kind: Annotated[str, Query(pattern=r"^[a-z_]{0,40}$",
                                                          description="Only runs of this kind.")] = ""):
        return st.runs(kind or None).to_dict("records")

    @app.get("/api/runs/{run_id}", tags=["runs"], response_model=RunDetail, responses=errors(*COMMON, 404))
    def api_run(run_id: RunId, role: Reader, rows: Annotated[int, Query(ge=0, le=10_000)] = 100):
        stored = web.get_run(run_id)
        meta = {k: stored.meta[k] for k in RunInfo.model_fields}
        tables = {k: _records(v.head(rows)) for k, v in stored.tables.items()}
        return {"meta": meta, "summary": stored.meta["summary"], "parameters": stored.meta["parameters"],
                "tables": tables}

    @app.get("/api/datasets", tags=["datasets"], response_model=list[DatasetInfo], responses=errors(*COMMON))
    def api_datasets(role: Reader):
        return st.datasets().to_dict("records")

    @app.post("/api/datasets", tags=["datasets"], response_model=DatasetInfo, status_code=201,
              summary="Upload a table (.csv or .xlsx) or an indicator system (.yaml)",
              description="`kind` panel: a monitor panel, checked now as the monitor pipeline reads it; table: any "
                          "other input table (votes, balance sheets, banks, edges, events, prices), checked when a "
                          "method reads it; a .yaml file is an indicator system, validated as `finstab monitor "
                          "--system FILE` validates it (same messages).",
              responses=errors(*COMMON, 415))
    async def api_upload(role: Analyst, file: Annotated[UploadFile, File()],
                         kind: Annotated[Literal[DATASET_KINDS], Form()] = "panel"):
        did = await web.take_upload(file, kind)
        table = await run_in_threadpool(st.datasets)
        return table.set_index("id").loc[did].to_dict() | {"id": did}

    @app.post("/api/runs", tags=["runs"], response_model=RunInfo, status_code=201,
              summary="Run a method on uploaded datasets and store the result",
              description="`{\"method\": ..., \"datasets\": {input: dataset id}, \"params\": {...}}` (GET "
                          "/api/methods lists inputs and parameters; parameters left out take the shipped defaults, "
                          "as in the CLI), or the monitor's first form `{\"dataset_id\", \"preset\", \"method\"}`.",
              responses=errors(*COMMON, 404))
    def api_run_create(req: Annotated[RunRequest, Body()], role: Analyst):
        try:
            rid = execute(st, req)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from None
        return st.runs().set_index("id").loc[rid].to_dict() | {"id": rid}


def _records(df: pd.DataFrame) -> list[dict]:
    return [{str(k): (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in df.astype(object).to_dict("records")]
