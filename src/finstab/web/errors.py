"""Errors in two shapes: JSON ``{"detail": ...}`` for the API, a friendly page with a way back for
people. A request is answered with a page when it is for a page route (not under ``/api/``) or,
for the documented download routes (Excel, report), when the browser asks for HTML."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from finstab.core.errors import FinstabError
from finstab.store.database import StoreUnavailable
from finstab.web.context import LANGS, Web, page_context
from finstab.web.runs import TAGS
from finstab.web.security import same_origin

JSON_PREFIXES = ("/api/", "/openapi.json", "/docs/assets/", "/docs/init.js", "/assets/")
DOWNLOADS = re.compile(r"^/runs/[^/]+/(excel|report)$")

#: status -> (Chinese title, English title, Chinese hint, English hint)
TITLES: dict[int, tuple[str, str, str, str]] = {
    400: ("请求有误", "Bad request", "请检查填写的内容。", "Check what was entered."),
    401: ("请先登录", "Please log in", "会话已过期或尚未登录。", "Your session expired or you have not logged in."),
    403: ("无权执行此操作", "Not allowed", "当前角色没有此权限，或请求并非来自本站页面。",
          "Your role may not do this, or the request did not come from this site's pages."),
    404: ("未找到", "Not found", "该运行、数据集或页面不存在。", "No such run, dataset or page."),
    405: ("不支持的请求方式", "Method not allowed", "请从页面上的按钮操作。", "Use the buttons on the pages."),
    413: ("文件或请求过大", "Too large", "请缩小文件或拆分数据后重试。", "Make the file smaller or split the data."),
    415: ("文件类型不支持", "Unsupported file type", "请上传 .csv、.xlsx 表格或 .yaml 指标体系。",
          "Upload a .csv or .xlsx table, or a .yaml indicator system."),
    422: ("无法完成", "Cannot do this", "数据或参数未通过检查，说明如下。",
          "The data or the parameters did not pass the checks below."),
    429: ("尝试次数过多", "Too many attempts", "请稍后再试。", "Wait a little and try again."),
    500: ("服务器内部错误", "Internal error", "这是 finstab 的问题，不是您的数据的问题；已记录。",
          "This is a problem in finstab, not in your data; it has been logged."),
    503: ("暂时不可用", "Temporarily unavailable", "数据库正忙或无法连接，请稍后重试。",
          "The store is busy or unreachable; try again shortly."),
}


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(JSON_PREFIXES) or path == "/api":
        return False
    if DOWNLOADS.match(path):
        return "text/html" in request.headers.get("accept", "")
    return True


def page_lang(request: Request) -> str:
    lang = request.query_params.get("lang", "zh")
    return lang if lang in LANGS else "zh"


def back_link(request: Request) -> str:
    """Where "back" goes: the page the request came from (on this site), else the home page."""
    referer = request.headers.get("referer", "")
    if referer and same_origin({"host": request.headers.get("host", ""), "origin": referer,
                                "x-forwarded-host": request.headers.get("x-forwarded-host")}):
        parts = urlsplit(referer)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if target and target != request.url.path + (f"?{request.url.query}" if request.url.query else ""):
            return target
    return "/"


def _context(web: Web, request: Request, status: int, detail: str,
             items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    lang = page_lang(request)
    zh, en, hint_zh, hint_en = TITLES.get(status, (f"错误 {status}", f"Error {status}", "", ""))
    heading = zh if lang == "zh" else en
    return {**page_context(web, request, lang), "title": heading, "status": status, "heading": heading,
            "hint": hint_zh if lang == "zh" else hint_en, "detail": detail[:4000], "items": (items or [])[:20],
            "back": back_link(request)}


def error_page(web: Web, request: Request, status: int, detail: str, *, items: list[dict[str, Any]] | None = None,
               headers: dict[str, str] | None = None) -> Response:
    context = _context(web, request, status, detail, items)
    return web.templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)


def middleware_renderer(web: Web) -> Callable[[dict[str, Any], int, str], tuple[bytes, bytes]]:
    """Errors the hardening middleware answers itself (too large, unhandled), in the same two shapes."""

    def render(scope: dict[str, Any], status: int, detail: str) -> tuple[bytes, bytes]:
        request = Request(scope)
        if not wants_html(request):
            return b"application/json", json.dumps({"detail": detail}).encode()
        html = web.templates.get_template("error.html").render(_context(web, request, status, detail))
        return b"text/html; charset=utf-8", html.encode()

    return render


def clean_loc(loc: tuple[Any, ...] | list[Any]) -> list[str | int]:
    """A validation error's location without the union tag of a run request (``body.monitor.params`` ->
    ``body.params``)."""
    parts = [x if isinstance(x, int) else str(x) for x in loc]
    if len(parts) >= 2 and parts[0] == "body" and parts[1] in TAGS:
        del parts[1]
    return parts


def validation_items(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    items = [{"loc": clean_loc(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in errors]
    detail = "; ".join(f"{'.'.join(map(str, i['loc']))}: {i['msg']}" for i in items[:5]) or "invalid request"
    return detail, items


def install(app: FastAPI, web: Web) -> None:
    """Register the error handlers: JSON for the API, pages for people."""

    def answer(request: Request, status: int, detail: str, headers: dict[str, str] | None = None,
               items: list[dict[str, Any]] | None = None) -> Response:
        if not wants_html(request):
            body: dict[str, Any] = {"detail": detail}
            if items is not None:
                body["errors"] = items
            return JSONResponse(body, status, headers=headers)
        if status == 401 and request.method in ("GET", "HEAD"):
            return RedirectResponse("/login", status_code=303)
        return error_page(web, request, status, detail, items=items, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return answer(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        detail, items = validation_items(list(exc.errors()))
        return answer(request, 422, detail, items=items)

    @app.exception_handler(StoreUnavailable)
    async def store_busy(request: Request, exc: StoreUnavailable):
        return answer(request, 503, str(exc), headers={"Retry-After": "5"})

    @app.exception_handler(FinstabError)
    async def finstab_error(request: Request, exc: FinstabError):
        return answer(request, 422, str(exc))

