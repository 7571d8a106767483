"""Token authentication with two roles: ``read`` (browse, download) and ``analyst`` (also
upload and run). Tokens come from $FINSTAB_TOKENS ("token:role,token:role") or a YAML file
``{token: role}``. No message ever repeats a token."""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import yaml

from finstab.core.errors import ConfigError

ROLES = ("read", "analyst")
RANK = {"read": 0, "analyst": 1}
MIN_LENGTH = 12


def _check(entries: Iterable[tuple[object, object]], where: str) -> dict[str, str]:
    """Validate (token, role) pairs; errors name the entry by position, never by its token."""
    tokens: dict[str, str] = {}
    for n, (token, role) in enumerate(entries, start=1):
        if not isinstance(token, str) or not token.strip():
            raise ConfigError(f"entry {n}: the token must be text", where=where)
        if not isinstance(role, str) or role not in ROLES:
            # the role is not shown either: in a file written the wrong way round it is the token
            raise ConfigError(f"entry {n}: the role must be one of {', '.join(ROLES)}", where=where)
        if len(token) < MIN_LENGTH:
            raise ConfigError(f"entry {n}: tokens must have at least {MIN_LENGTH} characters", where=where)
        if any(c.isspace() for c in token):
            raise ConfigError(f"entry {n}: a token may not contain spaces", where=where)
        tokens[token] = role
    return tokens


def parse_tokens(spec: str, where: str = "FINSTAB_TOKENS") -> dict[str, str]:
    """Tokens from ``"token:role,token:role"``.

    Examples
    --------
    >>> parse_tokens("abcdefghijkl-1:read, abcdefghijkl-2:analyst")
    {'abcdefghijkl-1': 'read', 'abcdefghijkl-2': 'analyst'}
    >>> parse_tokens("secret-secret-secret:admin")
    Traceback (most recent call last):
    ...
    finstab.core.errors.ConfigError: FINSTAB_TOKENS: entry 1: the role must be one of read, analyst
    """
    pairs = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        token, sep, role = item.rpartition(":")
        pairs.append((token if sep else "", role))
    return _check(pairs, where)


def load_tokens(path: str | Path | None = None) -> dict[str, str]:
    """Tokens from a YAML (or JSON) file ``{token: role}`` or the environment; empty when neither is set.

    Every problem with the file (missing, binary, not UTF-8, bad YAML, a list instead of a
    mapping, a bad role) is one :class:`ConfigError` that names the file and never a token.
    """
    if path is None:
        return parse_tokens(os.environ.get("FINSTAB_TOKENS", ""))
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise ConfigError("file not found", where=where)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc.__class__.__name__}", where=where) from None
    if b"\x00" in raw:
        raise ConfigError("a binary file; expected YAML text {token: role}", where=where)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text; expected YAML {token: role}", where=where) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # its context would quote the line, i.e. perhaps a token
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"not valid YAML{line}: {problem}; expected {{token: role}}", where=where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping {{token: role}}, found a {_kind(data)}", where=where)
    return _check(data.items(), where)


def _kind(value: object) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "true/false"}.get(
        type(value), type(value).__name__)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def role_of(token: str | None, tokens: dict[str, str]) -> str | None:
    """Constant-time lookup of a token's role."""
    if not token:
        return None
    given = token.encode("utf-8", "surrogatepass")
    found = None
    for known, role in tokens.items():
        if hmac.compare_digest(known.encode("utf-8", "surrogatepass"), given):
            found = role
    return found
