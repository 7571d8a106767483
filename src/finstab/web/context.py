"""What the page and API routes share: the store, authentication, templates, uploads and the
rendered sections of runs (cached: a stored run never changes)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from finstab.core.errors import DataError
from finstab.report.html import Section
from finstab.report.stored import run_section
from finstab.store.database import Store, StoredRun, StoreUnavailable
from finstab.web.auth import role_of
from finstab.web.runs import ID
from finstab.web.security import LoginLimiter, Sessions
from finstab.web.uploads import Limits

COOKIE = "finstab_session"
_DRAWING = threading.Lock()
LANGS = ("zh", "en")
TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@jinja2.pass_context
def _t(ctx: Any, zh: str, en: str) -> str:
    """The page's language of a pair of strings: ``{{ t("运行", "Runs") }}``."""
    return en if ctx.get("lang") == "en" else zh


def _url(path: str, lang: str = "zh", **query: Any) -> str:
    """A link that keeps the page's language."""
    params = {k: v for k, v in query.items() if v not in (None, "")}
    if lang != "zh":
        params["lang"] = lang
    return f"{path}?{urlencode(params)}" if params else path


def templates() -> Jinja2Templates:
    tpl = Jinja2Templates(directory=str(TEMPLATE_DIR))
    tpl.env.globals.update(t=_t, url=_url)
    return tpl


def page_context(web: Web, request: Request, lang: str) -> dict[str, Any]:
    """What the site layout needs: the role, the language and a link to the page in the other one."""
    switch = None
    if request.method in ("GET", "HEAD"):
        query = {k: v for k, v in request.query_params.items() if k not in ("lang", "message")}
        switch = _url(request.url.path, "en" if lang == "zh" else "zh", **query)
    return {"request": request, "role": web.current(request)[0], "lang": lang, "path": request.url.path,
            "switch": switch}


@dataclass
class Web:
    """The app's state and helpers, built once by :func:`finstab.web.app.create_app`."""

    store: Store
    tokens: dict[str, str]
    sessions: Sessions
    limiter: LoginLimiter
    limits: Limits
    max_upload_bytes: int
    templates: Jinja2Templates = field(default_factory=templates)
    section_cache_size: int = 24
    _sections: OrderedDict[tuple[str, str], Section] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: the FastAPI dependencies of the two roles (set by create_app)
    reader: Any = None
    analyst: Any = None
    #: ``await take_upload(file, kind) -> dataset id``: read, check and store an upload (set by create_app)
    take_upload: Callable[[UploadFile, str], Awaitable[str]] | None = None

    # ------------------------------------------------------------------ who is asking
    def current(self, request: Request) -> tuple[str | None, bool]:
        """(role, via_cookie) of a request: a bearer token, else the session cookie."""
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            return role_of(header[7:].strip(), self.tokens), False
        return self.sessions.role(request.cookies.get(COOKIE)), True

    # ------------------------------------------------------------------ pages
    def page(self, request: Request, name: str, status: int = 200, *, lang: str = "zh",
             **context: Any) -> HTMLResponse:
        return self.templates.TemplateResponse(request, name, {**page_context(self, request, lang), "title": name,
                                                               **context}, status_code=status)

    # ------------------------------------------------------------------ runs
    def get_run(self, run_id: str) -> StoredRun:
        if not ID.fullmatch(run_id):
            raise HTTPException(404, "no such run")
        try:
            return self.store.run(run_id)
        except StoreUnavailable:
            raise
        except DataError as exc:
            raise HTTPException(404, str(exc)) from None

    def section(self, stored: StoredRun, lang: str) -> Section:
        """The report's section of a stored run (charts take seconds: each is drawn once)."""
        key = (stored.meta["id"], lang)
        with self._lock:
            if key in self._sections:
                self._sections.move_to_end(key)
                return self._sections[key]
        with _DRAWING:  # matplotlib's pyplot is not thread-safe: one section is drawn at a time
            with self._lock:
                if key in self._sections:  # drawn by another request meanwhile
                    return self._sections[key]
            sec = run_section(stored, lang)
            with self._lock:
                self._sections[key] = sec
                while len(self._sections) > self.section_cache_size:
                    self._sections.popitem(last=False)
        return sec

