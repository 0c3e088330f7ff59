# Hashing Book: the common jobs. Only Python 3.10+ (and make) is needed on a fresh machine;
# every target creates the virtual environment first if it is missing or out of date.
#
#   make book                          render the book to _build/html (runs missing chapters on the embedded data)
#   make test                          core tests, notebook tests (nbval), a warnings-as-errors book build and,
#                                      where Chromium and Playwright are installed, the book in a browser
#   make chapter NAME=cnnbh ARGS="-p profile paper -p datasets '[cifar10]'"
#                                      execute one chapter with papermill into book/NAME.ipynb
#                                      (replaced only when the run succeeds; a run of another profile over
#                                      an executed paper run needs FLAGS=--replace-profile)
#   make browser-test                  open every page of the built book in headless Chromium (screenshots
#                                      in _build/screenshots/), installing Playwright first
#   make bench DATA_ROOT=~/data        print the retrieval, training and data-loading speed figures
#   make env                           just create .venv

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BOOK_FLAGS := -n -W --keep-going

.PHONY: env book chapters chapter test browser-test bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[dev]"
	touch $(STAMP)

env: $(STAMP)

chapters: $(STAMP)
	$(PY) -m hashlib_core execute-missing

book: chapters
	$(VENV)/bin/jupyter-book build . $(BOOK_FLAGS)
	@echo "Open $(CURDIR)/_build/html/index.html"

chapter: export CHAPTER_ARGS := $(ARGS)
chapter: $(STAMP)
	$(PY) -m hashlib_core run-chapter $(NAME) --args="$$CHAPTER_ARGS" $(FLAGS)

test: $(STAMP)
	$(VENV)/bin/jupyter-book build . $(BOOK_FLAGS) --path-output _build/test-book -q
	$(PY) -m pytest tests $(wildcard notebooks/*.ipynb) --nbval-lax -m ""

browser-test: $(STAMP)
	@command -v chromium >/dev/null || echo "no chromium: apt-get install chromium (the browser test will be skipped)"
	$(VENV)/bin/jupyter-book build . $(BOOK_FLAGS) --path-output _build/test-book -q
	$(PY) -m pytest tests/test_book_in_browser.py -m browser -v

bench: $(STAMP)
	$(PY) benchmarks/bench_retrieval.py
	$(PY) benchmarks/bench_training.py $(if $(DATA_ROOT),--data-root $(DATA_ROOT))
	$(PY) benchmarks/bench_data.py $(if $(DATA_ROOT),--data-root $(DATA_ROOT))
	$(if $(DATA_ROOT),$(PY) benchmarks/bench_baselines.py --data-root $(DATA_ROOT))

clean:
	rm -rf _build .pytest_cache
