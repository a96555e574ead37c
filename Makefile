# Kantor — the README's two commands:
#   make run    build everything and start a server on this machine
#   make test   install what is missing, start throwaway PostgreSQL + NATS, run every test
#
# Other targets: bench, fmt, lint, web, e2e, api, clean, distclean, help.
# Variables: CARGO_TARGET_DIR (default ./target), JOBS (cargo -j, default 2),
#            DATA_DIR (make run, default ./kantor-data), ARGS (extra `kantor serve` arguments).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# rustup's cargo lives in ~/.cargo/bin, which non-login shells may lack.
CARGO_BIN_DIR := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CARGO_BIN_DIR):$(PATH)

CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR
JOBS ?= 2
export JOBS
CARGO ?= cargo
DATA_DIR ?= ./kantor-data
ARGS ?=

RELEASE_BIN := $(CARGO_TARGET_DIR)/release/kantor
DEBUG_BIN := $(CARGO_TARGET_DIR)/debug/kantor

.PHONY: help run test bench fmt lint web e2e api setup clean distclean

help:
	@echo 'make run        build the web app and the release binary, then start `kantor serve`'
	@echo 'make test       everything: Rust (SQLite + PostgreSQL), web, size, API drift, e2e'
	@echo 'make bench      release build, then kantor-bench http, startup, import, chat-history, sfu, meeting-join'
	@echo 'make fmt        cargo fmt'
	@echo 'make lint       cargo fmt --check, clippy -D warnings (and the web lint if defined)'
	@echo 'make web        build the web app into web/dist'
	@echo 'make e2e        debug build + web build, then the Playwright tests only'
	@echo 'make api        regenerate docs/openapi.json and web/src/api/schema.d.ts'
	@echo 'make clean      cargo clean, remove web/dist and test output'

setup:
	scripts/setup.sh

run: setup
	npm --prefix web run build
	$(CARGO) build --release -j$(JOBS) -p kantor
	exec $(RELEASE_BIN) serve --data-dir $(DATA_DIR) $(ARGS)

test:
	scripts/test.sh

bench: setup
	$(CARGO) build --release -j$(JOBS) -p kantor -p kantor-bench
	KANTOR_BIN=$(RELEASE_BIN) $(CARGO_TARGET_DIR)/release/kantor-bench http
	KANTOR_BIN=$(RELEASE_BIN) $(CARGO_TARGET_DIR)/release/kantor-bench startup
	KANTOR_BIN=$(RELEASE_BIN) $(CARGO_TARGET_DIR)/release/kantor-bench import
	KANTOR_BIN=$(RELEASE_BIN) $(CARGO_TARGET_DIR)/release/kantor-bench chat-history
	KANTOR_BIN=$(RELEASE_BIN) $(CARGO_TARGET_DIR)/release/kantor-bench sfu
	KANTOR_BIN=$(RELEASE_BIN) $(CARGO_TARGET_DIR)/release/kantor-bench meeting-join

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -j$(JOBS) --workspace -- -D warnings
	@if [[ -f web/package.json ]] && node -e 'process.exit(require("./web/package.json").scripts?.lint ? 0 : 1)'; then \
	  echo 'npm --prefix web run lint'; npm --prefix web run lint; fi

web: setup
	npm --prefix web run build

e2e: setup
	npm --prefix web run build
	$(CARGO) build -j$(JOBS) -p kantor
	KANTOR_BIN=$(DEBUG_BIN) npm --prefix e2e test

api: setup
	$(CARGO) build -j$(JOBS) -p kantor
	KANTOR_BIN=$(DEBUG_BIN) scripts/check-api-drift.sh --write

clean:
	$(CARGO) clean
	rm -rf web/dist e2e/test-results e2e/screenshots e2e/playwright-report .tmp

distclean: clean
	rm -rf web/node_modules e2e/node_modules
