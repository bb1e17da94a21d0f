# The verbs a user types. `make demo` and `make test` install what they need on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_VERSION := 25.3
INSTALLED := $(VENV)/.installed
GROUPS := training demo infra container launcher notebook dev

# Fragments below add to these: Debian packages some tests need, and other things `make test` installs.
SYSTEM_PACKAGES :=
TEST_PREREQS :=

include $(wildcard mk/*.mk)

.PHONY: help install demo test bench system-deps clean

help: ## list the verbs
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: $(INSTALLED) ## create .venv with every pinned dependency group

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet pip==$(PIP_VERSION)
	$(VENV)/bin/pip install $(addprefix --group ,$(GROUPS))
	touch $@

system-deps: ## install the Debian packages some tests need (root, apt)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

demo: $(INSTALLED) ## train and tune on real handwritten digits in a local SageMaker-shaped folder (no AWS)
	$(PY) -m launcher demo --root demo

test: $(INSTALLED) $(TEST_PREREQS) ## run every test
	$(PY) -m pytest

bench: $(INSTALLED) ## measure throughput, tune efficiency, cold start and multi-host jobs; writes bench/results/
	$(PY) -m bench.training $(BENCH_ARGS)
	$(PY) -m bench.hosts $(BENCH_HOSTS_ARGS)

clean: ## remove generated files (keeps the environments)
	rm -rf demo cdk.out bench/results .pytest_cache
