# ReportQA — `make run` installs, ingests the sample reports and serves on http://127.0.0.1:8000;
# `make test` runs the whole suite. Both create .venv and install on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run serve ingest test lint typecheck eval bench clean

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
