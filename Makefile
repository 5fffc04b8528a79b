# stripe_dwh — the whole set-up is `make demo` or `make test` on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
STRIPE_DOUBLE_PORT ?= 8420

.PHONY: venv lint static test demo demo-live demo-data db-stop chromium redis-server bench mutants

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

# Debian's Chromium drives the browser tests; installed in CI (root, apt), optional elsewhere.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium not found and cannot be installed here: browser tests will be skipped"; \
		fi; \
	fi

# Debian's redis-server: the Celery tests start a throwaway broker from it; installed in CI.
redis-server:
	@if ! command -v redis-server >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian's redis-server for the Celery tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
		else \
			echo "redis-server not found and cannot be installed here: install it (apt-get install redis-server) for the Celery tests"; \
		fi; \
	fi

# ruff (pinned in requirements-dev.txt, configured in pyproject.toml): lint and format check.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Static files with their Brotli/gzip copies (plotly.js: 4.8 MB -> 1.1 MB); only changed files
# are compressed again, so a second run takes a moment. The development settings: collecting
# needs no SECRET_KEY (a deployment runs collectstatic with its own settings).
static: venv
	@echo "Collecting static files (Brotli-compressing plotly.js takes about 20 s the first time)"
	$(BIN)/python manage.py collectstatic --noinput -v1 --settings=devtools.settings

test: venv lint static $(if $(CI),chromium redis-server)
	$(BIN)/pytest --reuse-db $(PYTEST_ARGS)

# The demo runs with DEBUG off like production, so it needs a SECRET_KEY: yours from the
# environment, else a fresh random one per run (sessions then end with the demo).
demo demo-data: export SECRET_KEY := $(or $(SECRET_KEY),$(shell $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))"))

# Logins, the demo business, the Stripe API double and the web server; Ctrl-C stops it all.
demo: venv static
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo --host $(DEMO_HOST) --port $(DEMO_PORT) --stripe-port $(STRIPE_DOUBLE_PORT) $(DEMO_ARGS)

# The same, plus a live payment every few seconds through signed webhooks (DEMO_INTERVAL seconds).
DEMO_INTERVAL ?= 4
demo-live:
	$(MAKE) demo DEMO_ARGS="--live --interval $(DEMO_INTERVAL) $(DEMO_ARGS)"

# Only the demo data (no server), e.g. make demo-data DEMO_DATA_ARGS="--users 1000 --seed 7".
demo-data: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_data $(DEMO_DATA_ARGS)

db-stop: venv
	$(BIN)/python -c "from stripe_dwh.embedded_postgres import stop; stop()"

# Benchmarks (bench/, never part of the test suite) in their own database, stripe_dwh_bench.
# `make bench` = small scale in a few minutes; `make bench SCALE=full` = 1M charges;
# SCALE=3m = 3M charges and SCALE=100k = 100k charges (the scaling table's other sizes).
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--only reports".
SCALE ?= small
BENCH_ARGS ?=
bench: venv
	$(BIN)/python -m bench.run --scale $(SCALE) $(BENCH_ARGS)

# Mutation check (devtools/mutants.py, never part of `make test`): plants known bugs one at a
# time in a scratch copy and runs the tests that must catch each; exits 1 if any survives.
# MUTANTS_ARGS passes options, e.g. MUTANTS_ARGS="--only churn --no-baseline" or "--list".
MUTANTS_ARGS ?=
mutants: venv
	$(BIN)/python -m devtools.mutants $(MUTANTS_ARGS)
