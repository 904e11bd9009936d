# Kota Cerdas. `make run` sets up everything and serves the platform; `make test` sets up and
# runs every test. Both work on a fresh Debian/Ubuntu machine with Python 3.11.
SHELL := /bin/bash
PY := .venv/bin/python
PORT ?= 8000
export KOTACERDAS_VAR_DIR ?= $(CURDIR)/var

.PHONY: run setup deps assets messages data demo test test-fast lint typecheck contracts bench clean

run: setup ## set up and serve the platform with its worker, scheduler and MQTT listener
	@bash scripts/ensure-mosquitto.sh || echo "No MQTT broker: building sensors can still use the webhook."
	@echo "Kota Cerdas: http://127.0.0.1:$(PORT)/  (back office /kantor/, Council /dewan/)"
	@PORT=$(PORT) KOTACERDAS_DEMO=$${KOTACERDAS_DEMO:-1} .venv/bin/honcho start -f Procfile

setup: deps assets messages data demo

deps:
	@bash scripts/bootstrap.sh

assets: deps
	@npm run --silent build
	@$(PY) manage.py collectstatic --noinput -v0

messages: deps
	@$(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules

# Migrate and load Kotim's reference data. Each import is idempotent: a second run finds
# nothing to change and is fast.
data: deps
	@mkdir -p $(KOTACERDAS_VAR_DIR)
	@[ -f $(KOTACERDAS_VAR_DIR)/secret_key ] || (umask 077; $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $(KOTACERDAS_VAR_DIR)/secret_key)
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py createcachetable
	@$(PY) manage.py import_regions data/regions
	@$(PY) manage.py import_facilities data/facilities
	@$(PY) manage.py import_hotspots -v0 data/hotspots/firms_viirs_snpp_2022_kalimantan.csv

demo: data
	@KOTACERDAS_DEMO=$${KOTACERDAS_DEMO:-1} $(PY) manage.py seed_demo

test: ## set up and run every test (PostgreSQL when DATABASE_URL says so, else SQLite)
	@bash scripts/bootstrap.sh --browser
	@bash scripts/ensure-mosquitto.sh
	@npm run --silent build
	@$(PY) manage.py collectstatic --noinput -v0
	@$(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules
	@# pytest exits 5 when it collected nothing: that fails this target like any other error.
	@$(PY) -m pytest -n 2 --dist loadgroup -p no:cacheprovider $(PYTEST_ARGS)

lint: deps
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .

typecheck: deps
	@.venv/bin/mypy kotacerdas

contracts: deps
	@.venv/bin/lint-imports

# HTTP benchmarks need PostgreSQL (DATABASE_URL, else a local kotacerdas_bench database that
# scripts/ensure-postgres.sh provides) and wrk.
bench: setup
	@$(PY) benchmarks/run.py

clean:
	rm -rf var static/dist .pytest_cache .mypy_cache .ruff_cache
