# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
VENV ?= .venv
PYTHON ?= python3

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

.PHONY: install demo test lint
install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/balie demo

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

test: $(VENV)/.installed
	bash scripts/test.sh
