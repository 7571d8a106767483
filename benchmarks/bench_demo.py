"""``finstab demo`` end to end (every method, the bilingual report, the memo, the run store).

Goal (issue 17): under 15 s of wall-clock time on the 2-core reference machine. There is no
baseline to compare with in the same run, so the ratio is seconds / 15 (goal <= 1). The CPU
time of the run and the machine's load average are recorded beside it: on a shared machine
the wall clock follows the load, the CPU time much less.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import report

GOAL_SECONDS = 15.0
REPEAT = 2
FINSTAB = str(Path(sys.executable).with_name("finstab"))


def run_demo() -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ``finstab demo`` into a fresh temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([FINSTAB, "demo", "--out", str(Path(tmp) / "out")], capture_output=True, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    runs = [run_demo() for _ in range(REPEAT)]
    wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    load = os.getloadavg()[0]
    print(f"finstab demo: {wall:.1f} s wall, {cpu:.1f} s CPU (best of {REPEAT}; load average {load:.1f} "
          f"on {os.cpu_count()} CPUs)")
    report("demo", "finstab demo seconds / 15 s", wall / GOAL_SECONDS, 1.0, baseline="wall-clock goal",
           higher_is_better=False, seconds=wall, cpu_seconds=cpu, load_average=load, cpus=os.cpu_count())


if __name__ == "__main__":
    main()
