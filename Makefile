# Two commands do all setup: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/calibrate.duckdb
PORT ?= 8501

.PHONY: run test lint bench bench-quick bench-components bench-postgres bench-parquet sample clean postgresql java screenshots

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

data/sample/leads.csv: $(wildcard src/calibrate/tools/sample/*.py) | $(VENV)/.installed
	$(BIN)/python -m calibrate.tools.sample

$(DB): data/sample/leads.csv
	$(BIN)/calibrate ingest data/sample/leads.csv --db $(DB) --replace

/usr/bin/chromium:
	@echo "Installing Debian's chromium for the browser tests..."
	@if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null

# Debian's PostgreSQL server, which the tests start on a private socket (tests/postgres.py).
# Its binaries sit under a versioned folder, so a shell test finds them, not a file target.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
	echo "Installing Debian's postgresql for the database tests..."; \
	if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi

# A Java runtime for PySpark's local Spark (the spark fixture in tests/conftest.py); Spark 4
# needs Java 17 or newer. Installed only when no java is on the path. The man folder is made
# first: slim Debian images lack it and the package's setup then fails.
java:
	@if ! command -v java >/dev/null 2>&1; then \
	echo "Installing Debian's Java 17 runtime for the Spark tests..."; \
	if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
	$$SUDO mkdir -p /usr/share/man/man1 && $$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	openjdk-17-jre-headless >/dev/null; fi

run: $(VENV)/.installed $(DB)
	CALIBRATE_DB=$(DB) $(BIN)/streamlit run app.py --server.headless true \
		--server.address 127.0.0.1 --server.port $(PORT) --browser.gatherUsageStats false

test: $(VENV)/.installed-test /usr/bin/chromium postgresql java
	$(BIN)/ruff check src tests app.py benchmarks notebooks
	$(BIN)/python -m pytest -n auto --dist loadfile --durations=15

screenshots: $(VENV)/.installed-test /usr/bin/chromium
	CALIBRATE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q \
		tests/test_screenshots.py -k 1920

bench: $(VENV)/.installed-test /usr/bin/chromium
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.run --sizes 100000,1000000,10000000

bench-quick: $(VENV)/.installed-test /usr/bin/chromium
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.run --sizes 100000 --out benchmarks/work/RESULTS-quick.md

bench-components: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.run --sizes 1000000 --components

# Issue 21: 1M leads in a private PostgreSQL server (its cluster under /tmp, removed after),
# read in place against copied first; needs benchmarks/work/n1000000/leads.duckdb (make bench).
bench-postgres: $(VENV)/.installed-test postgresql
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.run --sizes 1000000 --postgres

# Issue 21 on Parquet: N leads as typed Parquet files (generated once), loaded in place.
PARQUET_SIZES ?= 100000000
bench-parquet: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.run --sizes $(PARQUET_SIZES) --parquet-in-place

clean:
	rm -rf $(VENV) $(DB) $(DB).wal
