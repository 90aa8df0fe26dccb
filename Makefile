# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format app bench validate clean browser fuzz lab notebooks-html

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) run.py compare baseline km crm ckm --reps 8 --steps 104

# The app's browser test needs Debian's chromium; install it once if it is missing (root on CI).
BROWSER := $(VENV)/.browser
$(BROWSER): $(STAMP)
	command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	touch $(BROWSER)

browser: $(BROWSER)

test: $(STAMP) $(BROWSER) lint
	$(PY) -m pytest -q

# The linter and formatter, configured once in pyproject.toml; `make format` applies the formatting.
lint: $(STAMP)
	$(PY) -m ruff check sim tests bench run.py
	$(PY) -m ruff format --check sim tests bench run.py

format: $(STAMP)
	$(PY) -m ruff format sim tests bench run.py
	$(PY) -m ruff check --fix sim tests bench run.py

app: $(STAMP)
	$(PY) run.py app

validate: $(STAMP)
	$(PY) run.py validate

bench: $(STAMP)
	$(PY) bench/march.py
	$(PY) bench/full_model.py

# Jupyter Lab for the notebooks: installed into .venv on first use (not needed by `make test`).
LAB := $(VENV)/.lab
$(LAB): $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,bench,lab]"
	touch $(LAB)

lab: $(LAB)
	$(VENV)/bin/jupyter lab notebooks/

# Every notebook executed at its own sizes and rendered to HTML in docs/notebooks/ (about 10 minutes).
notebooks-html: $(LAB)
	mkdir -p docs/notebooks
	$(VENV)/bin/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=1800 \
		--ExecutePreprocessor.kernel_name=python3 --output-dir docs/notebooks notebooks/*.ipynb

# Longer fuzzing than `make test` runs: 500 generated scenario files, option sets and page events (FUZZ_EXAMPLES=N for more).
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(PY) -m pytest -q -p no:cacheprovider tests/test_fuzz.py --hypothesis-show-statistics

clean:
	rm -rf $(VENV) outputs .pytest_cache
