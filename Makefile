# Two commands matter: `make run` and `make test`. Both work on a fresh clone.
PYTHON_BIN ?= $(shell command -v python3.12 || pyenv which python3.12 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
export LOCAL_RUN ?= 1

.PHONY: run test venv lint fmt migrations-check check-deploy kb export clean audit bench bench-short load load-short \
	faults faults-short backup-drill

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON_BIN) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12 or newer is needed; found " + sys.version.split()[0] + ". Install it (pyenv install 3.12.1) or set PYTHON_BIN.")'
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_knowledge_base
	@echo "For an admin login run: $(PY) manage.py createsuperuser"
	$(PY) manage.py runserver 127.0.0.1:8000

test: venv
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: venv
	$(PY) manage.py makemigrations --check --dry-run

check-deploy: venv
	DEBUG=0 LOCAL_RUN=0 SECRET_KEY=ci-$$(date +%s)-a-long-random-string-for-the-deploy-check-only-xxxxxxxx \
	ALLOWED_HOSTS=example.org SECURE_SSL_REDIRECT=1 SECURE_HSTS_SECONDS=31536000 \
	SECURE_HSTS_INCLUDE_SUBDOMAINS=1 SECURE_HSTS_PRELOAD=1 \
	$(PY) manage.py check --deploy --fail-level WARNING

kb: venv
	$(PY) manage.py load_knowledge_base

export: venv
	$(PY) manage.py export_knowledge_base

# Known-vulnerable pinned dependencies (pip-audit; needs PyPI). Exit 2 = could not audit (see .ci/audit.py).
audit: venv
	$(PY) .ci/audit.py

# Performance figures (bench/README in docs/benchmarks.md); needs wrk (apt-get install wrk).
bench: venv
	$(PY) bench/run.py --write

bench-short: venv
	$(PY) bench/run.py --short

# gunicorn + wrk, 32 connections, on SQLite and PostgreSQL (database neuro_load); zero errors required.
load: venv
	$(PY) bench/load.py

load-short: venv
	$(PY) bench/load.py --short

# Faults under load (bench/faults.py): Redis stopped, PostgreSQL restarted (root + pg_ctlcluster), a worker killed,
# admin edits across two gunicorn servers; database neuro_fault. Full runs write docs/benchmarks.md.
faults: venv
	$(PY) bench/faults.py --write

faults-short: venv
	$(PY) bench/faults.py --short

# pg_dump / pg_restore of a loaded database with history and an editor; the same pages byte for byte.
backup-drill: venv
	$(PY) bench/backup_drill.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
