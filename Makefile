# botarena: `make demo` runs the main job, `make test` the tests. Each sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.botarena-installed
# Numba's on-disk cache lives inside the venv: a fresh clone (CI) never reuses stale kernels.
export NUMBA_CACHE_DIR := $(abspath $(VENV))/numba_cache
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test bench lint setup clean

setup: $(STAMP)

# The CPU torch wheel goes in first: a plain `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# The main job: rank the bundled agents on every game (a rerun resumes from runs/leaderboard-demo).
demo: $(STAMP)
	$(VENV)/bin/botarena leaderboard --quick --out runs/leaderboard-demo

# The tests also write and read TickDuel's Minari datasets (the `datasets` extra); the demo does not need it.
TEST_STAMP := $(VENV)/.botarena-test-extras
$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,datasets]"
	@touch $(TEST_STAMP)

test: $(TEST_STAMP)
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(PY) -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/botarena bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
