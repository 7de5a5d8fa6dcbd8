# The two commands a user needs: `make run` (the system's main job) and `make test` (every check).
# Everything else here is what those two are made of.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
PY_SOURCES := shared services settlement_cli tests bench

.PHONY: run test up down venv tools lint typecheck unit integration infra-up infra-down status bench chaos docs clean

run: venv  ## bring everything up, run the main job, stop on Ctrl-C
	deploy/local/run.sh

test: venv tools lint typecheck  ## every check: format, lint, types, unit and integration tests
	deploy/local/with-infra.sh $(BIN)/pytest -q

up: venv  ## start PostgreSQL, Kafka and the three services in the background
	deploy/local/up.sh

down:  ## stop what `make up` started (idempotent)
	deploy/local/down.sh

status:
	@deploy/local/services.sh status; deploy/local/kafka.sh status; deploy/local/postgres.sh status

venv: $(STAMP)

tools:  ## promtool and kcat from Debian's packages, if missing
	deploy/local/tools.sh

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Python 3.11 is required (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

lint: venv
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy $(PY_SOURCES)

unit: venv
	$(BIN)/pytest -q tests/unit

integration: venv tools
	deploy/local/with-infra.sh $(BIN)/pytest -q tests/integration

infra-up: venv
	deploy/local/postgres.sh start && deploy/local/kafka.sh start

infra-down:
	deploy/local/kafka.sh stop; deploy/local/postgres.sh stop

bench: venv  ## speed and memory on the real stack; writes bench/results.json (README: Performance)
	deploy/local/with-infra.sh $(BIN)/python -m bench.run $(BENCH_ARGS)

chaos: venv  ## the fault matrix on replicated services, on its own PostgreSQL and Kafka; writes bench/chaos.json
	$(BIN)/python -m bench.chaos $(CHAOS_ARGS)

docs: venv  ## regenerate docs/asyncapi.json from the event schemas
	$(BIN)/python -m shared.events.asyncapi > docs/asyncapi.json

clean: down
	rm -rf .local
