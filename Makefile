# placer: `make demo` plans the example flow, `make test` runs the tests.
# Both create .venv and install placer with its dev extra on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PLACER := $(VENV)/bin/placer
STAMP := $(VENV)/.installed

.PHONY: install demo test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PLACER) plan examples/crosscloud/crosscloudflow.py

test: $(STAMP)
	$(PY) -m pytest -n 2 tests

bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check placer pricing tests benchmarks
	$(VENV)/bin/mypy  # placer/ and pricing/, configured in pyproject.toml
	$(VENV)/bin/zizmor --offline --persona pedantic examples/ci/placer-cost.yml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache build *.egg-info
