"""Indicator systems: pydantic schema, YAML loader, shipped presets."""

from finstab.monitor.systems.loader import available_presets, dump_system, load_system
from finstab.monitor.systems.schema import Indicator, IndicatorSystem, Node

__all__ = ["Indicator", "IndicatorSystem", "Node", "available_presets", "dump_system",
           "load_system"]
