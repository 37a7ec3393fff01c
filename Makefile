# Airlock: `make run` starts both networks on the embedded default; `make test` runs everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
export UV_PYTHON ?= $(shell command -v $(PYTHON))
export UV_PYTHON_DOWNLOADS := never
PACKAGES := core shared request-network/request_network response-network/response_network
VENV := .venv/bin
# pytest-xdist workers for `make test`: the suite mostly waits on the processes, databases and
# schedules it starts, so more workers than cores pays (measured on 2 cores: see
# docs/development.md). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 4

.PHONY: help install run test lint fmt typecheck bench soak clean services openapi

help:
	@echo "make run    - start both networks (response :8000, request :8001) on SQLite"
	@echo "make test   - install what is needed, lint, type-check and run the whole suite"
	@echo "make lint   - ruff check, ruff format --check, mypy"
	@echo "make fmt    - format and autofix"
	@echo "make bench  - run the benchmarks in bench/"
	@echo "make soak   - the long scenarios in soak/: kill -9, load, scale-out (KILL_ARGS, LOAD_ARGS)"
	@echo "make openapi - write docs/openapi/*.json from the code (commit them with the change)"

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

# Bytecode is compiled here once, so that no process a test starts compiles its imports
# again (PYTHONDONTWRITEBYTECODE=1 stops Python from caching them, not from reading them).
.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

# The project's own sources (installed editable) are compiled on every run: only what changed
# since is rewritten, in well under a second.
install: .venv/.installed
	@$(VENV)/python -m compileall -q -j 0 $(PACKAGES) tests bench soak

run: install
	$(VENV)/airlock dev

services:
	@scripts/ensure-services.sh

# The published descriptions: tests/openapi/test_spec.py fails when they drift from the code.
openapi: install
	$(VENV)/python scripts/openapi.py

lint: install
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy $(PACKAGES) tests $(wildcard bench/*.py) soak

fmt: install
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

test: install services lint
	$(VENV)/pytest -n $(TEST_WORKERS) --durations=15 --cov --cov-report=term $(PYTEST_ARGS)

bench: install services
	@set -e; found=0; for script in bench/bench_*.py; do \
		[ -e "$$script" ] || continue; found=1; \
		echo "== $$script"; $(VENV)/python -m bench.$$(basename $$script .py); done; \
		[ $$found -eq 1 ] || echo "no benchmarks yet"

# Minutes of load on every core: never part of `make test`. KILL_ARGS and LOAD_ARGS pass
# options on (`make soak LOAD_ARGS="--requests 500 --clients 10"` for a quick variant).
soak: install services
	@status=0; \
	$(VENV)/python -m soak.kill $(KILL_ARGS) || status=1; \
	$(VENV)/python -m soak.load $(LOAD_ARGS) || status=1; \
	exit $$status

clean:
	rm -rf .venv .tools var .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache
	find $(PACKAGES) tests bench soak -name __pycache__ -prune -exec rm -rf {} +

# ---- containers (docker-compose.dev.yml); secrets come from .env.dev, which is never committed
COMPOSE := docker compose --env-file .env.dev -f docker-compose.dev.yml
PROFILE ?= all
ALL_PROFILES := --profile all --profile search --profile monitoring

.PHONY: env up down down-volumes validate

env: install                       ## write .env.dev (secrets, key pairs) unless it exists; FORCE=1 replaces it
	$(VENV)/python deploy/make_env.py .env.dev $(if $(FORCE),--force)

up: env                            ## build and start PROFILE (response, request, all; search instead of response; + monitoring: Flower)
	$(COMPOSE) $(foreach profile,$(PROFILE),--profile $(profile)) up -d --build

down:                              ## stop every Airlock container, keep the volumes
	$(COMPOSE) $(ALL_PROFILES) down

down-volumes:                      ## stop and delete the volumes too (databases, keys, transfer)
	$(COMPOSE) $(ALL_PROFILES) down --volumes

validate: install                  ## check the running deployment: ./validate_setup.sh
	./validate_setup.sh
