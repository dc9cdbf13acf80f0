# Two commands: `make run` (serve the product with demo data) and `make test` (the whole
# suite on SQLite and on a throwaway PostgreSQL). Both bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 5000

.PHONY: run test test-sqlite test-postgres translations lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# Catalogues are compiled by the build, never committed as .mo
translations: $(STAMP)
	$(BIN)/pybabel compile -f -d translations

run: $(STAMP) translations
	$(BIN)/linli db upgrade
	$(BIN)/linli demo --if-empty
	@echo "Serving http://127.0.0.1:$(PORT) (Celery runs in-process)"
	$(BIN)/linli run --host 127.0.0.1 --port $(PORT)

test: $(STAMP) translations
	scripts/test.sh

test-sqlite: $(STAMP) translations
	LINLI_TEST_DATABASE=sqlite $(BIN)/python -m pytest $(ARGS)

test-postgres: $(STAMP) translations
	scripts/test.sh postgres $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	scripts/bench.sh

clean:
	rm -rf $(VENV) instance test-artifacts
