"""The finstab web dashboard: pages for people, a JSON API for programs, same pipelines.

No request path reaches the file system: datasets and runs are addressed by ids in the
store, presets by name from the shipped list, uploads are parsed in memory (in a worker
thread, within row and cell limits) under a name finstab chooses.

Security: pages use a signed, expiring session cookie (HttpOnly, SameSite=Lax, Secure over
HTTPS); programs send ``Authorization: Bearer <token>``. Cookie-authenticated POSTs must come
from this server's own pages (Origin/Referer check); failed logins are rate-limited; every
response carries CSP, X-Frame-Options, nosniff and Referrer-Policy; request bodies are limited
before and while they stream in; the API docs are served from local files.
"""

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

import finstab
from finstab.core.errors import DataError, FinstabError
from finstab.monitor.systems import available_presets, load_system
from finstab.pipelines import run_monitor
from finstab.report.fonts import cjk_font_path
from finstab.report.html import render_report
from finstab.report.stored import run_section
from finstab.store.database import Store, StoreUnavailable
from finstab.web.auth import RANK, role_of
from finstab.web.security import HardeningMiddleware, LoginLimiter, Sessions, is_https, same_origin
from finstab.web.uploads import Limits, TooLarge, parse_upload, validate_panel

COOKIE = "finstab_session"
DRILL_COLUMNS = ("region", "period", "bank", "quarter", "province", "sector", "year", "node", "node_name")
ID_PATTERN = r"^[0-9a-f]{6,32}$"  # pydantic's regex engine: '$' is the very end (no trailing newline)
_ID = re.compile(r"[0-9a-f]{6,32}")  # used with fullmatch
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCS_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js")


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str


class ErrorBody(BaseModel):
    """Every API error: a one-line ``detail``; request-validation errors also list ``errors``."""

    detail: str
    errors: list[ErrorItem] | None = None


