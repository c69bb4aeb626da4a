# The commands a newcomer needs; each one sets up the virtual environment first.
#   make book   set up, then execute every chapter and build the HTML book into _build/html
#   make test   set up, then run every test (kernel, explorers, and every notebook with nbval)
#   make lab    set up, then open the chapters in JupyterLab
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup test book lab clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

test: setup
	$(BIN)/python -m pytest

book: setup
	rm -rf _build
	$(BIN)/jupyter-book build -W --keep-going .

lab: setup
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-live.txt
	$(BIN)/jupyter lab lessons/

clean:
	rm -rf _build .pytest_cache .hypothesis
