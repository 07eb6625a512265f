# Tern's single entry point. Every target installs what it needs first (Debian/Ubuntu: apt and
# npm packages; see README.md for macOS and Windows).
#
#   make run     build, start the demo mail server with sample mail, open Tern on it
#   make test    everything: Rust unit + integration (real Dovecot), UI (Vitest, Playwright),
#                end-to-end WebDriver tests of the real app under Xvfb, a minute of fuzzing
#   make fuzz    fuzz message parsing and sanitizing (FUZZ_SECONDS=60)
#   make lint    rustfmt, clippy (warnings are errors), svelte-check, bindings drift
#   make bench   sync 100,000 messages from a local Dovecot and compare with the raw floor
#   make bench-ui  the message list at 100,000 messages in the real app's WebView
#                (BENCH_PROFILE=release for the build users run)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TERM_COLOR ?= always
TOOLS      := $(CURDIR)/.tools
DEMO_DIR   ?= $(CURDIR)/.tern-demo
APP        := $(CARGO_TARGET_DIR)/debug/tern
DEMO       := $(CARGO_TARGET_DIR)/debug/tern-demo
KEYRING    := tests/fixtures/with-keyring.sh
# The Tauri CLI is fetched on demand (bundles, icons): its per-platform binaries cannot all be
# locked from one machine, so it stays out of ui/package.json.
TAURI_CLI  := @tauri-apps/cli@2.12.5
export PATH := $(TOOLS)/bin:$(PATH)

APT_PACKAGES := build-essential pkg-config curl file openssl libssl-dev \
	libwebkit2gtk-4.1-dev librsvg2-dev libxdo-dev \
	xvfb xauth webkit2gtk-driver chromium \
	dovecot-imapd dovecot-lmtpd \
	dbus dbus-x11 gnome-keyring libsecret-tools imagemagick

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help
help:
	@echo "make run      build and open Tern on the local demo mail server"
	@echo "make test     run every test (installs what is missing)"
	@echo "make lint     formatting, clippy, svelte-check, bindings drift"
	@echo "make bindings regenerate ui/src/ipc/bindings.ts from the Rust DTOs"
	@echo "make demo-server / demo-stop   start / stop only the demo mail server"
	@echo "make bundle   build installers (.deb, .rpm) into $(CARGO_TARGET_DIR)/release/bundle"
	@echo "make bench    benchmark 100,000 messages (bench-quick: 10,000); see BENCHMARKS.md"
	@echo "make bench-ui the message list at 100,000 messages in the real app's WebView"
	@echo "make fuzz     fuzz message parsing and sanitizing (FUZZ_SECONDS=60)"
	@echo "make screenshots  retake docs/screenshots (the real app on demo mail, light and dark)"

# ---------------------------------------------------------------- setup

.PHONY: deps system-deps ui-deps tauri-driver
deps: system-deps ui-deps

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get -o DPkg::Lock::Timeout=600 update -q; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $$missing; \
	fi

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	npm --prefix ui ci --no-audit --no-fund
	@touch $@

ui-deps: ui/node_modules/.package-lock.json

tauri-driver: $(TOOLS)/bin/tauri-driver
$(TOOLS)/bin/tauri-driver:
	cargo install tauri-driver --locked --version 2.1.0 --root $(TOOLS)

# ---------------------------------------------------------------- build

.PHONY: ui app demo-bin
ui: ui-deps
	npm --prefix ui run build

app: ui
	cargo build -p tern --features custom-protocol

demo-bin:
	cargo build -p tern-tests --bin tern-demo

# ---------------------------------------------------------------- run

.PHONY: run demo-server demo-stop
run: deps app demo-bin
	$(KEYRING) bash -c '"$(DEMO)" start --dir "$(DEMO_DIR)" --app-data "$(DEMO_DIR)/app" && \
	  if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then TERN_DATA_DIR="$(DEMO_DIR)/app" "$(APP)"; \
	  else echo "No display found: running Tern under Xvfb (set DISPLAY to see the window)."; \
	       TERN_DATA_DIR="$(DEMO_DIR)/app" xvfb-run -a -s "-screen 0 1280x800x24" "$(APP)"; fi'

