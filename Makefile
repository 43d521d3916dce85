# FISO — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin
PKGS := ./...
FUZZTIME ?= 30s

.PHONY: run build test vet fmt-check bench fuzz clean

## run: start FISO locally on the embedded store with the sample on three local clouds
run: $(BIN)/fiso
	./$(BIN)/fiso dev

$(BIN)/fiso: FORCE
	$(GO) build -o $(BIN)/fiso ./cmd/fiso
FORCE:

## build: compile every package and command
build:
	$(GO) build $(PKGS)
	$(GO) build -o $(BIN)/fiso ./cmd/fiso

## test: formatting, vet, and every test (moto_server is started for the DynamoDB and Secrets Manager tests)
test: fmt-check vet
	./.ci/with-moto $(GO) test -race -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: routing, prediction, training, replay and end-to-end overhead figures (README, "Performance")
bench:
	./.ci/with-moto $(GO) test -run '^$$' -bench . -benchtime 2s -count 1 ./shared/route ./shared/predict ./shared/estimate ./shared/retrain ./shared/orchestrator ./shared/controlplane
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./shared/simulate

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; ./.ci/with-moto $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf $(BIN)
