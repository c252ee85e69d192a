# GLO.ACT Case Coordination — the commands README gives.
#   make run    install, migrate, seed the demo, serve on http://127.0.0.1:8000
#   make test   install and run the whole suite on PostgreSQL and Redis
#   make test-fast  the inner loop: SQLite, no Redis, no browser
#   make lint   ruff, Django's checks, missing migrations, translation catalogues up to date
#   make messages  extract the translatable strings into locale/ and compile them (docs/i18n.md)
#   make bench  the quick benchmark profile (see bench/run.py; results in bench/RESULTS.md)
#   make worker / make webhook-worker / make beat   the background processes (need REDIS_URL)
#   make lock   recompile requirements.lock (runtime, the image) and requirements-dev.lock

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/glo_act
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0

.PHONY: install run test test-fast lint format messages bench worker webhook-worker beat clean lock

$(STAMP): requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $(STAMP)

install: $(STAMP)

run: install
	@mkdir -p var  # the development database (SQLite) lives here; git does not keep the folder
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(PY) manage.py check
	DEBUG=1 DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) manage.py check_catalogue

messages: install
	DEBUG=1 $(PY) manage.py make_catalogue

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint
	DEBUG=1 GLO_ACT_TESTING=1 \
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	EMAIL_URL=locmem:// \
	$(PY) -m pytest $(PYTEST_ARGS)

# The inner loop: SQLite and no Redis, no browser; what needs PostgreSQL or Redis is skipped
# (marked `postgres` / `redis` / `worker`). CI runs `make test`, the whole suite.
test-fast: install
	DEBUG=1 GLO_ACT_TESTING=1 DATABASE_URL= REDIS_URL= EMAIL_URL=locmem:// \
	$(PY) -m pytest -m "not browser" -p no:cacheprovider $(PYTEST_ARGS)

bench: install
	$(PY) bench/run.py --quick

# Two worker pools: planning, in-app and email on the default queue; webhooks on their own, so
# that a slow partner never holds the others up (docs/delivery.md). Run both.
CELERY_QUEUE ?= glo_act

worker: install
	DEBUG=1 CELERY_QUEUE=$(CELERY_QUEUE) $(VENV)/bin/celery -A glo_act worker -Q $(CELERY_QUEUE) --loglevel=INFO

webhook-worker: install
	DEBUG=1 CELERY_QUEUE=$(CELERY_QUEUE) $(VENV)/bin/celery -A glo_act worker -Q $(CELERY_QUEUE)_webhooks -n webhooks@%h --loglevel=INFO

beat: install
	DEBUG=1 $(VENV)/bin/celery -A glo_act beat --loglevel=INFO

# uv compiles both locks from pyproject.toml, keeping every existing pin unless told otherwise
# (`make lock UV_ARGS="--upgrade-package django"`); it lives in its own venv, outside the locks.
lock:
	@test -x .venv-lock/bin/uv || ($(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet uv)
	.venv-lock/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --quiet $(UV_ARGS) -o requirements.lock
	.venv-lock/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --quiet $(UV_ARGS) -o requirements-dev.lock

clean:
	rm -rf $(VENV) .venv-lock staticfiles .pytest_cache .ruff_cache
