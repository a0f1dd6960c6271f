# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean messages

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.8

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	@fc-list :lang=ko 2>/dev/null | grep -q . || echo "warning: no Korean font (fc-list :lang=ko is empty): Korean text in PNG/SVG figures will be empty boxes; install one with: sudo bash deploy/install.sh --system (Debian: fonts-nanum)" >&2
	$(PY) -m streamlit run app.py

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Interface strings: extract every _()/N_() string and the registry titles (babel.cfg), merge
# them into the ko and en catalogues, then fill the new Korean msgstr (tests/test_i18n.py).
messages: $(STAMP)
	PYTHONPATH=. $(VENV)/bin/pybabel extract -F babel.cfg -c TRANSLATORS: --no-location --sort-output -o messages.pot .
	$(VENV)/bin/pybabel update -i messages.pot -d core/model/locales --no-fuzzy-matching --ignore-obsolete -w 100
	rm -f messages.pot

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
