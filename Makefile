# jitgate's everyday targets. `make test` is the one command that runs the
# whole suite on a fresh machine: it installs what the tests need first.

GO       ?= go
BIN      ?= bin/jitgate
PKGS     ?= ./...
# The PostgreSQL half of the store contract suite runs against this DSN.
JITGATE_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export JITGATE_TEST_POSTGRES

.PHONY: build test test-deps bench bench-peers lint fmt cover clean

VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/jitgate

test-deps:
	scripts/test-deps

test: test-deps
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

# Compare two runs with: go tool -modfile=tools/go.mod benchstat old.out bench.out
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./grants/ ./proxy/ ./bench/... | tee bench.out

# jitgate side by side with a bare crypto/tls server, nginx and HAProxy
# (installed from Debian when missing) on loopback; writes bench/results/.
bench-peers:
	bench/scripts/peers

lint:
	$(GO) vet $(PKGS)
	$(GO) tool -modfile=tools/go.mod golangci-lint run $(PKGS)

fmt:
	gofmt -s -w $$(git ls-files '*.go')

cover:
	$(GO) test -coverprofile=cover.out $(PKGS)
	$(GO) tool cover -func=cover.out | tail -1

clean:
	rm -rf bin cover.out bench.out
