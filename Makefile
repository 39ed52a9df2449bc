# spanlake — make targets. `make` lists them.
GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
PKGS      := ./...

.DEFAULT_GOAL := help
.PHONY: help build test test-fast race lint fuzz bench bench-stages testdata demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

build: ## build the static spanlake binary (pure Go) into ./bin
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/spanlake ./cmd/spanlake

test: lint ## the full test suite, DuckDB-backed tests included (what CI runs)
	$(GO) test -count=1 -tags duckdb $(PKGS)

test-fast: ## unit and end-to-end tests without the DuckDB (cgo) tests
	$(GO) test $(PKGS)

race: ## the tests under the race detector (-short: the hostile captures and the million-flow tests are skipped)
	$(GO) test -count=1 -race -short $(PKGS)

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## gofmt, go vet and staticcheck (fetched by version through the Go module proxy; not a module dependency)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags duckdb $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	$(GO) run $(STATICCHECK) -tags duckdb $(PKGS)

fuzz: ## run every Fuzz target for FUZZTIME each (default 10s); see .ci/fuzz for the Go 1.26 deadline race
	FUZZTIME=$(FUZZTIME) GO=$(GO) bash .ci/fuzz

BENCHFLAGS ?=

bench: ## Go benchmarks of every stage, then end to end on synthesised captures (BENCHFLAGS: -large-mb, -small-mb, -workers, -runs)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/spanlake ./cmd/spanlake
	$(GO) run ./cmd/spanlake-bench -spanlake bin/spanlake $(BENCHFLAGS)

BENCHCOUNT ?= 6
BENCHOUT   ?= bench-stages.txt

bench-stages: ## the per-stage Go benchmarks only, BENCHCOUNT times each, into BENCHOUT for benchstat (compare two: benchstat old.txt new.txt)
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) -benchtime $(BENCHTIME) $(PKGS) | tee $(BENCHOUT)

testdata: ## regenerate the real captures in testdata/captures (root, network namespaces; never run by CI)
	bash testdata/capture/make-captures.sh
	bash testdata/capture/make-apache-capture.sh
	bash testdata/capture/make-dumpcap-capture.sh

demo: build ## ingest the bundled sample capture and print its access log
	./bin/spanlake ingest -w /tmp/spanlake-demo testdata/captures/nginx-basic.pcap
	./bin/spanlake logs -w /tmp/spanlake-demo --format combined

clean: ## remove build output
	rm -rf bin
