# Chancy: `make dev`, `make test`, `make demo`, `make bench`,
# `make install-sql DATABASE_URL=postgresql://...`.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dev install-sql test test-sql test-python demo bench chaos lint clean

dev: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[all,test]'
	touch $(STAMP)

# Installs or upgrades the schema with psql alone (no Python needed).
install-sql:
	@test -n "$(DATABASE_URL)" || { echo "usage: make install-sql DATABASE_URL=postgresql://user@host/db" >&2; exit 2; }
	sh sql/install.sh "$(DATABASE_URL)"

test: test-sql test-python

test-sql: $(STAMP)
	sh tests/sql/run.sh

test-python: $(STAMP)
	$(PY) -m pytest tests/python

demo: $(STAMP)
	$(PY) -m chancy.demo

bench: $(STAMP)
	$(PY) benchmarks/run.py

chaos: $(STAMP)
	$(PY) -m pytest tests/python/chaos -m chaos

lint: $(STAMP)
	$(VENV)/bin/ruff check python tests
	$(VENV)/bin/ruff format --check python tests
	$(VENV)/bin/mypy python/chancy

clean:
	rm -rf $(VENV) .pgtmp build dist
