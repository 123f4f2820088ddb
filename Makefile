# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-dev lint format messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Install, migrate, load demo data and start web, Celery worker and beat.
run: install
	@$(BIN)/python manage.py migrate --noinput --verbosity 0
	@$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@$(BIN)/python manage.py load_demo > var/demo-logins.txt && head -1 var/demo-logins.txt
	@./scripts/run.sh

## Lint and run the whole test suite (browser tests included when Chromium is installed).
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Refresh the translation catalogues (needs GNU gettext: apt-get install gettext).
messages: install-dev
	$(BIN)/python manage.py makemessages --locale nl --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*' --no-obsolete
	$(BIN)/python manage.py makemessages --locale nl --domain djangojs --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*' --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

## Benchmarks of the pages, the statistics page, the outbox, the live waiting room (these two need Redis), the
## video calls (Chromium and coturn) and the ten-minute soak of the deployment (PostgreSQL, Redis, nginx; it
## says so and skips when one is missing); see README.
bench: install-dev
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/notifications.py
	$(BIN)/python bench/waitingroom.py
	$(BIN)/python bench/video.py
	$(BIN)/python bench/statistics_page.py
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
