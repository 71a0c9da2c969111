# keyaccounts: `make run` for the demo, `make test` for everything CI checks.
# Nothing needs to be set: SQLite and inline Celery tasks are the defaults (.env.example).

VENV        := .venv
PY          := $(VENV)/bin/python
PORT        ?= 8000
PYTEST_ARGS ?=
# The interpreter that creates .venv: python3.11 if it runs, else python3.
PYTHON      ?= $(shell for p in python3.11 python3; do \
                 $$p -c 'import sys' >/dev/null 2>&1 && { echo $$p; break; }; done)

# Installs happen again only when a requirements file changes (stamp files in .venv).
STAMP_RUN   := $(VENV)/.stamp-requirements
STAMP_DEV   := $(VENV)/.stamp-requirements-dev

.DEFAULT_GOAL := help
.PHONY: help run test lint format messages worker beat api-fuzz replica clean distclean

help:
	@echo "make run       set up .venv, migrate, load demo data, serve on 127.0.0.1:$(PORT)"
	@echo "               (and scan for reminders every 60 s)"
	@echo "make test      lint, format check, migrations check, pytest (PYTEST_ARGS=...)"
	@echo "make lint      ruff check + ruff format --check"
	@echo "make format    ruff check --fix + ruff format"
	@echo "make messages  update and compile the zh_Hans translations"
	@echo "make worker    Celery worker on every queue (needs REDIS_URL); QUEUES=scoring,imports"
	@echo "               for some only (queues: default reminders scoring imports webhooks jobs)"
	@echo "make beat      Celery beat scheduler (needs REDIS_URL)"
	@echo "make api-fuzz  Schemathesis against the REST API on a throwaway database"
	@echo "make replica   the replica tests on a throwaway primary + streaming standby (root)"
	@echo "make clean     remove caches and generated files (distclean: also .venv)"

$(PY):
	@test -n "$(PYTHON)" || { echo "python3.11 or python3 is needed to create $(VENV)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

$(STAMP_DEV): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@ $(STAMP_RUN)

# `run` serves and, beside it, scans for reminders every 60 s (what Celery beat does with
# Redis). Both run in the background so that the trap fires at once on Ctrl-C or a kill
# of make (a shell defers a trap until its foreground command ends); when either ends,
# the other is stopped too.
# The demo's reminder emails are written to files (in RUN_MAIL) and the
# scans' lines to RUN_LOG, so that the address and the logins stay on screen; the links
# in the emails point at the address served (SITE_URL).
RUN_MAIL    := var/mail
RUN_LOG     := var/reminders.log
run: export SITE_URL = http://127.0.0.1:$(PORT)
run: export EMAIL_BACKEND ?= django.core.mail.backends.filebased.EmailBackend
run: export EMAIL_FILE_PATH ?= $(CURDIR)/$(RUN_MAIL)
run: $(STAMP_RUN)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@mkdir -p $(RUN_MAIL)
	@echo
	@echo "Reminder emails are written to files in $(RUN_MAIL)/, the reminder scans to $(RUN_LOG)."
	@echo "Demo logins (demo data only, never a real deployment):"
	@echo "  manager / demo12345    rep1 / demo12345    rep2 / demo12345"
	@echo "Open http://127.0.0.1:$(PORT)/"
	@echo
	@PYTHONUNBUFFERED=1 $(PY) manage.py run_reminders --every 60 >>$(RUN_LOG) 2>&1 & reminders=$$!; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT) & server=$$!; \
	stop() { trap - EXIT INT TERM; kill $$server $$reminders 2>/dev/null; wait; }; \
	trap 'stop; exit 0' INT TERM; trap stop EXIT; \
	wait $$server

# Any failing step stops the target; pytest's exit code 5 (no tests ran) fails it too.
test: $(STAMP_DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Fix first, then format: an autofix (say a removed import) can leave lines to reformat.
format: $(STAMP_DEV)
	$(VENV)/bin/ruff check --fix --exit-zero --quiet .
	$(VENV)/bin/ruff format .

# makemessages needs GNU gettext's xgettext (Debian: gettext); compiling uses polib.
messages: $(STAMP_DEV)
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete \
	    --ignore=.venv --ignore=staticfiles --ignore=test-results
	$(PY) -m keyaccounts.i18n_compile

worker: $(STAMP_RUN)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0): without it tasks run inline and no worker is needed."; exit 1; }
	$(VENV)/bin/celery -A keyaccounts worker -l info $(if $(QUEUES),-Q $(QUEUES))

beat: $(STAMP_RUN)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0): beat only makes sense with a broker."; exit 1; }
	$(VENV)/bin/celery -A keyaccounts beat -l info --schedule .celerybeat-schedule

# A server of its own on a free port, demo data, a token, `schemathesis run` (.ci/schemathesis.sh).
api-fuzz: $(STAMP_DEV)
	.ci/schemathesis.sh

# A primary and a standby of their own on 127.0.0.1:5434/5435, `pytest -m replica`, both
# stopped (.ci/replica.sh; needs Redis at REDIS_URL or 127.0.0.1:6379).
replica: $(STAMP_DEV)
	.ci/replica.sh $(PYTEST_ARGS)

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles test-results .celerybeat-schedule* var

distclean: clean
	rm -rf $(VENV)
