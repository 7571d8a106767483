"""``finstab --help`` start-up against ``python -c "import numpy"`` in the same run (goal: at most 2x)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from common import best_of, report

FINSTAB = [str(Path(sys.executable).with_name("finstab")), "--help"]
NUMPY = [sys.executable, "-c", "import numpy"]


def main() -> None:
    run = lambda cmd: subprocess.run(cmd, capture_output=True, check=True)  # noqa: E731
    ours, base = best_of(lambda: run(FINSTAB), 5), best_of(lambda: run(NUMPY), 5)
    report("startup", "finstab --help / import numpy", ours / base, 2.0, baseline="python -c 'import numpy'",
           higher_is_better=False, seconds=ours, baseline_seconds=base)


if __name__ == "__main__":
    main()
