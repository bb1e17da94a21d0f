# The verbs a user types. `make demo` and `make test` install what they need on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_VERSION := 25.3
INSTALLED := $(VENV)/.installed
GROUPS := training demo infra container launcher notebook dev

# Fragments below add to these: Debian packages some tests need, other things `make test` installs, and the
# linters `make lint` runs (one line each: LINTERS += lint-NOUN).
SYSTEM_PACKAGES :=
TEST_PREREQS :=
LINTERS :=

# Each fragment holds one layer's verbs; `make help` lists them under the fragment's `##@` heading, in this order.
include mk/infra.mk mk/container.mk mk/training.mk mk/launcher.mk mk/ray.mk

##@ The project: set up, check, test
.PHONY: help install lint lint-python test system-deps clean

# A `##@ heading` line starts a group; `verb: prerequisites ## text` lines are its verbs.
help: ## list the verbs, layer by layer
	@awk '/^##@ / { printf "\n%s\n", substr($$0, 5); next } \
		/^[a-z-]+:.*## / { split($$0, verb, /:.*## /); printf "  make %-15s %s\n", verb[1], verb[2] }' $(MAKEFILE_LIST)

install: $(INSTALLED) ## create .venv with every pinned dependency group

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet pip==$(PIP_VERSION)
	$(VENV)/bin/pip install $(addprefix --group ,$(GROUPS))
	touch $@

system-deps: ## install the Debian packages some tests need (root, apt)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

LINTERS += lint-python
lint: $(LINTERS) ## run every linter (each layer's lint-NOUN verb)

lint-python: $(INSTALLED) ## Python style: ruff's format and lint rules ([tool.ruff] in pyproject.toml)
	$(VENV)/bin/ruff format --check --quiet .
	$(VENV)/bin/ruff check --quiet .

test: $(INSTALLED) $(TEST_PREREQS) ## run every test
	$(PY) -m pytest

clean: ## remove generated files (keeps the environments)
	rm -rf demo cdk.out bench/results .pytest_cache
