# The commands a newcomer needs; each one sets up the virtual environment first.
#   make book   set up, then execute every chapter and build the HTML book into _build/html
#   make test   set up, then run every test (kernel, explorers, and every notebook with nbval)
#   make lab    set up, then open the chapters in JupyterLab
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup test book lab clean demo browser-setup

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

# Instructor demos: one explorer alone, full window, in the browser (Voila).
#   make demo NAME=activations               (see demos/ for the names)
#   make demo NAME=activations PRESENTATION=1  (large fonts and lines for a projector)
NAME ?= activations
PRESENTATION ?= 0
demo: setup
	NNK_PRESENTATION=$(PRESENTATION) $(BIN)/voila --Voila.ip=127.0.0.1 demos/$(NAME).ipynb

# Browser tests need Chromium (Debian's package; Playwright drives it).
browser-setup: setup
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
