# topicwatch: `make run` (main job on seeds/ -> reports/<today>/) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-install
ARGS   ?=

.PHONY: run test lint bench clean

# Installs once; the stamp makes later calls fast until pyproject or constraints change.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/topicwatch run $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

# ruff; the import contracts of pyproject [tool.importlinter]; mypy over analytics/.
lint: $(STAMP)
	$(BIN)/ruff check analytics flows tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy analytics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
