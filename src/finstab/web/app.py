"""The finstab web dashboard: pages for people, a JSON API for programs, same pipelines.

Every method of :data:`finstab.pipelines.methods.METHODS` runs from a form and from
``POST /api/runs`` on uploaded tables (and uploaded indicator systems), with the shipped
defaults for every parameter left out; a run page shows the report's section of the run.
The routes live in :mod:`finstab.web.pages` and :mod:`finstab.web.api`; the errors (a page for
people, JSON for programs) in :mod:`finstab.web.errors`.

No request path reaches the file system: datasets and runs are addressed by ids in the
store, presets by name from the shipped list, static assets by name from a fixed list,
uploads are parsed in memory (in a worker thread, within row and cell limits) under a name
finstab chooses.

Security: pages use a signed, expiring session cookie (HttpOnly, SameSite=Lax, Secure over
HTTPS); programs send ``Authorization: Bearer <token>``. Cookie-authenticated POSTs must come
from this server's own pages (Origin/Referer check); failed logins are rate-limited; every
response carries CSP, X-Frame-Options, nosniff and Referrer-Policy; request bodies are limited
before and while they stream in; the API docs and the pages' script are served from local files.
"""

import re
import threading
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

import finstab
from finstab.core.errors import FinstabError
from finstab.report.fonts import cjk_font_path, common_font, web_font_faces
from finstab.store.database import Store, StoreUnavailable
from finstab.web import api, errors, pages
from finstab.web.auth import RANK
from finstab.web.context import COOKIE, STATIC_DIR, Web
from finstab.web.security import HardeningMiddleware, LoginLimiter, Sessions, same_origin
from finstab.web.uploads import SYSTEM_SUFFIXES, Limits, TooLarge, parse_system_upload, parse_upload, validate_panel

__all__ = ["COOKIE", "create_app"]

DOCS_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js")
#: the pages' own static files: name -> media type
STATIC = {"tables.js": "text/javascript", "site.css": "text/css"}


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

    Examples
    --------
    >>> import tempfile, pathlib
    >>> app = create_app(pathlib.Path(tempfile.mkdtemp()) / "runs.duckdb", {"an-analyst-token-1": "analyst"})
    >>> sorted(p for p in app.openapi()["paths"] if p.startswith("/api/runs"))
    ['/api/runs', '/api/runs/{run_id}']
    """
    tokens = dict(tokens or {})
    web = Web(store=store if isinstance(store, Store) else Store(store), tokens=tokens,
              sessions=Sessions(tokens, max_age=int(session_hours * 3600), secret=session_secret),
              limiter=LoginLimiter(login_failures, login_window), limits=limits or Limits(),
              max_upload_bytes=max_upload_bytes)
    app = FastAPI(title="finstab", version=finstab.__version__, docs_url=None, redoc_url=None,
                  description="Financial-stability analysis: run every method on uploaded data; runs, datasets, "
                              "indicator systems. Authenticate with `Authorization: Bearer <token>`. Errors are "
                              "JSON `{\"detail\": \"...\"}`.")
    body_room = 64 * 1024  # multipart headers around the file
    app.add_middleware(HardeningMiddleware, limits={"/upload": max_upload_bytes + body_room,
                                                    "/api/datasets": max_upload_bytes + body_room},
                       render_error=errors.middleware_renderer(web))
    bearer = HTTPBearer(auto_error=False, description="A token from the tokens file or $FINSTAB_TOKENS.")
    cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="Session cookie set by POST /login.")
    errors.install(app, web)

    # ---------------------------------------------------------------- authentication
    def need(role: str):
        # the two security dependencies only declare the schemes in OpenAPI; web.current() decides
        def check(request: Request, _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                  _session: Annotated[str | None, Depends(cookie)]) -> str:
            have, via_cookie = web.current(request)
            if have is None:
                raise HTTPException(401, "missing, unknown or expired token", headers={"WWW-Authenticate": "Bearer"})
            if via_cookie and request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin(request.headers):
                raise HTTPException(403, "cross-site request refused: it must come from this server's own pages")
            if RANK[have] < RANK[role]:
                raise HTTPException(403, f"role {have!r} may not do this; needs {role!r}")
            return have
        return check

    web.reader = Annotated[str, Depends(need("read"))]
    web.analyst = Annotated[str, Depends(need("analyst"))]

    # ---------------------------------------------------------------- uploads
    def ingest(data: bytes, suffix: str, name: str, kind: str) -> str:
        if suffix in SYSTEM_SUFFIXES:
            text, system = parse_system_upload(data, name)
            import pandas as pd

            return web.store.add_dataset(name, "system", pd.DataFrame({"yaml": [text]}),
                                         source=f"upload {name}: system {system.id}")
        frame = parse_upload(data, suffix, name, web.limits)
        if kind == "panel":
            frame = validate_panel(frame)
        return web.store.add_dataset(name, kind, frame, source=f"upload {name}")

    async def take_upload(file: UploadFile, kind: str = "panel") -> str:
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in (".csv", ".xlsx", *SYSTEM_SUFFIXES):
            raise HTTPException(415, "upload a .csv or .xlsx table, or a .yaml indicator system")
        if kind == "system" and suffix not in SYSTEM_SUFFIXES:
            raise HTTPException(415, "an indicator system is a .yaml file")
        data = await file.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            raise HTTPException(413, f"file larger than {max_upload_bytes / (1024 * 1024):.1f} MB")
        name = re.sub(r"[^\w.\-\u4e00-\u9fff ]", "_", Path(file.filename or "upload").name)[:120] or "upload"
        try:  # parsing can take seconds: never on the event loop
            return await run_in_threadpool(ingest, data, suffix, name, kind)
        except TooLarge as exc:
            raise HTTPException(413, str(exc)) from None
        except StoreUnavailable:
            raise
        except FinstabError as exc:
            raise HTTPException(422, str(exc)) from None

    web.take_upload = take_upload

    # ---------------------------------------------------------------- static files
    # Pages show Chinese on machines without CJK fonts: a browser fetches the common characters'
    # font (GB 2312, 1.9 MB), and the whole 16 MB font only for a page with a rarer character.
    threading.Thread(target=common_font, daemon=True).start()  # cut it before the first page asks

    @app.get("/assets/cjk-font.css", include_in_schema=False)
    def cjk_font_css():
        return Response(web_font_faces("/assets/cjk-font", "/assets/cjk-font-common"), media_type="text/css",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/assets/cjk-font", include_in_schema=False)
    def cjk_font():
        return FileResponse(cjk_font_path(), media_type="font/otf",
                            headers={"Cache-Control": "public, max-age=604800"})

    @app.get("/assets/cjk-font-common", include_in_schema=False)
    def cjk_font_common():
        return Response(common_font(), media_type="font/otf", headers={"Cache-Control": "public, max-age=604800"})

    @app.get("/assets/{name}", include_in_schema=False)
    def static_asset(name: str):
        if name not in STATIC:
            raise HTTPException(404, "no such asset")
        return FileResponse(STATIC_DIR / name, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    # ---------------------------------------------------------------- API docs, served locally
    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request):
        spec = app.openapi()
        operations = [(method.upper(), path, op.get("summary") or op.get("operationId", ""))
                      for path, item in spec["paths"].items() for method, op in item.items()]
        if _swagger_dir() is not None:
            return web.templates.TemplateResponse(request, "docs.html", {})
        return web.page(request, "api.html", title="API", operations=operations)

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

    pages.register(app, web)
    api.register(app, web)
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
