# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app app

.PHONY: run test install translations extract-messages lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Compiled catalogues (.mo) are build output, made from the .po files on every setup.
translations: install
	$(BIN)/pybabel compile -d app/translations -f

run: translations
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "Serving on http://$(HOST):$(PORT)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Lint first: ruff's security rules (S, flake8-bandit) are on in ruff.toml, so a finding fails CI.
lint: install
	$(BIN)/ruff check .

test: translations lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Maintainers: refresh the catalogue after changing user-facing text.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

bench: install
	$(BIN)/python bench/people_search.py

clean:
	rm -rf $(VENV) .pytest_cache
