# Kaname — run `make help` for the targets.
PYTHON ?= python
PYTEST_WORKERS ?= 2

.PHONY: help install demo test test-fast lint format docs bench bench-scale bench-engines bench-attribution bench-web bench-connect messages clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## install Kaname with the development and test tools
	$(PYTHON) -m pip install -q -e '.[dev]'

demo: ## install and build + show the demo workspace (kaname-demo/)
	$(PYTHON) -m pip install -q -e .
	$(PYTHON) -m kaname demo

test: install ## install, then run every test (PostgreSQL and PySpark included)
	$(PYTHON) -m pytest -n $(PYTEST_WORKERS)

test-fast: ## the fast unit suite only (no PostgreSQL, Spark or slow tests)
	$(PYTHON) -m pytest -m "not postgres and not spark and not slow"

lint: install ## ruff (lint + format check), mypy on src, and the layering contract (lint-imports)
	ruff check src tests benchmarks
	ruff format --check src tests benchmarks
	mypy
	lint-imports

format: ## apply ruff's formatting and safe fixes
	ruff check --fix src tests benchmarks
	ruff format src tests benchmarks

docs: ## regenerate docs/kpis.md and docs/data-model.md from the code
	$(PYTHON) -m kaname.cli.docs_gen docs

bench: ## engine vs hand-written SQL at scale 10 (see docs/benchmarks.md)
	$(PYTHON) benchmarks/refresh.py --scale 10

bench-scale: ## analytics at scale 10: kaname attribution vs one hand-written DuckDB query
	$(PYTHON) benchmarks/attribution_scale.py --scale 10

bench-engines: ## attribution, cohorts, RFM on DuckDB vs PySpark vs PostgreSQL, scale 1
	$(PYTHON) benchmarks/engines.py --scale 1

bench-attribution: ## Markov attribution vs ChannelAttribution, BG/NBD fit (1M each)
	$(PYTHON) benchmarks/attribution.py --paths 1000000 --customers 1000000

bench-web: ## the dashboard under load vs a static file, scale 10 (docs/benchmarks.md)
	$(PYTHON) benchmarks/web_load.py --scale 10 --clients 50 --seconds 30

bench-connect: ## HubSpot sync vs plain paging (200k), CSV import vs read_csv (1M)
	$(PYTHON) benchmarks/sync_hubspot.py --contacts 200000
	$(PYTHON) benchmarks/import_csv.py --rows 1000000 --repeat 3

messages: ## extract the UI strings (check the Japanese catalogs in src/kaname/web/locales/)
	mkdir -p build && pybabel extract -F babel.cfg -k _ --no-location -o build/messages.pot .

clean: ## remove build and benchmark leftovers
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache benchmarks/.work kaname-demo
