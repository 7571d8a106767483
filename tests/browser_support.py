"""What the browser tests share: the distribution's Chromium and the flags it runs with here."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def require_chromium() -> str:
    """Chromium's path; skip the calling module without it (CI must have it)."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI must install Chromium (apt-get install chromium) for the browser tests")
        pytest.skip("no system Chromium on this machine", allow_module_level=True)
    return CHROMIUM
