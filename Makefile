# Set-up and everyday commands. `make demo` and `make test` do their own set-up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
JARS := .jars
GRAPHFRAMES_VERSION := 0.12.3
GRAPHFRAMES_ARTIFACTS := io.graphframes:graphframes-spark4_2.13:$(GRAPHFRAMES_VERSION) io.graphframes:graphframes-graphx-spark4_2.13:$(GRAPHFRAMES_VERSION)

.PHONY: setup demo test check-interface clean-data dagster-dev jars

setup: $(VENV)/.installed jars

# Re-install only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# GraphFrames' JVM side (graphframes-py carries none). Best effort: when Maven
# cannot resolve it, the graph jobs fall back to plain Spark DataFrame code.
jars: $(JARS)/.fetched
$(JARS)/.fetched:
	mkdir -p $(JARS)
	@for a in $(GRAPHFRAMES_ARTIFACTS); do \
	  mvn -U -q -B dependency:copy -Dartifact=$$a -DoutputDirectory=$(JARS) -Dmdep.overWriteIfNewer=true >$(JARS)/mvn.log 2>&1 \
	    || echo "warning: could not fetch $$a from Maven (see $(JARS)/mvn.log); Spark jobs run without GraphFrames"; \
	done
	touch $@

demo: setup
	$(BIN)/threatgraph demo

test: setup
	$(BIN)/python -m pytest -q

check-interface: setup
	$(BIN)/python ../shared/tools/check_interface.py

# The UI's assets read and write THREATGRAPH_LANDING / THREATGRAPH_WAREHOUSE: by default the
# folders `make demo` fills, so the UI shows the demo's data; set them (in the environment or as
# `make dagster-dev THREATGRAPH_WAREHOUSE=...`) for other folders. Runs are recorded in
# .dagster_home/; `DAGSTER_HOME=$(CURDIR)/.dagster_home .venv/bin/threatgraph run ...` records
# command-line runs there too.
DEMO_DIR := $(CURDIR)/data/demo
THREATGRAPH_LANDING ?= $(DEMO_DIR)/landing
THREATGRAPH_WAREHOUSE ?= $(DEMO_DIR)/warehouse

dagster-dev: setup
	mkdir -p .dagster_home && cp deploy/dagster.yaml .dagster_home/dagster.yaml
	@echo "dagster-dev: landing $(THREATGRAPH_LANDING), warehouse $(THREATGRAPH_WAREHOUSE), instance $(CURDIR)/.dagster_home"
	THREATGRAPH_LANDING="$(THREATGRAPH_LANDING)" THREATGRAPH_WAREHOUSE="$(THREATGRAPH_WAREHOUSE)" \
	  DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -w workspace.yaml

clean-data:
	rm -rf data/demo
