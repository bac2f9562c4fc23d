# LoyaltyLens: `make run` opens the dashboard with the demo data, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8501

.PHONY: run test test-spark lint demo bench chromium system-packages clean po

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP) system-packages
	$(BIN)/loyaltylens demo
	@echo "LoyaltyLens: open http://localhost:$(PORT) in your browser (Ctrl+C stops it)."
	$(BIN)/streamlit run dashboard/app.py --server.port $(PORT) --server.address localhost

demo: $(STAMP)
	$(BIN)/loyaltylens demo

# The translations: extract every text into metrics/locale/loyaltylens.pot, bring each
# language's .po up to it (new texts untranslated) and compile the .mo files (committed).
po: $(STAMP)
	$(BIN)/python -m metrics.translations

lint: $(STAMP)
	$(BIN)/ruff check .

# Debian packages the app and its tests use, installed when missing: Chromium (the browser
# tests drive it through Playwright, and kaleido draws chart images in it; no download),
# Chromium's headless shell (the load benchmark's browser: the page without the browser's
# own interface),
# poppler-utils (a test renders the report with pdftoppm), Pango (WeasyPrint writes the PDF
# with it), Noto fonts (ș ț ă and Cyrillic in reports and chart images) and Java 17 (the
# local Spark of make test-spark and the Spark engine).
DEBIAN_PACKAGES := chromium chromium-headless-shell poppler-utils libpango-1.0-0 \
	libpangoft2-1.0-0 fonts-noto-core openjdk-17-jre-headless

system-packages:
	@missing=$$(for package in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q 'ok installed' || \
	  echo $$package; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; fi

# The browser alone, as before.
chromium: system-packages

test: $(STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest
	$(MAKE) test-spark

# The Spark engine against DuckDB, number for number: one local Spark on two cores for the
# whole job (tests/spark share its session), so one pytest process.
test-spark: $(STAMP) system-packages
	$(BIN)/python -m pytest -m spark -n 0 tests/spark

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

bench: $(STAMP) system-packages
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.bench_cohorts
	$(BIN)/python -m bench.bench_clv
	BENCH_CUSTOMERS=300000 $(BIN)/python -m bench.bench_ingest
	BENCH_CUSTOMERS=3000000 $(BIN)/python -m bench.bench_ingest
	BENCH_CUSTOMERS=300000 $(BIN)/python -m bench.bench_pages
	BENCH_CUSTOMERS=3000000 $(BIN)/python -m bench.bench_pages
	BENCH_CUSTOMERS=300000 $(BIN)/python -m bench.load
	BENCH_CUSTOMERS=300000 $(BIN)/python -m bench.page_cpu
	BENCH_CUSTOMERS=300000 $(BIN)/python -m bench.bench_report
	BENCH_CUSTOMERS=300000 $(BIN)/python -m bench.bench_cli
	$(BIN)/python -m bench.bench_drivers
	$(BIN)/python -m bench.bench_spark
	$(BIN)/python -m bench.summary
