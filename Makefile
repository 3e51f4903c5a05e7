# Two commands do all the set-up on a fresh machine:
#   make run    the bot (with no TELEGRAM_BOT_TOKEN: the console chat on ./data)
#   make test   the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench catalogs clean

$(STAMP): pyproject.toml setup.py conversations/locale/*/LC_MESSAGES/messages.po conversations/i18n.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/zhicheng-bot

# PYTEST_FLAGS="-p no:xdist" runs the suite serially; loadgroup keeps the tests of one xdist_group on one worker
PYTEST_FLAGS ?= -n auto --dist loadgroup
# bytecode is cached even where the environment says not to: each worker and each bot the tests
# start would otherwise compile every module again (about 0.3 s a process)
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest $(PYTEST_FLAGS)

check: $(STAMP)
	$(BIN)/zhicheng-bot knowledge check
	$(BIN)/ruff check bot conversations knowledge tests benchmarks
	$(BIN)/ruff format --check bot conversations knowledge tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/bot_throughput.py
	$(BIN)/python benchmarks/qa.py
	$(BIN)/python benchmarks/latency.py
	$(BIN)/python benchmarks/unit_hr.py
	$(BIN)/python benchmarks/reminders.py
	$(BIN)/python benchmarks/notice_draft.py
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/office_load.py
	$(BIN)/python benchmarks/bot_starts.py

# After changing interface text: extract, merge into both catalogs, then translate zh_Hans.
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k N_ --no-location --sort-output -w 120 \
		--project zhicheng-bot -o conversations/locale/messages.pot .
	$(BIN)/pybabel update -i conversations/locale/messages.pot -d conversations/locale --no-fuzzy-matching --ignore-obsolete -w 120

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
