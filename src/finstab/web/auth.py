"""Token authentication with two roles: ``read`` (browse, download) and ``analyst`` (also
upload and run). Tokens come from $FINSTAB_TOKENS ("token:role,token:role") or a YAML file."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

import yaml

from finstab.core.errors import ConfigError

ROLES = ("read", "analyst")
RANK = {"read": 0, "analyst": 1}


def parse_tokens(spec: str, where: str = "FINSTAB_TOKENS") -> dict[str, str]:
    tokens = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        token, _, role = item.rpartition(":")
        if not token or role not in ROLES:
            raise ConfigError(f"{item!r}: expected token:role with role in {ROLES}", where=where)
        if len(token) < 12:
            raise ConfigError("tokens must have at least 12 characters", where=where)
        tokens[token] = role
    return tokens


def load_tokens(path: str | Path | None = None) -> dict[str, str]:
    """Tokens from a YAML file ({token: role}) or the environment; empty when neither is set."""
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError("file not found", where=str(p))
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        return parse_tokens(",".join(f"{k}:{v}" for k, v in data.items()), str(p))
    return parse_tokens(os.environ.get("FINSTAB_TOKENS", ""))


def new_token() -> str:
    return secrets.token_urlsafe(24)


def role_of(token: str | None, tokens: dict[str, str]) -> str | None:
    """Constant-time lookup of a token's role."""
    if not token:
        return None
    for known, role in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            return role
    return None
