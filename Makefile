# FISO — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin
DIST := dist
PKGS := ./...
FUZZTIME ?= 30s

.PHONY: run build test test-infra synth vet fmt-check bench fuzz clean

## run: start FISO locally on the embedded store with the sample on three local clouds
run: $(BIN)/fiso
	./$(BIN)/fiso dev

$(BIN)/fiso: FORCE
	$(GO) build -o $(BIN)/fiso ./cmd/fiso
FORCE:

# fisobuild holds the one definition of how deployables are cross-compiled
# (linux/arm64 Lambda bootstraps with -trimpath -ldflags="-s -w" -tags
# lambda.norpc, the Azure handler, the GCP source bundle): make build and
# sam build both go through it.
FISOBUILD = $(GO) run ./cmd/fisobuild -go "$(GO)"

## build: compile every package and the CLI, package every deployable into dist/ and print their sizes
build:
	$(GO) build $(PKGS)
	$(GO) build -o $(BIN)/fiso ./cmd/fiso
	$(FISOBUILD) -dist $(DIST)

## build-<Function>: sam build's targets (template.yaml, BuildMethod makefile): one bootstrap into $(ARTIFACTS_DIR)
SAM_TARGETS := build-ApiFunction build-PricingFunction build-RetrainFunction build-FinopsFunction build-SampleFunction
.PHONY: $(SAM_TARGETS)
build-ApiFunction:
	$(FISOBUILD) -bootstrap api -o "$(ARTIFACTS_DIR)"
build-PricingFunction:
	$(FISOBUILD) -bootstrap pricing -o "$(ARTIFACTS_DIR)"
build-RetrainFunction:
	$(FISOBUILD) -bootstrap retrain -o "$(ARTIFACTS_DIR)"
build-FinopsFunction:
	$(FISOBUILD) -bootstrap finops -o "$(ARTIFACTS_DIR)"
build-SampleFunction:
	$(FISOBUILD) -bootstrap sample -o "$(ARTIFACTS_DIR)"

## test: formatting, vet, and every test (moto_server is started for the DynamoDB and Secrets Manager tests)
test: fmt-check vet test-infra
	./.ci/with-moto $(GO) test -race -count=1 $(PKGS)

# The CDK runs on node through jsii; its warnings about node's age are noise here.
JSII_ENV = JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=$(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)

## test-infra: the CDK app's tests (infra/, its own module): template assertions and cfn-lint on every stack
test-infra:
	cd infra && $(GO) vet ./... && $(JSII_ENV) $(GO) test -count=1 ./...

## synth: write the CloudFormation templates and assets to infra/cdk.out from the artifacts make build writes
synth: build
	cd infra && $(JSII_ENV) $(GO) run .

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: routing, prediction, training, budget enforcement, anomaly detection, replay and end-to-end overhead figures (README, "Performance")
bench:
	./.ci/with-moto $(GO) test -run '^$$' -bench . -benchtime 2s -count 1 ./shared/route ./shared/predict ./shared/estimate ./shared/retrain ./shared/orchestrator ./shared/anomaly ./shared/controlplane
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./shared/simulate

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; ./.ci/with-moto $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf $(BIN) $(DIST)
