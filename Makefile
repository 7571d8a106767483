# Every target bootstraps its own virtualenv, so a fresh clone needs only python3 >= 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: demo test lint bench mutation clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/finstab demo --out $(OUT)

test: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(BIN)/.installed
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

# Mutation testing (mutmut, configured in pyproject.toml [tool.mutmut]) over the numeric kernels:
# mcda, fund, bank, contagion, early_warning. Restrict with MUTANTS='finstab.mcda.*'. Prints the
# score: mutants killed (failing test, timeout or crash) over mutants run.
MUTANTS ?=
define MUTATION_SCORE
import collections, fnmatch, sys
patterns = sys.argv[1:] or ["*"]
count = collections.Counter()
for line in sys.stdin:
    name, _, status = line.strip().rpartition(": ")
    if name and any(fnmatch.fnmatch(name, p) for p in patterns):
        count[status] += 1
killed = count["killed"] + count["timeout"] + count["segfault"] + count["caught by type check"]
run = sum(count.values()) - count["not checked"] - count["skipped"]
print(f"mutation score ({' '.join(patterns)}): {killed}/{run} killed = {100 * killed / max(run, 1):.1f} %")
print("  " + ", ".join(f"{k} {v}" for k, v in sorted(count.items())))
endef
export MUTATION_SCORE

mutation: $(BIN)/.installed
	FINSTAB_HYPOTHESIS=mutation $(BIN)/mutmut run $(MUTANTS); status=$$?; \
	$(BIN)/mutmut results --all true | $(BIN)/python -c "$$MUTATION_SCORE" $(MUTANTS); exit $$status

clean:
	rm -rf $(VENV) $(OUT) build mutants *.egg-info src/*.egg-info
