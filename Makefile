# The commands a newcomer needs; each one sets up the virtual environment first.
#   make book   set up, then execute every chapter and build the HTML book into _build/html, and its PDF
#   make pdf    the PDF edition alone (_build/html/nnkernel-book.pdf), from the HTML book
#   make test   set up, then run every test (kernel, explorers, and every notebook with nbval), then
#               the kernel suite and nbval again as on another CPU (make test-other-cpu)
#   make lab    set up, then open the chapters in JupyterLab
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup test test-other-cpu book pdf lab clean demo browser-setup

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

test: setup
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-other-cpu

# Another CPU, on this one: NumPy's loops on baseline SIMD only (no AVX2/AVX-512 dispatch), another
# OpenBLAS kernel and one Numba thread, so round-off falls differently.  The stored chapter outputs
# must pass nbval here too: what a chapter prints may not depend on the CPU it runs on.
# (x86-64 only: these switches name x86 features.)
OTHER_CPU := NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" OPENBLAS_CORETYPE=Nehalem NUMBA_NUM_THREADS=1
test-other-cpu: setup
ifeq ($(shell uname -m),x86_64)
	$(OTHER_CPU) $(BIN)/python -m pytest -m "not browser and not course" tests lessons
else
	@echo "test-other-cpu: the emulated CPU switches are x86-64 features; skipped on $$(uname -m)"
endif

book: setup
	rm -rf _build
	$(BIN)/jupyter-book build -W --keep-going .
	@if command -v chromium >/dev/null; then $(MAKE) --no-print-directory pdf; \
	else echo "book: no Chromium, so no PDF edition (make browser-setup, then make pdf)"; fi

# The book as one PDF, _build/html/nnkernel-book.pdf (linked from every page), printed from the built HTML
# book by headless Chromium, offline: contents with page numbers, every chapter, each explorer at its
# default setting with where to use it live, the solutions in a closing appendix (book/tools/pdf_edition.py)
PDF := _build/html/nnkernel-book.pdf
pdf: setup
	test -f _build/html/index.html || $(MAKE) --no-print-directory book
	$(BIN)/python book/tools/pdf_edition.py _build/html -o $(PDF)

# As root (a container) JupyterLab refuses to start without --allow-root
lab: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) lessons/

clean:
	rm -rf _build .pytest_cache .hypothesis

# Instructor demos: one explorer alone, full window, in the browser (Voila).
#   make demo NAME=activations               (see demos/ for the names)
#   make demo NAME=activations PRESENTATION=1  (large fonts and lines for a projector)
# Voila keeps a kernel that has already run the demo (preheat), so the page plots at once
# (benchmarks/frontends.py measures it); its template (demos/jupyter) is Voila's lab template without the
# requests to a CDN.
NAME ?= activations
PRESENTATION ?= 0
demo: setup
	NNK_PRESENTATION=$(PRESENTATION) JUPYTER_PATH=$(CURDIR)/demos/jupyter \
	  $(BIN)/voila --Voila.ip=127.0.0.1 --template=nnk --preheat_kernel=True demos/$(NAME).ipynb

# Browser tests need Chromium (Debian's package; Playwright drives it), axe-core (npm, pinned in
# package-lock.json), which the accessibility test injects into every page, configurable-http-proxy (npm),
# the proxy of the local JupyterHub the course-kit tests start, and poppler-utils (Debian: pdftotext,
# pdftoppm), which read the PDF edition back.
browser-setup: setup
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	command -v pdftotext >/dev/null || (apt-get update -qq && apt-get install -y -qq poppler-utils)
	npm ci --no-audit --no-fund --silent
