# otelcol-waxell: build, run and test the collector distribution.
#
#   make run     build bin/otelcol-waxell and run it with config.yaml
#   make test    everything CI runs: vet + gofmt, unit and end-to-end tests, generated-code check
#
# Go 1.26; PostgreSQL server binaries (/usr/lib/postgresql/*/bin or PATH) for
# the PostgreSQL tests (see internal/testutil/pgtest); .ci/run installs them.

SHELL       := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO          ?= go
OCB_VERSION := v0.165.0
OCB         ?= $(GO) run go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
DIST_DIR    := cmd/otelcol-waxell
BIN         := bin/otelcol-waxell
CONFIG      ?= config.yaml
IMAGE       ?= ghcr.io/waxell/otelcol-waxell:0.1.0

# Packages tested without the race detector, because -race makes them far
# slower on 2 cores (measured): the PostgreSQL store's suite (7 min instead of
# 45 s), the web UI's (13.5 min instead of 35 s, most of it loading two
# 100,000-user stores) and test/exactness (over 15 min instead of 7; 6 min
# even with -short). Everything else runs with -race. One package at a time
# (-p 1): each loads both cores on its own.
NORACE_PKGS := ./internal/store/postgres/ ./internal/ui/ ./test/exactness/
TEST_FLAGS  ?= -count=1 -timeout 15m

.PHONY: build run docker minimal generate check-generated test vet fmt-check test-race test-norace fuzz bench clean

## build: the collector binary, statically linked (CGO off: the SQLite store is pure Go)
build:
	cd $(DIST_DIR) && CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o ../../$(BIN) .

## run: build, then run with config.yaml (OTLP on localhost:4317/4318, API on localhost:8480)
run: build
	./$(BIN) --config $(CONFIG)

## docker: the container image (deploy/docker/Dockerfile; needs a Docker engine)
docker:
	docker build -f deploy/docker/Dockerfile -t $(IMAGE) .

## minimal: the minimal example distribution, deploy/minimal/_build/otelcol-waxell-minimal
minimal:
	$(OCB) --config deploy/minimal/builder-config.yaml

## generate: regenerate cmd/otelcol-waxell from builder-config.yaml with ocb
generate:
	$(OCB) --skip-compilation --config builder-config.yaml
	gofmt -w $(DIST_DIR)/*.go

## check-generated: fail if cmd/otelcol-waxell differs from what ocb generates
check-generated:
	GO=$(GO) .ci/check-generated

## test: the whole suite. Every step runs even after one fails, so that one
## CI run reports everything; the target fails if any step failed.
TEST_STEPS := vet fmt-check test-race test-norace fuzz check-generated
test:
	@failed=; for step in $(TEST_STEPS); do \
		echo "=== make $$step"; \
		$(MAKE) --no-print-directory $$step || failed="$$failed $$step"; \
	done; \
	if [[ -n "$$failed" ]]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test: all steps passed"

## fuzz: every fuzz target for a fixed number of inputs (seed corpora under testdata/fuzz)
# Counts, not durations: with -fuzztime <duration>, Go 1.26's fuzz coordinator can
# fail a clean run with a bare "context deadline exceeded" when the deadline fires
# (golang/go#75804, fixed in Go 1.27). Each count takes 15 to 30 s here;
# FUZZTIME=<duration or Nx> overrides every target's budget.
FUZZ_TARGETS := ./internal/genai:FuzzExtract:500000 ./internal/genai:FuzzJSONUsageCost:500000 \
	./internal/genai:FuzzCanonicalRoundTrip:1000000 ./internal/api:FuzzAPIQuery:25000 \
	./internal/api:FuzzAPICursor:30000 ./internal/pricing:FuzzParseLiteLLM:1000000 \
	./internal/pricing:FuzzLookup:1000000
fuzz:
	for t in $(FUZZ_TARGETS); do \
		IFS=: read -r pkg name count <<< "$$t"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime "$(or $(FUZZTIME),$${count}x)" "$$pkg" || exit 1; \
	done

## bench: load harness; writes docs/performance.md (BENCH_DURATION, BENCH_PG_DURATION, BENCH_PIPELINES, ...)
bench:
	$(GO) run ./tools/bench

vet:
	$(GO) vet ./...
	cd $(DIST_DIR) && $(GO) vet ./...

# gofmt over every Go file (make generate formats ocb's output too).
fmt-check:
	@files=$$(find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*' -print0 \
		| xargs -0 -r gofmt -l); \
	if [[ -n "$$files" ]]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi

# (The package list is assigned first so that a `go list` failure fails the target.)
test-race:
	pkgs=$$($(GO) list ./... | grep -v -x -F -f <($(GO) list $(NORACE_PKGS))); \
	$(GO) test -race $(TEST_FLAGS) $$pkgs

test-norace:
	$(GO) test $(TEST_FLAGS) -p 1 $(NORACE_PKGS)
	$(GO) test $(TEST_FLAGS) -run '^TestProcessTracesAllocs$$' ./processor/useraggprocessor/

clean:
	rm -rf bin $(DIST_DIR)/otelcol-waxell
