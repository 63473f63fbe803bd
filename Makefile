# The two quick-start commands: `make demo` and `make test`. Both build clmkit's wheel once
# (maturin via pip), install it into .venv with its extras, and run.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
WHEEL_DIR := dist

.PHONY: demo test install wheel rust-test py-test notebooks lint clean airflow-check

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

wheel: $(PY)
	rm -rf $(WHEEL_DIR)
	$(PY) -m pip wheel -q --no-deps -w $(WHEEL_DIR) .
	@ls $(WHEEL_DIR)/clmkit-*-cp39-abi3-*.whl >/dev/null || (echo "wheel is not abi3" && exit 1)

install: wheel
	$(PY) -m pip install -q --force-reinstall --no-deps $(WHEEL_DIR)/clmkit-*.whl
	$(PY) -m pip install -q "$$(ls $(WHEEL_DIR)/clmkit-*.whl)[test,report,notebooks,dask]"

demo: install
	$(VENV)/bin/clmkit report --demo --out demo_out

rust-test:
	cargo test --no-default-features

py-test: install
	$(PY) -m pytest -q tests
	$(PY) -m pytest -q --nbmake --nbmake-timeout=300 notebooks
	cd $(WHEEL_DIR) && ../$(PY) -m pytest -q --doctest-modules --pyargs clmkit

test: rust-test py-test

# Code habits: rustfmt, clippy (warnings are errors), ruff (lint and format) and mypy --strict
# on the package (a module still listed in pyproject's [[tool.mypy.overrides]] is not yet clean).
LINT_PATHS := python tests benchmarks examples notebooks
lint: $(PY)
	$(PY) -m pip install -q "ruff==0.17.6" "mypy==2.4.1" "pandas-stubs>=2.2" numpy
	cargo fmt --check
	cargo clippy --all-targets --no-default-features -- -D warnings
	cargo clippy --all-targets -- -D warnings
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check $(LINT_PATHS)
	$(PY) -m mypy

# examples/airflow_dag.py run by `airflow dags test` (Airflow 3 from PyPI in its own venv,
# cached in /tmp) on the bundled data with the wheel built here.
airflow-check: wheel
	bash examples/airflow_check.sh

# Re-executes the notebooks in place so the saved outputs match the code (commit the result).
notebooks: install
	$(PY) notebooks/build.py

clean:
	rm -rf $(VENV) $(WHEEL_DIR) target
