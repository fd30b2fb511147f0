# vbwd -- the two commands are `make run` and `make test`; everything else is a helper they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/layers/vbwd:$(CURDIR)
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1
SAM_PYENV_VERSION ?= 3.13.0

.PHONY: help run test lint typecheck cfn unit integration e2e reset openapi bench reconcile expire \
        stripe-trigger create-admin build deploy clean

help:
	@echo "make run    - serve the API locally on 127.0.0.1:\$$PORT (default 3000) with DynamoDB Local"
	@echo "make test   - ruff, mypy, cfn-lint, sam validate --lint, unit + integration + e2e tests"
	@echo "make reset  - wipe local data (\$$VBWD_DATA_DIR, default .local/)"

# --- set-up (idempotent; stamps make re-runs instant) -------------------------------------------
$(VENV)/.installed: requirements-dev.txt layers/vbwd/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

.cache/dynamodb-local/.fetched: local/ddb.py
	$(PY) -c "from local.ddb import ensure_jar; print(ensure_jar())"
	touch $@

deps: $(VENV)/.installed .cache/dynamodb-local/.fetched

# --- the two commands ---------------------------------------------------------------------------
run: deps
	$(PY) -m local.serve

test: lint typecheck cfn unit integration e2e

# --- checks -------------------------------------------------------------------------------------
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

cfn: $(SAM_VENV)/.installed
	$(SAM_VENV)/bin/cfn-lint template.yaml
	$(SAM_VENV)/bin/sam validate --lint

# pytest exit code 5 means "no tests collected": treat it as the failure it is.
define pytest
	$(PY) -m pytest $(1); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected in $(1)"; exit 1; fi; exit $$rc
endef

unit: $(VENV)/.installed
	@$(call pytest,tests/unit)

integration: deps
	@$(call pytest,tests/integration)

e2e: deps
	@$(call pytest,tests/e2e)

# --- helpers ------------------------------------------------------------------------------------
reset:
	rm -rf $${VBWD_DATA_DIR:-.local}

openapi: $(VENV)/.installed
	$(PY) -m local.openapi --write

bench: deps
	$(PY) -m bench.run

reconcile: deps
	$(PY) -m local.reconcile

# Post a signed Stripe event for an invoice to the running `make run` (EVENT=completed|async-succeeded|
# async-failed|completed-unpaid|refund).
stripe-trigger: $(VENV)/.installed
	$(PY) -m local.stripe_trigger --invoice "$(INVOICE)" --event "$(or $(EVENT),completed)"

# Run the hourly invoice-expiry schedule now, against the running `make run`.
expire: $(VENV)/.installed
	curl -fsS -X POST http://127.0.0.1:$${PORT:-3000}/__local/schedules/ExpireInvoicesFunction; echo

build: $(SAM_VENV)/.installed
	PYENV_VERSION=$(SAM_PYENV_VERSION) $(SAM_VENV)/bin/sam build

deploy: build
	$(SAM_VENV)/bin/sam deploy --guided

clean:
	rm -rf $(VENV) $(SAM_VENV) .cache .aws-sam .mypy_cache .ruff_cache .pytest_cache

create-admin: $(VENV)/.installed
	$(PY) -m local.create_admin --email "$(EMAIL)" $(if $(STACK),--stack "$(STACK)",--users-table "$(USERS_TABLE)")
