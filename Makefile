# The template's two everyday commands: `make demo` and `make test`.
# `make test` installs the test toolchain into .venv (uv, from the lock requirements-test.txt);
# `make demo` only cookiecutter and DVC, into .venv-demo (from requirements-demo.txt).
PYTHON ?= python3
# The installer, pinned (the generated Makefile pins the same one; a template test checks it).
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
DEMO_VENV := .venv-demo
DEMO_BIN := $(CURDIR)/$(DEMO_VENV)/bin
DEMO_DIR := $(CURDIR)/build
# The default answers' project_slug (cookiecutter.json's project_name, slugified).
DEMO_PROJECT := $(DEMO_DIR)/customer-churn
PYTEST_ARGS ?=
# The Mermaid that renders the reports' charts in tests, meant to be the version GitHub draws
# with (a comment holding a ```mermaid block with the one word `info` shows it; update both).
MERMAID_VERSION := 11.4.1
MERMAID_JS := .tools/mermaid-$(MERMAID_VERSION).min.js
# Two workers, one test file each at a time (module fixtures stay in one process): most of the
# suite is single-threaded work in subprocesses (act jobs, training), so two cores halve it.
# Files go out in collection order, which tests/conftest.py starts with the longest ones.
PYTEST_WORKERS ?= 2

.PHONY: venv demo demo-venv demo-bake test story lint lock constraints bench bench-drift \
	bench-validate bench-profile bench-stages clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --requirement requirements-test.txt
	touch $@

# Generate a project with the default answers (its DVC remote kept under build/), set it up
# (its own .venv) and reproduce its pipeline; prints the metrics. Its steps are targets of their
# own so that `make bench` can time each.
demo: demo-bake
	$(MAKE) -C $(DEMO_PROJECT) setup repro
	@echo "The demo project is in $(DEMO_PROJECT): cd there and read its README.md."

demo-bake: demo-venv
	rm -rf $(DEMO_DIR)
	$(DEMO_BIN)/cookiecutter --no-input --output-dir $(DEMO_DIR) . dvc_remote_url=$(DEMO_DIR)/dvc-remote

# Baking needs cookiecutter and DVC only (the generation hook runs `dvc init` and the first
# commit with cookiecutter's Python), not the test toolchain: about 170 MB instead of 1.1 GB.
# No bytecode compilation: the bake imports a fraction of it.
demo-venv: $(DEMO_VENV)/.installed

$(DEMO_VENV)/.installed: requirements-demo.txt
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(DEMO_BIN)/uv pip install --quiet --python $(DEMO_BIN)/python --requirement requirements-demo.txt
	touch $@

# Only the bundled script is kept (2.5 MB): `npm pack` fetches the package without its
# dependencies, which the bundle already holds.
$(MERMAID_JS):
	mkdir -p .tools/unpack
	cd .tools/unpack && npm pack --silent mermaid@$(MERMAID_VERSION) >/dev/null
	tar -xzf .tools/unpack/mermaid-$(MERMAID_VERSION).tgz -C .tools/unpack package/dist/mermaid.min.js
	mv .tools/unpack/package/dist/mermaid.min.js $@
	rm -rf .tools/unpack

test: venv $(MERMAID_JS)
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest tests -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30 $(PYTEST_ARGS)

# The end-to-end story alone (also part of `make test`), printing each step's outcome.
story: venv
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest tests/workflows/test_story.py -s -q

lint: venv
	$(BIN)/ruff check hooks tests benchmarks
	$(BIN)/ruff format --check hooks tests benchmarks

# Re-lock the template's tools and the generated project's constraints after changing versions.
# The demo's lock takes its versions from the test lock, so the two never pin a package twice.
lock: venv
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements-test.in -o requirements-test.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements-demo.in \
		--constraint requirements-test.txt -o requirements-demo.txt

constraints: venv
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 constraints.in \
		--custom-compile-command "make constraints (in the template)" \
		-o "{{cookiecutter.project_slug}}/constraints.txt"

bench: venv
	PATH="$(BIN):$$PATH" $(BIN)/python benchmarks/bake_and_repro.py

# The generated drift check against Evidently (own virtualenv, under ~/.cache) and a plain
# Parquet read, on 200k, 1M and 5M rows with planted shifts; about 20 minutes on 2 cores.
bench-drift: venv
	$(BIN)/python benchmarks/drift.py

# The generated validate stage against the same checks in plain vectorized pandas, on four
# shapes of CSV (the 25-column one at 1M and 5M rows, also as Parquet); about 9 minutes on 2 cores.
bench-validate: venv
	$(BIN)/python benchmarks/validate.py

# The generated profile stage on 1M and 5M training rows against the same stage before it read
# in chunks (PROFILE_BASELINE, a git ref of this template) and a plain Parquet read; ~10 minutes.
PROFILE_BASELINE ?= ef76a5e
bench-profile: venv
	$(BIN)/python benchmarks/profile.py --baseline $(PROFILE_BASELINE)

# The generated split, train and evaluate stages per model family at 1M rows against the least
# work each does (the same estimator fitted on the same arrays, one predict_proba and the
# metrics), with peak memory and a profile of the stage furthest above its floor; about 30
# minutes on 2 cores.
bench-stages: venv
	$(BIN)/python benchmarks/stages.py

clean:
	rm -rf $(DEMO_DIR) $(VENV) $(DEMO_VENV) .tools
