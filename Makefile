# KetNoi: `make run` starts the demo, `make test` runs the whole suite. Both build .venv from scratch.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run live test lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot demo

live: $(STAMP)
	$(PY) -m bot run

lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

# The suite always runs on SQLite; on PostgreSQL too when TEST_DATABASE_URL is set, side by side
# (one pass per core; tests marked `alone` take the machine to themselves, see tests/conftest.py).
test: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	@if [ -z "$$TEST_DATABASE_URL" ]; then exec $(PY) -m pytest -q; fi; \
	lock=$$(mktemp); log=$$(mktemp); \
	KETNOI_TEST_LOCK=$$lock $(PY) -m pytest -q -p no:cacheprovider >$$log 2>&1 & sqlite=$$!; \
	echo "== on $$TEST_DATABASE_URL (SQLite beside it: its report follows)"; \
	KETNOI_TEST_LOCK=$$lock KETNOI_TEST_DB=postgres $(PY) -m pytest -q; pg=$$?; \
	wait $$sqlite; lite=$$?; \
	echo "== on SQLite"; cat $$log; rm -f $$lock $$log; \
	test $$pg -eq 0 -a $$lite -eq 0

clean:
	rm -rf $(VENV) .pytest_cache
