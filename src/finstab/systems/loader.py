"""Load indicator systems from shipped presets or user YAML files, with clear errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from finstab.errors import ConfigError
from finstab.systems.schema import IndicatorSystem

PRESET_PACKAGE = "finstab.systems.presets"


def available_presets() -> list[str]:
    """Names of the presets shipped with finstab."""
    root = resources.files(PRESET_PACKAGE)
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("node", "indicator"):  # discriminator tags carry no information
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_system(data: Any, source: str) -> IndicatorSystem:
    """Validate a mapping as an indicator system; errors name ``source`` and the YAML path."""
    if not isinstance(data, dict):
        raise ConfigError("expected a YAML mapping at the top level", where=source)
    try:
        return IndicatorSystem.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_format_loc(e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid indicator system:\n  " + "\n  ".join(lines),
                          where=source) from None


def _read_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", where=source) from None


def load_system(name_or_path: str | Path) -> IndicatorSystem:
    """Load a preset by name (``"zibo"``) or a user YAML file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ConfigError("file not found", where=str(path))
        return parse_system(_read_yaml(path.read_text(encoding="utf-8"), str(path)), str(path))
    name = str(name_or_path)
    if name not in available_presets():
        raise ConfigError(f"unknown preset {name!r}; available: {', '.join(available_presets())}",
                          where="--system")
    text = resources.files(PRESET_PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse_system(_read_yaml(text, f"preset {name}"), f"preset {name}")


def dump_system(system: IndicatorSystem) -> str:
    """Serialise a system back to YAML (round-trips through :func:`parse_system`)."""
    data = system.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
