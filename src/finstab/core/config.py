"""Load YAML configuration files into pydantic models with errors that name file and path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from finstab.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def format_loc(loc: tuple[Any, ...]) -> str:
    """pydantic's error location as a YAML path: ``children[2].cuts``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("node", "indicator"):  # discriminator tags carry no information
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def validate(model: type[M], data: Any, source: str) -> M:
    """Validate a mapping; one ConfigError listing every problem with its YAML path."""
    if not isinstance(data, dict):
        raise ConfigError("expected a YAML mapping at the top level", where=source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [f"{format_loc(e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines), where=source) from None


def read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", where=source) from None


def load_model(model: type[M], path: str | Path) -> M:
    """Read and validate a YAML file as ``model``."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("file not found", where=str(p))
    return validate(model, read_yaml(p.read_text(encoding="utf-8"), str(p)), str(p))
