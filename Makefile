# Two commands for newcomers: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
REQUIREMENTS_HASH := $(shell cat requirements.txt requirements-data.txt | sha256sum | cut -c1-16)
INSTALLED := $(VENV)/.installed-$(REQUIREMENTS_HASH)

# Development defaults; real deployments set their own environment (see .env.example).
export DEBUG ?= true
HOST ?= 127.0.0.1
PORT ?= 8000
# The test suite talks to the real Redis on this machine (database 15, kept apart from dev).
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

# Start the embedded PostgreSQL unless DATABASE_URL points elsewhere.
DB_START = if [ -z "$$DATABASE_URL" ]; then $(PY) -m recruitment.embedded_db start; fi
DB_STOP = if [ -z "$$DATABASE_URL" ]; then $(PY) -m recruitment.embedded_db stop; fi

.PHONY: run test browser setup install db-start db-stop migrate seed worker beat bench bench-large lint format clean

install: $(INSTALLED)

# Reinstall only when requirements.txt changed (the stamp file carries its hash).
$(INSTALLED): requirements.txt requirements-data.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing requirements into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-data.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

# Test-only tools from the npm registry (axe-core for the accessibility checks of the browser
# tests), pinned by package-lock.json. Without npm those checks skip and say why.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the accessibility checks will skip"; fi

# The browser tests drive Debian's chromium (Playwright's executable_path; no browser download).
# Installed here when missing and we may (root with apt-get); else those tests skip and say why.
browser:
	@if ! command -v chromium >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests ..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
			>/dev/null 2>&1 || echo "chromium could not be installed; the browser tests will skip"; \
	fi

db-start: install
	@$(DB_START)

db-stop:
	@if [ -x $(PY) ]; then $(DB_STOP); fi

migrate: db-start
	@$(PY) manage.py migrate --noinput

seed: migrate
	@$(PY) manage.py load_skills
	@$(PY) manage.py seed_demo

setup: seed

run: install
	@trap '$(DB_STOP)' EXIT; \
	$(DB_START) && \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py load_skills && \
	$(PY) manage.py seed_demo && \
	echo "" && \
	echo "Serving on http://$(HOST):$(PORT)/" && \
	echo "  job board and pages   http://$(HOST):$(PORT)/" && \
	echo "  recruiter back office http://$(HOST):$(PORT)/admin/" && \
	echo "  partner API           http://$(HOST):$(PORT)/api/v1/  (docs: /api/docs/)" && \
	echo "  health                http://$(HOST):$(PORT)/health/ready" && \
	echo "Stop with Ctrl-C (the embedded database stops with it)." && \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install node_modules/.package-lock.json browser
	@trap '$(DB_STOP)' EXIT; \
	set -e; \
	$(DB_START); \
	$(PY) manage.py migrate --noinput -v 0; \
	$(PY) manage.py seed_demo; \
	echo "== ruff"; \
	$(VENV)/bin/ruff check .; \
	$(VENV)/bin/ruff format --check .; \
	echo "== bandit (medium and high findings fail; justified ones carry '# nosec Bxxx # why')"; \
	$(VENV)/bin/bandit -ll -q -r accounts applications jobs pipeline recruitment \
		-x '*/tests/*,*/migrations/*'; \
	echo "== makemigrations --check"; \
	$(PY) manage.py makemigrations --check --dry-run; \
	echo "== pytest"; \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} CELERY_TASK_ALWAYS_EAGER=true \
		$(VENV)/bin/pytest --cov --cov-report=term --cov-fail-under=80 $(PYTEST_ARGS)

worker: migrate
	@REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(VENV)/bin/celery -A recruitment worker -l info

beat: migrate
	@REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(VENV)/bin/celery -A recruitment beat -l info

bench: install
	@if ! command -v wrk >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing wrk (Debian) for benchmarks/api.py ..."; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
		echo "wrk could not be installed; benchmarks/api.py loads with its Python client"; \
	fi
	@trap '$(DB_STOP)' EXIT; \
	set -e; \
	$(DB_START); \
	$(PY) benchmarks/suite.py $(BENCH_ARGS)

# The scaling points at a million jobs too, the search's and a nightly run's over them (hours:
# seeding and indexing 1M jobs, twice).
bench-large:
	@$(MAKE) bench BENCH_ARGS="--only search,nightly_by_jobs --scale-jobs 10000,1000000 \
		--scale-nightly-jobs 10000,100000,1000000 $(BENCH_ARGS)"

lint: install
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: install
	@$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

clean: db-stop
	rm -rf $(VENV) .data .pytest_cache .ruff_cache .coverage staticfiles
