"""The finstab web dashboard: pages for people, a JSON API for programs, same pipelines.

No request path reaches the file system: datasets and runs are addressed by ids in the
store, presets by name from the shipped list, uploads are parsed from a temporary file
whose name finstab chooses.
"""


import re
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

import finstab
from finstab.core.errors import FinstabError
from finstab.core.io import read_table
from finstab.monitor.systems import available_presets, load_system
from finstab.pipelines import run_monitor
from finstab.report.fonts import cjk_font_path
from finstab.report.html import render_report
from finstab.report.stored import run_section
from finstab.store.database import Store
from finstab.web.auth import RANK, role_of

COOKIE = "finstab_token"
DRILL_COLUMNS = ("region", "period", "bank", "quarter", "province", "sector", "year", "node", "node_name")
ID = r"^[0-9a-f]{6,32}$"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class RunRequest(BaseModel):
    dataset_id: str
    preset: str
    method: Literal["threshold", "fce"] = "threshold"


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


def create_app(store: Store | str | Path | None = None, tokens: dict[str, str] | None = None,
               max_upload_bytes: int = 5 * 1024 * 1024) -> FastAPI:
    """Build the app around a store and a token table ({token: role})."""
    st = store if isinstance(store, Store) else Store(store)
    tokens = dict(tokens or {})
    app = FastAPI(title="finstab", version=finstab.__version__,
                  description="Financial-stability analysis: runs, datasets and presets. "
                              "Authenticate with `Authorization: Bearer <token>`.")

    def current_role(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(COOKIE)
        return role_of(token, tokens)

    def need(role: str):
        def check(request: Request) -> str:
            have = current_role(request)
            if have is None:
                raise HTTPException(401, "missing or unknown token", headers={"WWW-Authenticate": "Bearer"})
            if RANK[have] < RANK[role]:
                raise HTTPException(403, f"role {have!r} may not do this; needs {role!r}")
            return have
        return check

    Reader = Annotated[str, Depends(need("read"))]
    Analyst = Annotated[str, Depends(need("analyst"))]

    def get_run(run_id: str):
        if not re.match(ID, run_id):
            raise HTTPException(404, "no such run")
        try:
            return st.run(run_id)
        except FinstabError as exc:
            raise HTTPException(404, str(exc)) from None

    async def take_upload(file: UploadFile) -> str:
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise HTTPException(415, "upload a .csv or .xlsx file")
        data = await file.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            raise HTTPException(413, f"file larger than {max_upload_bytes // (1024 * 1024)} MB")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                frame = read_table(path)
            except FinstabError as exc:
                raise HTTPException(422, str(exc).replace(str(path), file.filename or "upload")) from None
        if frame.empty or not {"region", "period"} <= set(frame.columns):
            raise HTTPException(422, "the table needs region and period columns and at least one row")
        name = re.sub(r"[^\w.\-\u4e00-\u9fff ]", "_", file.filename or "upload")[:120]
        return st.add_dataset(name, "panel", frame, source=f"upload {name}")

    def run_preset(req: RunRequest) -> str:
        if req.preset not in available_presets():
            raise HTTPException(422, f"unknown preset {req.preset!r}")
        if not re.match(ID, req.dataset_id):
            raise HTTPException(404, "no such dataset")
        try:
            frame = st.dataset(req.dataset_id)
            result = run_monitor(load_system(req.preset), frame, method=req.method)
        except FinstabError as exc:
            raise HTTPException(422, str(exc)) from None
        return st.save(result, f"{req.preset} ({req.method}) on dataset {req.dataset_id}",
                      dataset_id=req.dataset_id)

    # ---------------------------------------------------------------- pages
    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, name, {"role": current_role(request), "title": name,
                                                          **context}, status_code=status)

    @app.get("/assets/cjk-font", include_in_schema=False)
    def cjk_font():
        """The bundled CJK font, so pages show Chinese on machines without CJK fonts."""
        return FileResponse(cjk_font_path(), media_type="font/otf",
                            headers={"Cache-Control": "public, max-age=604800"})

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request):
        return page(request, "login.html")

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: Annotated[str, Form()] = ""):
        if role_of(token, tokens) is None:
            return page(request, "login.html", 401, error="unknown token")
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return resp

    @app.get("/logout", include_in_schema=False)
    def logout():
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, message: str = ""):
        if current_role(request) is None:
            return RedirectResponse("/login", status_code=303)
        runs = st.runs()
        groups = [(kind, part.to_dict("records")) for kind, part in runs.groupby("kind", sort=True)]
        return page(request, "index.html", groups=groups, presets=available_presets(),
                    datasets=st.datasets().to_dict("records"), max_mb=max_upload_bytes // (1024 * 1024),
                    message=message[:200])

    @app.get("/datasets", response_class=HTMLResponse, include_in_schema=False)
    def datasets_page(request: Request, role: Reader):
        return page(request, "datasets.html", datasets=st.datasets().to_dict("records"))

    @app.post("/upload", include_in_schema=False)
    async def upload_page(request: Request, role: Analyst, file: Annotated[UploadFile, File()]):
        did = await take_upload(file)
        return RedirectResponse(f"/?message=uploaded+dataset+{did}", status_code=303)

    @app.post("/run", include_in_schema=False)
    def run_page(request: Request, role: Analyst, dataset_id: Annotated[str, Form()],
                 preset: Annotated[str, Form()], method: Annotated[str, Form()] = "threshold"):
        if method not in ("threshold", "fce"):
            raise HTTPException(422, "method must be threshold or fce")
        rid = run_preset(RunRequest(dataset_id=dataset_id, preset=preset, method=method))
        return RedirectResponse(f"/runs/{rid}", status_code=303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_detail_page(request: Request, role: Reader, run_id: str, lang: Literal["zh", "en"] = "zh"):
        stored = get_run(run_id)
        result = stored.result().with_lang(lang)
        chosen = {k: v for k, v in request.query_params.items() if k in DRILL_COLUMNS and v}
        filters = {}
        for table in result.tables().values():
            for col in DRILL_COLUMNS:
                if col in table.columns and table[col].nunique() > 1:
                    filters.setdefault(col, set()).update(map(str, table[col].unique()))
        tables = {}
        for name, table in result.tables().items():
            for col, value in chosen.items():
                if col in table.columns:
                    table = table[table[col].astype(str) == value]
            if {"score", "global_weight"} <= set(table.columns):  # contribution to the total in points
                table = table.assign(points=table["score"] * table["global_weight"])
            tables[name] = table
        html = [(name, result.display(t.head(200)).round(4).to_html(index=False, border=0, na_rep="", classes="data",
                                                     table_id=f"table-{name}"))
                for name, t in tables.items()]
        options = [(col, sorted(values)[:500], chosen.get(col, "")) for col, values in filters.items()]
        return page(request, "run.html", meta=stored.meta, tables=html, filters=options)

    @app.get("/runs/{run_id}/excel", tags=["runs"], summary="Download a run as a formatted Excel workbook",
             response_class=Response, responses={200: {"content": {
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
    def run_excel(run_id: str, role: Reader, lang: Literal["zh", "en"] = "zh"):
        stored = get_run(run_id)
        with tempfile.TemporaryDirectory() as tmp:
            data = stored.result().with_lang(lang).to_excel(Path(tmp) / "run.xlsx").read_bytes()
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="finstab_{stored.meta["id"]}.xlsx"'})

    @app.get("/runs/{run_id}/report", tags=["runs"], summary="Self-contained HTML report of a run",
             response_class=HTMLResponse)
    def run_report(run_id: str, role: Reader, lang: Literal["zh", "en"] = "zh"):
        stored = get_run(run_id)
        section = run_section(stored, lang)
        return HTMLResponse(render_report(section.title, [section], lang))

    # ---------------------------------------------------------------- JSON API
    @app.get("/api/presets", tags=["systems"], response_model=list[str])
    def api_presets(role: Reader):
        return available_presets()

    @app.get("/api/runs", tags=["runs"], response_model=list[RunInfo])
    def api_runs(role: Reader, kind: str | None = None):
        return st.runs(kind).to_dict("records")

    @app.get("/api/runs/{run_id}", tags=["runs"], response_model=RunDetail)
    def api_run(run_id: str, role: Reader, rows: int = 100):
        stored = get_run(run_id)
        rows = max(0, min(rows, 10_000))
        meta = {k: stored.meta[k] for k in RunInfo.model_fields}
        tables = {k: _records(v.head(rows)) for k, v in stored.tables.items()}
        return {"meta": meta, "summary": stored.meta["summary"], "parameters": stored.meta["parameters"],
                "tables": tables}

    @app.get("/api/datasets", tags=["datasets"], response_model=list[DatasetInfo])
    def api_datasets(role: Reader):
        return st.datasets().to_dict("records")

    @app.post("/api/datasets", tags=["datasets"], response_model=DatasetInfo, status_code=201)
    async def api_upload(role: Analyst, file: Annotated[UploadFile, File()]):
        did = await take_upload(file)
        return st.datasets().set_index("id").loc[did].to_dict() | {"id": did}

    @app.post("/api/runs", tags=["runs"], response_model=RunInfo, status_code=201)
    def api_run_create(req: RunRequest, role: Analyst):
        rid = run_preset(req)
        return st.runs().set_index("id").loc[rid].to_dict() | {"id": rid}

    return app


def _records(df: pd.DataFrame) -> list[dict]:
    return [{str(k): (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in df.astype(object).to_dict("records")]
