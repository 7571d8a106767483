"""Regional risk monitor: indicator systems, panels, threshold and FCE evaluation."""

from finstab.monitor.model import Monitor, MonitorResult

__all__ = ["Monitor", "MonitorResult"]
