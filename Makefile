# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test app bench validate clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) run.py compare baseline km crm ckm --reps 8 --steps 104

test: $(STAMP)
	$(PY) -m pytest -q

app: $(STAMP)
	$(PY) run.py app

validate: $(STAMP)
	$(PY) run.py validate

bench: $(STAMP)
	$(PY) bench/march.py
	$(PY) bench/full_model.py

clean:
	rm -rf $(VENV) outputs .pytest_cache