def _errors(*codes: int, json_route: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI error responses; routes answering HTML or Excel still answer errors in JSON."""
    text = {400: "Malformed request", 401: "Missing, unknown or expired token", 403: "Role or origin not allowed",
            404: "No such run or dataset", 413: "Request or upload too large", 415: "Unsupported file type",
            422: "Invalid request or data", 503: "Store busy or unreachable; try again"}
    if json_route:
        return {c: {"model": ErrorBody, "description": text[c]} for c in codes}
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    return {c: {"description": text[c], "content": content} for c in codes}


COMMON = (400, 401, 403, 413, 422, 503)


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str = Field(pattern=ID_PATTERN, description="Id of an uploaded dataset.")
    preset: str = Field(max_length=80, description="Name of a shipped indicator system (GET /api/presets).",
                        json_schema_extra=lambda schema: schema.update(enum=available_presets()))
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
               max_upload_bytes: int = 5 * 1024 * 1024, *, session_hours: float = 8.0,
               session_secret: bytes | None = None, login_failures: int = 5, login_window: float = 60.0,
               limits: Limits | None = None) -> FastAPI:
    """Build the app around a store and a token table ({token: role}).

    Parameters
    ----------
    store
        A :class:`Store` or its location; opened (and checked) here, before serving.
    max_upload_bytes
        Largest upload accepted; larger bodies are refused by Content-Length or while streaming.
    session_hours
        Lifetime of a login session.
    session_secret
        Key signing session cookies; random per process by default.
    login_failures, login_window
        At most ``login_failures`` failed logins per client within ``login_window`` seconds (then 429).
    limits
        Row, column and cell limits of an upload.
    """
    st = store if isinstance(store, Store) else Store(store)
    tokens = dict(tokens or {})
    sessions = Sessions(tokens, max_age=int(session_hours * 3600), secret=session_secret)
    limiter = LoginLimiter(login_failures, login_window)
    limits = limits or Limits()
    app = FastAPI(title="finstab", version=finstab.__version__, docs_url=None, redoc_url=None,
                  description="Financial-stability analysis: runs, datasets and presets. "
                              "Authenticate with `Authorization: Bearer <token>`. Errors are JSON "
                              "`{\"detail\": \"...\"}`.")
    body_room = 64 * 1024  # multipart headers around the file
    app.add_middleware(HardeningMiddleware, limits={"/upload": max_upload_bytes + body_room,
                                                    "/api/datasets": max_upload_bytes + body_room})
    bearer = HTTPBearer(auto_error=False, description="A token from the tokens file or $FINSTAB_TOKENS.")
    cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="Session cookie set by POST /login.")

    # ---------------------------------------------------------------- errors: one JSON shape
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse({"detail": str(exc.detail)}, exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        items = [{"loc": [str(x) if not isinstance(x, int) else x for x in e.get("loc", ())],
                  "msg": str(e.get("msg", ""))} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, i['loc']))}: {i['msg']}" for i in items[:5]) or "invalid request"
        return JSONResponse({"detail": detail, "errors": items}, 422)

    @app.exception_handler(StoreUnavailable)
    async def store_busy(request: Request, exc: StoreUnavailable):
        return JSONResponse({"detail": str(exc)}, 503, headers={"Retry-After": "5"})

    @app.exception_handler(FinstabError)
    async def finstab_error(request: Request, exc: FinstabError):
        return JSONResponse({"detail": str(exc)}, 422)

    # ---------------------------------------------------------------- authentication
    def current(request: Request) -> tuple[str | None, bool]:
        """(role, via_cookie) of a request: a bearer token, else the session cookie."""
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            return role_of(header[7:].strip(), tokens), False
        return sessions.role(request.cookies.get(COOKIE)), True

    def need(role: str):
        # the two security dependencies only declare the schemes in OpenAPI; current() decides
        def check(request: Request, _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                  _session: Annotated[str | None, Depends(cookie)]) -> str:
            have, via_cookie = current(request)
            if have is None:
                raise HTTPException(401, "missing, unknown or expired token", headers={"WWW-Authenticate": "Bearer"})
            if via_cookie and request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin(request.headers):
                raise HTTPException(403, "cross-site request refused: it must come from this server's own pages")
            if RANK[have] < RANK[role]:
                raise HTTPException(403, f"role {have!r} may not do this; needs {role!r}")
            return have
        return check

    Reader = Annotated[str, Depends(need("read"))]
    Analyst = Annotated[str, Depends(need("analyst"))]
    RunId = Annotated[str, PathParam(pattern=ID_PATTERN, description="Run id (6-32 hex digits) or unique prefix.")]

    def get_run(run_id: str):
        if not _ID.fullmatch(run_id):
            raise HTTPException(404, "no such run")
        try:
            return st.run(run_id)
        except DataError as exc:
            raise HTTPException(404, str(exc)) from None

    def _ingest(data: bytes, suffix: str, name: str) -> str:
        frame = validate_panel(parse_upload(data, suffix, name, limits))
        return st.add_dataset(name, "panel", frame, source=f"upload {name}")

    async def take_upload(file: UploadFile) -> str:
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise HTTPException(415, "upload a .csv or .xlsx file")
        data = await file.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            raise HTTPException(413, f"file larger than {max_upload_bytes / (1024 * 1024):.1f} MB")
        name = re.sub(r"[^\w.\-\u4e00-\u9fff ]", "_", Path(file.filename or "upload").name)[:120] or "upload"
        try:  # parsing can take seconds: never on the event loop
            return await run_in_threadpool(_ingest, data, suffix, name)
        except TooLarge as exc:
            raise HTTPException(413, str(exc)) from None
        except StoreUnavailable:
            raise
        except FinstabError as exc:
            raise HTTPException(422, str(exc)) from None

    def run_preset(req: RunRequest) -> str:
        if req.preset not in available_presets():
            raise HTTPException(422, f"unknown preset {req.preset!r}; see GET /api/presets")
        if not _ID.fullmatch(req.dataset_id):
            raise HTTPException(404, "no such dataset")
        try:
            frame = st.dataset(req.dataset_id)
        except DataError:
            raise HTTPException(404, "no such dataset") from None
        try:
            result = run_monitor(load_system(req.preset), frame, method=req.method)
        except StoreUnavailable:
            raise
        except FinstabError as exc:
            raise HTTPException(422, str(exc)) from None
        return st.save(result, f"{req.preset} ({req.method}) on dataset {req.dataset_id}",
                       dataset_id=req.dataset_id)

    # ---------------------------------------------------------------- pages
    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, name, {"role": current(request)[0], "title": name,
                                                          **context}, status_code=status)

    def index_page(request: Request, status: int = 200, message: str = "", error: str = "") -> HTMLResponse:
        runs = st.runs()
        groups = [(kind, part.to_dict("records")) for kind, part in runs.groupby("kind", sort=True)]
        return page(request, "index.html", status, groups=groups, presets=available_presets(),
                    datasets=st.datasets().to_dict("records"), max_mb=round(max_upload_bytes / (1024 * 1024), 1),
                    message=message[:200], error=error[:500])

    @app.get("/assets/cjk-font", include_in_schema=False)
    def cjk_font():
        """The bundled CJK font, so pages show Chinese on machines without CJK fonts."""
        return FileResponse(cjk_font_path(), media_type="font/otf",
                            headers={"Cache-Control": "public, max-age=604800"})

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request):
        return page(request, "login.html")

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: Annotated[str, Form(max_length=512)] = ""):
        client = request.client.host if request.client else "unknown"
        if not same_origin(request.headers):
            return page(request, "login.html", 403, error="log in from this server's own login page")
        wait = limiter.retry_after(client)
        if wait:
            resp = page(request, "login.html", 429, error=f"too many failed logins; try again in {wait} s")
            resp.headers["Retry-After"] = str(wait)
            return resp
        if role_of(token, tokens) is None:
            limiter.fail(client)
            return page(request, "login.html", 401, error="unknown token")
        limiter.succeed(client)
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(COOKIE, sessions.issue(token), max_age=sessions.max_age, path="/", httponly=True,
                        samesite="lax", secure=is_https(request.url.scheme, request.headers))
        return resp

    @app.get("/logout", include_in_schema=False)
    def logout():
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, message: str = ""):
        if current(request)[0] is None:
            return RedirectResponse("/login", status_code=303)
        return index_page(request, message=message)

    @app.get("/datasets", response_class=HTMLResponse, include_in_schema=False)
    def datasets_page(request: Request, role: Reader):
        return page(request, "datasets.html", datasets=st.datasets().to_dict("records"))

    @app.post("/upload", include_in_schema=False)
    async def upload_page(request: Request, role: Analyst, file: Annotated[UploadFile, File()]):
        try:
            did = await take_upload(file)
        except HTTPException as exc:
            return await run_in_threadpool(index_page, request, exc.status_code, "", str(exc.detail))
        return RedirectResponse(f"/?message=uploaded+dataset+{did}", status_code=303)

    @app.post("/run", include_in_schema=False)
    def run_page(request: Request, role: Analyst, dataset_id: Annotated[str, Form(max_length=64)],
                 preset: Annotated[str, Form(max_length=80)],
                 method: Annotated[str, Form(max_length=20)] = "threshold"):
        try:
            if method not in ("threshold", "fce"):
                raise HTTPException(422, "method must be threshold or fce")
            if not _ID.fullmatch(dataset_id):
                raise HTTPException(404, "no such dataset")
            rid = run_preset(RunRequest(dataset_id=dataset_id, preset=preset, method=method))
        except HTTPException as exc:
            return index_page(request, exc.status_code, error=str(exc.detail))
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
        html = [(name, result.display(t.head(200)).round(4).to_html(index=False, border=0, na_rep="",
                                                                     classes="data", table_id=f"table-{name}"))
                for name, t in tables.items()]
        options = [(col, sorted(values)[:500], chosen.get(col, "")) for col, values in filters.items()]
        return page(request, "run.html", meta=stored.meta, tables=html, filters=options)

    @app.get("/runs/{run_id}/excel", tags=["runs"], summary="Download a run as a formatted Excel workbook",
             response_class=Response,
             responses={200: {"content": {XLSX: {}}}, **_errors(*COMMON, 404, json_route=False)})
    def run_excel(run_id: RunId, role: Reader, lang: Literal["zh", "en"] = "zh"):
        stored = get_run(run_id)
        with tempfile.TemporaryDirectory() as tmp:
            data = stored.result().with_lang(lang).to_excel(Path(tmp) / "run.xlsx").read_bytes()
        return Response(data, media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="finstab_{stored.meta["id"]}.xlsx"'})

    @app.get("/runs/{run_id}/report", tags=["runs"], summary="Self-contained HTML report of a run",
             response_class=HTMLResponse, responses=_errors(*COMMON, 404, json_route=False))
    def run_report(run_id: RunId, role: Reader, lang: Literal["zh", "en"] = "zh"):
        stored = get_run(run_id)
        section = run_section(stored, lang)
        return HTMLResponse(render_report(section.title, [section], lang))

    # ---------------------------------------------------------------- API docs, served locally
    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request):
        spec = app.openapi()
        operations = [(method.upper(), path, op.get("summary") or op.get("operationId", ""))
                      for path, item in spec["paths"].items() for method, op in item.items()]
        if _swagger_dir() is not None:
            return page(request, "docs.html")
        return page(request, "api.html", title="API", operations=operations)

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init():
        return Response(SWAGGER_INIT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def docs_asset(name: str):
        folder = _swagger_dir()
        if folder is None or name not in DOCS_ASSETS:
            raise HTTPException(404, "no such asset")
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        return FileResponse(folder / name, media_type=kind, headers={"Cache-Control": "public, max-age=86400"})

    # ---------------------------------------------------------------- JSON API
    @app.get("/api/presets", tags=["systems"], response_model=list[str], responses=_errors(*COMMON))
    def api_presets(role: Reader):
        return available_presets()

    @app.get("/api/runs", tags=["runs"], response_model=list[RunInfo], responses=_errors(*COMMON))
    def api_runs(role: Reader, kind: Annotated[str, Query(pattern=r"^[a-z_]{0,40}$",
                                                          description="Only runs of this kind.")] = ""):
        return st.runs(kind or None).to_dict("records")

    @app.get("/api/runs/{run_id}", tags=["runs"], response_model=RunDetail, responses=_errors(*COMMON, 404))
    def api_run(run_id: RunId, role: Reader, rows: Annotated[int, Query(ge=0, le=10_000)] = 100):
        stored = get_run(run_id)
        meta = {k: stored.meta[k] for k in RunInfo.model_fields}
        tables = {k: _records(v.head(rows)) for k, v in stored.tables.items()}
        return {"meta": meta, "summary": stored.meta["summary"], "parameters": stored.meta["parameters"],
                "tables": tables}

    @app.get("/api/datasets", tags=["datasets"], response_model=list[DatasetInfo], responses=_errors(*COMMON))
    def api_datasets(role: Reader):
        return st.datasets().to_dict("records")

    @app.post("/api/datasets", tags=["datasets"], response_model=DatasetInfo, status_code=201,
              summary="Upload a panel (.csv or .xlsx), validated as the monitor pipeline will read it",
              responses=_errors(*COMMON, 415))
    async def api_upload(role: Analyst, file: Annotated[UploadFile, File()]):
        did = await take_upload(file)
        table = await run_in_threadpool(st.datasets)
        return table.set_index("id").loc[did].to_dict() | {"id": did}

    @app.post("/api/runs", tags=["runs"], response_model=RunInfo, status_code=201,
              responses=_errors(*COMMON, 404))
    def api_run_create(req: RunRequest, role: Analyst):
        rid = run_preset(req)
        return st.runs().set_index("id").loc[rid].to_dict() | {"id": rid}

    return app


SWAGGER_INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
                               presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
});
"""


def _swagger_dir() -> Path | None:
    """Swagger UI's files from the swagger-ui-bundle package (the ``web`` extra), if installed."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    folder = Path(str(swagger_ui_path))
    return folder if all((folder / n).is_file() for n in DOCS_ASSETS) else None


def _records(df: pd.DataFrame) -> list[dict]:
    return [{str(k): (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in df.astype(object).to_dict("records")]
