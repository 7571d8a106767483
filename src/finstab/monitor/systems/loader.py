"""Load indicator systems from shipped presets or user YAML files, with clear errors."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from finstab.core.config import load_model, read_yaml, validate
from finstab.core.errors import ConfigError
from finstab.monitor.systems.schema import IndicatorSystem

PRESET_PACKAGE = "finstab.monitor.systems.presets"


def available_presets() -> list[str]:
    """Names of the presets shipped with finstab."""
    root = resources.files(PRESET_PACKAGE)
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def parse_system(data: Any, source: str) -> IndicatorSystem:
    """Validate a mapping as an indicator system; errors name ``source`` and the YAML path."""
    return validate(IndicatorSystem, data, source)


def load_system(name_or_path: str | Path) -> IndicatorSystem:
    """Load a preset by name (``"zibo"``) or a user YAML file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ConfigError("file not found", where=str(path))
        return load_model(IndicatorSystem, path)
    name = str(name_or_path)
    if name not in available_presets():
        raise ConfigError(f"unknown preset {name!r}; available: {', '.join(available_presets())}",
                          where="system")
    return _preset(name)


@cache
def _preset(name: str) -> IndicatorSystem:
    """A shipped preset, read and validated once per process (systems are not modified in place)."""
    text = resources.files(PRESET_PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse_system(read_yaml(text, f"preset {name}"), f"preset {name}")


def dump_system(system: IndicatorSystem) -> str:
    """Serialise a system back to YAML (round-trips through :func:`parse_system`)."""
    data = system.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
