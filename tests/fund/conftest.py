import os

# Mutation runs (mutmut sets MUTANT_UNDER_TEST) fork one worker per mutant from a process that has
# already run the compiled kernels. numba's default threading layer here is GNU OpenMP, which is not
# fork-safe: numba then ends every forked worker that launches a parallel kernel with SIGTERM, and
# mutmut records the mutant as "suspicious" whatever its tests would have said. The workqueue layer
# is fork-safe; it is chosen before any parallel kernel has run, and only for mutation runs.
if "MUTANT_UNDER_TEST" in os.environ:
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is optional
        pass
    else:
        numba.config.THREADING_LAYER = "workqueue"
