# make test: vet and every test, the end-to-end suite too when run as root
# (after a snapshot release: the suite installs its .deb and rebuilds it).
# make release-snapshot: dist/ as a release would have it (docs/releasing.md).
# make demo: a disposable Debian target with Jitsi Meet installed on it
# (BRIDGES=1 make demo: and a videobridge host joined to it).

GO      ?= go
SUITE   ?= bookworm
BRIDGES ?= 0
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(shell git rev-parse --short HEAD 2>/dev/null || echo none) -X main.date=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)
E2E_TIMEOUT ?= 60m
# Targets spend most of an install waiting on apt and the network: four at a
# time halve the suite's wall time on two CPUs.
E2E_PARALLEL ?= 4

.PHONY: build test unit e2e vet demo demo-down fuzz bench bench-e2e bench-scale release-check release-snapshot clean

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/jitsi-installer ./cmd/jitsi-installer

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags e2e ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	shellcheck scripts/*.sh

unit:
	$(GO) test -count=1 ./...

# The end-to-end suite boots real Debian and Ubuntu targets: it needs root. Not root:
# the tests skip and say why (under CI=true a skip is a failure).
e2e: build
	$(GO) test -count=1 -tags e2e -timeout $(E2E_TIMEOUT) -parallel $(E2E_PARALLEL) ./e2e/...

test: vet unit release-check release-snapshot e2e

fuzz:
	$(GO) test ./pkg/answers -run '^$$' -fuzz FuzzParse -fuzztime 60s

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./installer ./pkg/...

# A table of timings on a sandbox target (needs root): a bare SSH command,
# a converged plan over BENCH_RUNS runs, a fresh install per step, peak
# memory, and the planning benchmarks of 100 and 1,000 files.
BENCH_RUNS ?= 7
bench-e2e: build
	$(GO) run ./e2e/cmd/bench --installer bin/jitsi-installer --runs $(BENCH_RUNS) $(BENCH_FLAGS)

# Clusters (needs root, and a machine to spare: 17 targets boot, 11 at
# once): a core and 1, 3 and 10 videobridge hosts, fresh; install and
# converged-plan ratios against core + 1. Each target is capped at an equal
# CPU share, as hosts of their own (SCALE_CPUS=0: they share the CPUs).
# See docs/scale-out.md.
SCALE ?= 1,3,10
SCALE_CPUS ?= share
bench-scale: build
	$(GO) run ./e2e/cmd/bench --installer bin/jitsi-installer --runs 5 --scale $(SCALE) --cpus $(SCALE_CPUS)

demo: build
	$(GO) run ./e2e/cmd/sandbox demo --suite $(SUITE) --bridges $(BRIDGES) --installer bin/jitsi-installer

demo-down:
	$(GO) run ./e2e/cmd/sandbox down demo demo-b1 demo-b2 demo-b3

# Release tools, pinned and built from the Go module proxy: goreleaser (its
# go directive must not be newer than the Go in use) and the SBOM generator.
GORELEASER ?= github.com/goreleaser/goreleaser/v2@v2.17.0
CYCLONEDX  ?= github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0

release-check:
	$(GO) run $(GORELEASER) check

# Archives, .deb and .rpm packages, SBOMs and signed checksums in dist/,
# signed with GPG_FINGERPRINT's key or a throwaway one.
release-snapshot:
	GO=$(GO) GORELEASER=$(GORELEASER) CYCLONEDX=$(CYCLONEDX) scripts/release-snapshot.sh

clean:
	rm -rf bin dist
