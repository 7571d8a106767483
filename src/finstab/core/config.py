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
        mark = getattr(exc, "problem_mark", None)
        where = f"{source} line {mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "\t" in text and "\\t" in str(exc):
            problem += " (YAML indents with spaces, not tabs)"
        raise ConfigError(f"not valid YAML: {problem}", where=where) from None


def read_config_text(path: str | Path) -> str:
    """A configuration file's text: UTF-8 (with or without BOM) or GBK/GB18030, as Windows editors save it."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("file not found", where=str(p))
    raw = p.read_bytes()
    if b"\x00" in raw[:4096]:
        raise ConfigError("a binary file, not a text (YAML) file", where=str(p))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError("not UTF-8 or GBK text; save the file as UTF-8", where=str(p))


def load_yaml(path: str | Path) -> Any:
    """A YAML file's content (safe loader: no Python tags), with errors naming the file and line."""
    return read_yaml(read_config_text(path), str(path))


def load_model(model: type[M], path: str | Path) -> M:
    """Read and validate a YAML file as ``model``."""
    return validate(model, load_yaml(path), str(path))
