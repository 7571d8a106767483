"""Pages for people: log in, upload tables and indicator systems, run any method, read a run as the
report shows it (drill-down first, then the section, then every table, sortable and paginated)."""

from typing import Annotated, Literal

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from finstab.monitor.systems import available_presets
from finstab.web.context import COOKIE, Web, _url
from finstab.web.errors import error_page, validation_items
from finstab.web.runs import (
    DATASET_KINDS,
    RUN_REQUEST,
    TABLE_KINDS,
    NotFound,
    execute,
    form_to_request,
    method_catalogue,
)
from finstab.web.security import is_https, same_origin
from finstab.web.tables import MAX_ROWS, chosen_filters, drill_filters, full_tables

Lang = Literal["zh", "en"]


def register(app: FastAPI, web: Web) -> None:
    Reader, Analyst = web.reader, web.analyst
    st = web.store

    def index_page(request: Request, lang: str, message: str = "") -> HTMLResponse:
        runs = st.runs()
        groups = [(kind, part.to_dict("records")) for kind, part in runs.groupby("kind", sort=True)]
        datasets = st.datasets()
        tables = datasets[datasets["kind"].isin(TABLE_KINDS)].to_dict("records")
        systems = datasets[datasets["kind"] == "system"].to_dict("records")
        return web.page(request, "index.html", lang=lang, title="finstab", groups=groups, tables=tables,
                        systems=systems, presets=available_presets(), methods=method_catalogue(lang),
                        max_mb=round(web.max_upload_bytes / (1024 * 1024), 1), message=message[:200])

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, lang: Lang = "zh"):
        return web.page(request, "login.html", lang=lang, title="log in")

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: Annotated[str, Form(max_length=512)] = "", lang: Lang = "zh"):
        client = request.client.host if request.client else "unknown"
        if not same_origin(request.headers):
            return web.page(request, "login.html", 403, lang=lang, error="log in from this server's own login page")
        wait = web.limiter.retry_after(client)
        if wait:
            resp = web.page(request, "login.html", 429, lang=lang,
                            error=f"too many failed logins; try again in {wait} s")
            resp.headers["Retry-After"] = str(wait)
            return resp
        from finstab.web.auth import role_of

        if role_of(token, web.tokens) is None:
            web.limiter.fail(client)
            return web.page(request, "login.html", 401, lang=lang, error="unknown token")
        web.limiter.succeed(client)
        resp = RedirectResponse(_url("/", lang), status_code=303)
        resp.set_cookie(COOKIE, web.sessions.issue(token), max_age=web.sessions.max_age, path="/", httponly=True,
                        samesite="lax", secure=is_https(request.url.scheme, request.headers))
        return resp

    @app.get("/logout", include_in_schema=False)
    def logout():
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, message: str = "", lang: Lang = "zh"):
        if web.current(request)[0] is None:
            return RedirectResponse("/login", status_code=303)
        return index_page(request, lang, message)

    @app.get("/datasets", response_class=HTMLResponse, include_in_schema=False)
    def datasets_page(request: Request, role: Reader, lang: Lang = "zh"):
        return web.page(request, "datasets.html", lang=lang, title="datasets",
                        datasets=st.datasets().to_dict("records"))

    @app.post("/upload", include_in_schema=False)
    async def upload_page(request: Request, role: Analyst, file: Annotated[UploadFile, File()],
                          kind: Annotated[Literal[DATASET_KINDS], Form()] = "panel", lang: Lang = "zh"):
        did = await web.take_upload(file, kind)
        text = ("已上传数据集" if lang == "zh" else "uploaded dataset") + f" {did}"
        return RedirectResponse(_url("/", lang, message=text), status_code=303)

    @app.post("/run", include_in_schema=False)
    async def run_page(request: Request, role: Analyst, lang: Lang = "zh"):
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if "dataset_id" in fields or "preset" in fields:  # the monitor's first form
            body: dict = {k: fields[k] for k in ("dataset_id", "preset", "method") if k in fields}
        else:
            body = form_to_request(fields.get("method", ""),
                                   {k[3:]: v for k, v in fields.items() if k.startswith("ds.")},
                                   {k[2:]: v for k, v in fields.items() if k.startswith("p.")})
        try:
            req = RUN_REQUEST.validate_python(body)
        except ValidationError as exc:
            detail, items = validation_items([{"loc": ("body", *e["loc"]), "msg": e["msg"]} for e in exc.errors()])
            return error_page(web, request, 422, detail, items=items)
        try:
            rid = await run_in_threadpool(execute, st, req)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from None
        return RedirectResponse(_url(f"/runs/{rid}", lang), status_code=303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_detail_page(request: Request, role: Reader, run_id: str, lang: Lang = "zh"):
        stored = web.get_run(run_id)
        result = stored.result().with_lang(lang)
        section = web.section(stored, lang)
        chosen = chosen_filters(dict(request.query_params))
        return web.page(request, "run.html", lang=lang, title=section.title, meta=stored.meta, section=section,
                        filters=drill_filters(result, chosen), chosen=chosen, tables=full_tables(result, chosen),
                        max_rows=MAX_ROWS)
