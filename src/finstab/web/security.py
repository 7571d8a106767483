"""Web hardening: signed expiring sessions, same-origin checks, a login rate limit, security
headers and a request-body limit that holds while the body streams in.

Nothing here knows about finstab's pages; :func:`finstab.web.app.create_app` wires it in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Content-Security-Policy of every response: only this server's scripts, styles, fonts and images
#: (inline styles and data: images/fonts are allowed: the self-contained reports embed them).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class Sessions:
    """Signed, expiring session cookies that name a token by its keyed fingerprint, never the token.

    Parameters
    ----------
    tokens
        ``{token: role}``; a session stays valid only while its token is in this table.
    max_age
        Seconds a session lasts after login.
    secret
        Signing key; a random one per process by default (a restart logs everyone out).

    Examples
    --------
    >>> s = Sessions({"a-token-of-length-20": "read"}, max_age=60, secret=b"k" * 32)
    >>> cookie = s.issue("a-token-of-length-20")
    >>> "a-token" in cookie, s.role(cookie), s.role(cookie + "x")
    (False, 'read', None)
    """

    def __init__(self, tokens: dict[str, str], max_age: int = 8 * 3600, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._signer = URLSafeTimedSerializer(self._secret, salt="finstab-session")
        self._roles = {self.fingerprint(t): role for t, role in tokens.items()}
        self.max_age = int(max_age)

    def fingerprint(self, token: str) -> str:
        return hmac.new(self._secret, token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]

    def issue(self, token: str) -> str:
        return self._signer.dumps({"t": self.fingerprint(token)})

    def role(self, cookie: str | None) -> str | None:
        """The role of a valid, unexpired session cookie; ``None`` otherwise."""
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):  # includes SignatureExpired
            return None
        return self._roles.get(data.get("t")) if isinstance(data, dict) else None


def is_https(scope_scheme: str, headers: Any) -> bool:
    """Served over HTTPS, directly or behind a proxy that says so (X-Forwarded-Proto)."""
    forwarded = (headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    return scope_scheme == "https" or forwarded == "https"


def same_origin(headers: Any) -> bool:
    """Whether a browser request comes from a page of this server.

    Compares the Origin (else Referer) header with the Host the request was sent to. A request
    with neither header is not from a browser form or script (browsers send Origin on every
    cross-site POST) and passes; the SameSite=Lax session cookie is not sent cross-site anyway.

    Examples
    --------
    >>> same_origin({"host": "a.example:8000", "origin": "http://a.example:8000"})
    True
    >>> same_origin({"host": "a.example:8000", "origin": "https://evil.example"})
    False
    """
    origin = headers.get("origin") or headers.get("referer")
    if origin is None:
        return True
    parts = urlsplit(origin.strip())
    host = (headers.get("x-forwarded-host") or headers.get("host") or "").split(",")[0].strip().lower()
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host


class LoginLimiter:
    """Sliding-window limit on failed logins per client: after ``max_failures`` failures within
    ``window`` seconds, the client waits until the oldest failure leaves the window.

    Examples
    --------
    >>> lim = LoginLimiter(max_failures=2, window=60)
    >>> lim.fail("1.2.3.4"); lim.fail("1.2.3.4")
    >>> lim.retry_after("1.2.3.4") > 0, lim.retry_after("5.6.7.8")
    (True, 0)
    """

    def __init__(self, max_failures: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.max_failures, self.window, self._clock = max_failures, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, key: str) -> int:
        """Seconds the client must wait before trying again (0: it may try now)."""
        with self._lock:
            now = self._clock()
            times = self._recent(key, now)
            if len(times) < self.max_failures:
                return 0
            return max(1, int(times[0] + self.window - now + 0.999))

    def fail(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            if len(self._failures) > 10_000:  # forget idle clients so memory stays bounded
                for k in [k for k, t in self._failures.items() if not self._recent(k, now)]:
                    del self._failures[k]
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times

    def succeed(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def json_error(status: int, detail: str, extra_headers: Iterable[tuple[bytes, bytes]] = ()) -> tuple[Message, Message]:
    """The two ASGI messages of a JSON error ``{"detail": ...}`` (the API's one error shape)."""
    body = json.dumps({"detail": detail}).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         *SECURITY_HEADERS, *extra_headers]}
    return start, {"type": "http.response.body", "body": body}


class HardeningMiddleware:
    """Adds the security headers to every response and limits request bodies.

    A body is refused with 413 when its Content-Length exceeds the limit, before anything is
    read, and also while it streams in (chunked or lying Content-Length): the application then
    sees a disconnect and its own response is replaced by the 413.

    Parameters
    ----------
    limit
        ``path -> maximum body bytes``; the limit of paths not listed is ``default_limit``.
    """

    def __init__(self, app: ASGIApp, limits: dict[str, int], default_limit: int = 64 * 1024) -> None:
        self.app, self.limits, self.default_limit = app, limits, default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default_limit)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                await self._send_all(send, *json_error(400, "invalid Content-Length header"))
                return
            if int(length) > limit:
                await self._send_all(send, *json_error(413, _too_large(limit)))
                return
        received, too_big, started = 0, False, False

        async def limited_receive() -> Message:
            nonlocal received, too_big
            if too_big:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_big = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_big:
                return  # the application's answer to a truncated body is replaced by the 413
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_big:
                raise
        if too_big and not started:
            await self._send_all(send, *json_error(413, _too_large(limit)))

    @staticmethod
    async def _send_all(send: Send, *messages: Message) -> None:
        for m in messages:
            await send(m)


def _too_large(limit: int) -> str:
    size = f"{limit / 1024 / 1024:.1f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"request body larger than {size}"
