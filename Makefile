# Jatayu developer commands. On a fresh machine: `make run` (serve locally) and `make test` (lint + tests).
#
# Nothing needs configuring: without DATABASE_URL/REDIS_URL, Jatayu uses SQLite and an in-memory channel
# layer. Settings refuse to start without SECRET_KEY unless DEBUG is set, so the local-serving targets
# (run, migrate, seed, bench) set DEBUG=1 when neither SECRET_KEY nor DEBUG is set in the environment.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# A frame or message over 128 KiB closes the socket (1009); over 64 KiB gets message_too_large.
# Pings every 20 s, and a client that does not answer within 30 s is dropped.
DAPHNE_FLAGS := --websocket-max-message-size 131072 --websocket-max-frame-size 131072 --ping-interval 20 --ping-timeout 30
# The interpreter that creates the venv: python3.11 where available, otherwise python3.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)

BIND ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

# Local development default: DEBUG=1 when neither SECRET_KEY nor DEBUG is configured.
ifeq ($(strip $(SECRET_KEY)$(DEBUG)),)
run migrate seed bench ai-local: export DEBUG := 1
endif

# The mypy Django plugin imports jatayu.settings, which needs a SECRET_KEY (it is never used for anything)
# and, without REDIS_URL, CHANNEL_LAYER=memory.
MYPY_SECRET_KEY := mypy-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz

.PHONY: help venv .venv run ai-local migrate seed test lint format typecheck pytest bench screenshots clean distclean

help:
	@echo "make run        create .venv, install, migrate, seed demo data, serve http://$(BIND):$(PORT)/ (HTTP + WebSocket) with the expiry loop"
	@echo "make ai-local   make run against a real model on this CPU: llama-cpp-python serving SmolLM2-135M (built once, ~13 min)"
	@echo "make test       create .venv, install, then ruff check, ruff format --check, mypy, pytest (PYTEST_ARGS=...)"
	@echo "make lint       ruff check, ruff format --check, mypy (make typecheck: mypy only; make pytest: tests only)"
	@echo "make format     ruff format and ruff check --fix"
	@echo "make migrate    apply migrations"
	@echo "make bench      run the benchmarks (benchmarks/), if any"
	@echo "make screenshots refresh docs/screenshots/ (the README's pictures) from the browser tests"
	@echo "make clean      remove caches and build leftovers (keeps .venv and db.sqlite3)"
	@echo "make distclean  clean, and remove .venv and db.sqlite3"

# ---------------------------------------------------------------------------------------------- venv

$(PY):
	@test -n "$(PYTHON)" || { echo "error: neither python3.11 nor python3 found on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Re-installs only when requirements.txt is newer than the stamp.
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

venv .venv: $(STAMP)

# ------------------------------------------------------------------------------------------- serving

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo
	@echo "Jatayu is starting (daphne, HTTP + WebSocket):"
	@echo "  App:        http://$(BIND):$(PORT)/"
	@echo "  Admin:      http://$(BIND):$(PORT)/admin/"
	@echo "  API docs:   http://$(BIND):$(PORT)/api/docs/"
	@echo "  WebSocket:  ws://$(BIND):$(PORT)/ws/assessment/<test_id>/"
	@if [ -n "$$DEBUG" ] && [ -z "$$SECRET_KEY" ]; then echo "  (DEBUG=1 with a development SECRET_KEY: set SECRET_KEY for anything but local use)"; fi
	@echo "  Expiry:     manage.py expire_assessments --loop 5 (ends attempts left past their deadline)"
	@echo "Press Ctrl+C to stop."
	@echo
	@$(PY) manage.py expire_assessments --loop 5 & expiry=$$!; \
	trap 'kill $$expiry 2>/dev/null' EXIT INT TERM; \
	echo "$(BIN)/daphne -b $(BIND) -p $(PORT) $(DAPHNE_FLAGS) jatayu.asgi:application"; \
	$(BIN)/daphne -b $(BIND) -p $(PORT) $(DAPHNE_FLAGS) jatayu.asgi:application

# A real model that runs offline: scripts/local-model builds llama-cpp-python once in its own venv
# (~/.cache/jatayu-ai), serves SmolLM2-135M on AI_PORT, and Jatayu runs against it as any
# OpenAI-compatible server. A 135M model writes mostly junk, which the validation gate rejects.
AI_PORT ?= 8081
ai-local: $(STAMP)
	@scripts/local-model ensure >/dev/null
	@scripts/local-model serve $(AI_PORT) & model=$$!; \
	trap 'kill $$model 2>/dev/null' EXIT INT TERM; \
	scripts/local-model wait $(AI_PORT); \
	OPENAI_BASE_URL=http://127.0.0.1:$(AI_PORT)/v1 OPENAI_API_KEY=local-model JATAYU_AI_QUESTION_MODEL=smollm2 \
	JATAYU_AI_TUTOR_MODEL=smollm2 JATAYU_AI_TIMEOUT_SECONDS=120 $(MAKE) --no-print-directory run

# ----------------------------------------------------------------------------------------- checking

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY="$${SECRET_KEY:-$(MYPY_SECRET_KEY)}" CHANNEL_LAYER="$${CHANNEL_LAYER:-memory}" $(BIN)/mypy .

typecheck: $(STAMP)
	SECRET_KEY="$${SECRET_KEY:-$(MYPY_SECRET_KEY)}" CHANNEL_LAYER="$${CHANNEL_LAYER:-memory}" $(BIN)/mypy .

# pytest exits 5 when it collects no test at all; that is reported, not treated as a failure.
define run_pytest
	@echo "$(PY) -m pytest $(PYTEST_ARGS)"
	@rc=0; $(PY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; exit 0; fi; \
	exit $$rc
endef

pytest: $(STAMP)
	$(run_pytest)

# Sequential on purpose (also under -j): lint first, then the whole suite.
test: lint
	$(run_pytest)

# The README's pictures: taken by the browser tests (Chromium at /usr/bin/chromium); those that need
# PostgreSQL and Redis (the resilience screens) only when DATABASE_URL and REDIS_URL are set.
screenshots: $(STAMP)
	JATAYU_SCREENSHOT_DIR=docs/screenshots $(PY) -m pytest -q -p no:cacheprovider assessments/tests/browser/

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@if [ -f benchmarks/__main__.py ]; then \
		echo "$(PY) -m benchmarks $(BENCH_ARGS)"; $(PY) -m benchmarks $(BENCH_ARGS); \
	elif [ -d benchmarks ]; then \
		found=0; \
		for f in benchmarks/*.py; do \
			[ -e "$$f" ] || continue; \
			name=$$(basename "$$f" .py); \
			[ "$$name" = "__init__" ] && continue; \
			found=1; echo "== $(PY) -m benchmarks.$$name $(BENCH_ARGS)"; \
			$(PY) -m "benchmarks.$$name" $(BENCH_ARGS) || exit $$?; \
		done; \
		[ $$found -eq 1 ] || echo "benchmarks/ has no scripts yet."; \
	else \
		echo "No benchmarks/ directory yet: nothing to benchmark."; \
	fi

# ------------------------------------------------------------------------------------------ cleanup

clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .mypy_cache .ruff_cache .pytest_cache staticfiles test-artifacts

distclean: clean
	rm -rf $(VENV) db.sqlite3
