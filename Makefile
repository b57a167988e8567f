# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint install translations clean migration messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d translations

# Migrate the SQLite database under instance/, load demo data once, serve with the scheduler.
run: install
	$(BIN)/intermart db upgrade
	$(BIN)/intermart seed-demo
	$(BIN)/intermart run --host 127.0.0.1 --port 5000

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Every test, on SQLite and then on a throwaway PostgreSQL cluster the harness starts itself.
test: $(VENV)/.installed-test translations lint
	$(BIN)/pytest
	INTERMART_TEST_DB=postgresql $(BIN)/pytest -m "not browser"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Until the first release the schema is one initial migration, regenerated from the models.
migration: $(VENV)/.installed
	rm -f migrations/versions/0001_initial.py
	tmp=$$(mktemp -d) && DATABASE_URL=sqlite:///$$tmp/schema.db SECRET_KEY=x \
		$(BIN)/intermart db revision --autogenerate -m initial --rev-id 0001 >/dev/null && rm -rf $$tmp
	mv migrations/versions/0001_initial_.py migrations/versions/0001_initial.py 2>/dev/null || true
	$(BIN)/ruff format -q migrations/versions/0001_initial.py 2>/dev/null || true

# Extract user-facing strings and merge them into the catalogues (then translate the .po).
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --width=100 \
		--ignore-dirs='.* __pycache__ .venv instance migrations tests bench build' -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --width=100
