# reposync — developer entry points. `make demo` and `make test` are all a new
# machine needs; everything else is optional.
GO       ?= go
BIN      := bin/reposync
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/reposync/reposync/internal/cli.Version=$(VERSION)
PKGS     := ./...

.PHONY: all build install test test-short lint lint-ci vet fmt-check demo fuzz bench docs golden clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/reposync

## install: build with the version stamped and install into $(go env GOPATH)/bin (or $GOBIN)
install:
	$(GO) install -trimpath -ldflags "$(LDFLAGS)" ./cmd/reposync

## test: the whole suite with the race detector, plus lint
test: lint
	$(GO) test -race -count=1 $(PKGS)

test-short:
	$(GO) test -count=1 $(PKGS)

lint: vet fmt-check

## lint-ci: actionlint on the GitHub Actions recipes (fetched through the Go module proxy)
ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
lint-ci:
	$(GO) run $(ACTIONLINT) examples/ci/github-actions/*.yml

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## demo: build, start the simulator on examples/demo/fixture.yaml, and walk
## validate -> plan -> the PR comment -> a refused apply -> apply -> plan
demo: build
	./scripts/demo.sh

## fuzz: run the spec loader fuzz target (FUZZTIME=10m for a long run)
FUZZTIME ?= 60s
fuzz:
	$(GO) test ./internal/spec -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME)

## docs: regenerate docs/spec.md from the schema's descriptions
docs:
	$(GO) test ./schema -run TestSpecDocUpToDate -update

## golden: rewrite every golden file with the current output (then review
## the diff). Only packages whose tests use internal/golden know -update.
golden:
	$(GO) test $$($(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' $(PKGS) | grep 'internal/golden' | cut -d' ' -f1 | grep -v '/internal/golden$$') -update

## bench: the scenarios of docs/performance.md against the simulator (full
## plan and apply of N=1000 repositories, a members-only spec, and two
## --changed-since plans of 10 000): calls and wall time against their
## floors, then the Go benchmarks. Variables (scripts/bench.sh): N,
## SCENARIOS, RATE, LATENCY_MS, SCOPED_N, TIMELINE=1, PROFILE=1, GOBENCH=0
N ?= 1000
bench: build
	N=$(N) ./scripts/bench.sh

clean:
	rm -rf bin
