# Airlock: `make run` starts both networks on the embedded default; `make test` runs everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
export UV_PYTHON ?= $(shell command -v $(PYTHON))
export UV_PYTHON_DOWNLOADS := never
PACKAGES := core shared request-network/request_network response-network/response_network
VENV := .venv/bin
CLIENT_PACKAGES := clients/python/airlock_client clients/cli/airlock_cli
GENERATOR := .tools/client-generator
# pytest-xdist workers for `make test`: one more than the cores, so a worker waiting on the
# processes it started leaves no core idle; a fourth cost more CPU than it overlapped (measured
# on 2 cores: see docs/development.md). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 3

.PHONY: help install run test lint fmt typecheck bench soak clean services openapi screenshots client

help:
	@echo "make run    - start both networks (response :8000, request :8001) on SQLite"
	@echo "make test   - install what is needed, lint, type-check and run the whole suite"
	@echo "make lint   - ruff check, ruff format --check, mypy, pip-audit of the locked dependencies"
	@echo "make fmt    - format and autofix"
	@echo "make bench  - run the benchmarks in bench/, print one table (ONLY=\"submit round_trip\" for some)"
	@echo "make soak   - the long scenarios in soak/: kill -9, load, scale-out (KILL_ARGS, LOAD_ARGS)"
	@echo "make openapi - write docs/openapi/*.json from the code (commit them with the change)"
	@echo "make screenshots - run the browser stories and copy their pictures to docs/console/"
	@echo "make client - regenerate clients/python from docs/openapi/request-network.json"

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

# Bytecode is compiled here once, so that no process a test starts compiles its imports
# again (PYTHONDONTWRITEBYTECODE=1 stops Python from caching them, not from reading them).
.venv/.installed: pyproject.toml uv.lock clients/python/pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

# The project's own sources (installed editable) are compiled on every run: only what changed
# since is rewritten, in well under a second.
install: .venv/.installed $(GENERATOR)/.installed
	@$(VENV)/python -m compileall -q -j 0 $(PACKAGES) $(CLIENT_PACKAGES) tests bench soak

# openapi-python-client in an environment of its own (it needs typer < 0.28, the project runs a
# newer one), pinned by clients/generator/uv.lock: `make client` and the client's drift test
# run it from here, offline.
$(GENERATOR)/.installed: clients/generator/pyproject.toml clients/generator/uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(GENERATOR) $(UV) sync --frozen --quiet --project clients/generator
	@touch $@

run: install
	$(VENV)/airlock dev

services:
	@scripts/ensure-services.sh

# The published descriptions: tests/openapi/test_spec.py fails when they drift from the code.
openapi: install
	$(VENV)/python scripts/openapi.py

# The generated Python client: tests/clients/test_generated.py fails when it drifts from the spec.
client: install
	$(VENV)/python scripts/client.py

# pip-audit reads the lock, not the environment: see scripts/audit_dependencies.py for what
# it does when PyPI serves no per-version advisories or cannot be reached. It mostly waits on
# PyPI, so it runs beside mypy (its report follows mypy's); either failing fails the target.
lint: install
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	@mkdir -p var
	@echo "pip-audit of uv.lock (scripts/audit_dependencies.py), beside mypy"
	@{ $(UV) export --frozen --format requirements-txt --no-hashes --no-emit-project --quiet \
		| $(VENV)/python scripts/audit_dependencies.py; } > var/audit.log 2>&1 & audit=$$!; \
	echo "$(VENV)/mypy $(PACKAGES) $(CLIENT_PACKAGES) tests bench soak"; \
	$(VENV)/mypy $(PACKAGES) $(CLIENT_PACKAGES) tests $(wildcard bench/*.py) soak; typed=$$?; \
	wait $$audit; audited=$$?; cat var/audit.log; \
	exit $$(( typed || audited ))

fmt: install
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

# While lint runs (mypy keeps one core busy), a collection with bytecode writing on caches
# pytest's assertion rewriting of the test modules beside them: every xdist worker then reads
# it instead of parsing and rewriting all of them again (~7 s of CPU a worker, measured).
test: install services
	@mkdir -p var
	@PYTHONDONTWRITEBYTECODE= $(VENV)/pytest --collect-only -q -p no:cacheprovider \
		> var/collect.log 2>&1 & warm=$$!; \
	$(MAKE) --no-print-directory lint || { kill $$warm; exit 1; }; \
	wait $$warm || true
	$(VENV)/pytest -n $(TEST_WORKERS) --durations=15 --cov --cov-report=term $(PYTEST_ARGS)

# The pictures docs/console.md shows, taken by the browser stories (tests/e2e/console/).
screenshots: install
	@scripts/ensure-services.sh pngquant
	rm -rf var/screenshots
	$(VENV)/pytest tests/e2e/console -n 0 -q -p no:cacheprovider
	$(VENV)/python scripts/console_screenshots.py

# Every benchmark, then one table (bench/__main__.py); the figures in var/bench/. Under 10 min.
bench: install services
	$(VENV)/python -m bench $(if $(ONLY),--only $(ONLY))

# Minutes of load on every core: never part of `make test`. KILL_ARGS and LOAD_ARGS pass
# options on (`make soak LOAD_ARGS="--requests 500 --clients 10"` for a quick variant).
soak: install services
	@status=0; \
	$(VENV)/python -m soak.kill $(KILL_ARGS) || status=1; \
	$(VENV)/python -m soak.load $(LOAD_ARGS) || status=1; \
	exit $$status

clean:
	rm -rf .venv .tools var .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache
	find $(PACKAGES) $(CLIENT_PACKAGES) tests bench soak -name __pycache__ -prune -exec rm -rf {} +

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