demo-server: system-deps demo-bin
	$(KEYRING) "$(DEMO)" start --dir "$(DEMO_DIR)" --app-data "$(DEMO_DIR)/app"

demo-stop:
	@[ -x "$(DEMO)" ] && "$(DEMO)" stop --dir "$(DEMO_DIR)" || true

# ---------------------------------------------------------------- checks and tests

.PHONY: test lint fmt bindings test-rust test-ui test-ui-e2e
test: deps tauri-driver lint test-ui test-rust test-ui-e2e fuzz
	@echo "make test: all suites passed"

lint: deps ui
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features tern/custom-protocol -- -D warnings
	npm --prefix ui run check
	cargo tree -p tern-core -e normal --prefix none | (! grep -E '^tauri') || \
	  (echo "tern-core must not depend on tauri" && exit 1)

fmt:
	cargo fmt --all

bindings:
	TERN_UPDATE_BINDINGS=1 cargo test -p tern bindings

test-ui: ui-deps
	npm --prefix ui test

test-ui-e2e: ui
	npm --prefix ui run test:e2e

# Rust unit and integration tests against real Dovecot, and the WebDriver tests of the real app
# (they need a display and a Secret Service: both are started here when missing).
test-rust: ui tauri-driver
	xvfb-run -a -s "-screen 0 1280x800x24" $(KEYRING) \
	  cargo test --workspace --features tern/custom-protocol --no-fail-fast

# The README's screenshots (docs/screenshots/): the real app on demo mail, light and dark.
.PHONY: screenshots
screenshots: deps ui tauri-driver
	@# The demo mail writes Chinese and Japanese: a desktop has their fonts, a bare machine not.
	$(MAKE) --no-print-directory system-deps APT_PACKAGES="fonts-noto-cjk"
	xvfb-run -a -s "-screen 0 1280x800x24" $(KEYRING) \
	  cargo test -p tern --features custom-protocol --test e2e screenshots -- --ignored --nocapture

# ---------------------------------------------------------------- fuzzing

# Coverage-guided fuzzing of the parse-and-sanitize path (libFuzzer on stable Rust; see
# tests/fuzz/README.md). `make test` runs it for a minute; longer: make fuzz FUZZ_SECONDS=3600
FUZZ_SECONDS ?= 60

.PHONY: fuzz
fuzz: system-deps
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# ---------------------------------------------------------------- benchmarks

# Release build only: debug numbers mean nothing. The seeded fixture is kept in target/ and
# reused; results go to bench/ (see BENCHMARKS.md).
BENCH := $(CARGO_TARGET_DIR)/release/tern-bench

.PHONY: bench bench-quick bench-bin
bench-bin:
	cargo build --release -p tern-tests --bin tern-bench

bench: system-deps bench-bin
	"$(BENCH)" --out bench/results.json

bench-quick: system-deps bench-bin
	"$(BENCH)" --quick --out bench/results-quick.json

# The message list in the real app's WebView: first rows after choosing a 100,000-message
# folder, frame times while scrolling (bench/ui-results.json; TERN_BENCH_MESSAGES=N for another size).
# BENCH_PROFILE=release measures the build users run (about 5 minutes more to build).
BENCH_PROFILE ?= profiling
.PHONY: bench-ui
bench-ui: deps ui tauri-driver
	xvfb-run -a -s "-screen 0 1280x800x24" $(KEYRING) \
	  cargo test --profile $(BENCH_PROFILE) -p tern --features custom-protocol --test e2e bench -- --ignored --nocapture

# ---------------------------------------------------------------- packaging

.PHONY: bundle
bundle: deps
	cd src-tauri && npx --yes $(TAURI_CLI) build --bundles deb,rpm

# Regenerates the platform icon set from icons/icon-source.png (rendered from icons/tern.svg).
.PHONY: icons
icons:
	npx --yes $(TAURI_CLI) icon icons/icon-source.png -o icons
	rm -rf icons/android icons/ios
