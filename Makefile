# plyr — run `make help` for the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

GO        ?= go
TOOLS_MOD := -modfile=tools/go.mod
BUF       := tools/node_modules/.bin/buf
export GOTOOLCHAIN := local

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deps
deps: ## Install missing system packages (ffmpeg, PostgreSQL server) with apt-get.
	@scripts/ensure-deps

.PHONY: tools
tools: bin/versitygw $(BUF) ## Build and install the pinned tools (versitygw, buf).

bin/versitygw: tools/go.mod tools/go.sum
	$(GO) build $(TOOLS_MOD) -o $@ github.com/versity/versitygw/cmd/versitygw

$(BUF): tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The reference PDS (Node 22 + @atproto/dev-env from npm), installed once per lockfile into
# ~/.cache/plyr; its directory is passed to the tests.
PDS_HARNESS = $(shell scripts/pds-harness)

.PHONY: pds-harness
pds-harness: ## Install the reference ATProto PDS harness (Node 22, @atproto/dev-env) into ~/.cache/plyr.
	@scripts/pds-harness

# The web client (web/): npm ci from the committed lockfile (offline after the first install,
# from npm's cache), then a Vite build into web/build/app, which the binary embeds. Rebuilt
# only when its sources changed. A plain `go build` without it still works and serves a page
# that says how to build the client.
WEB_SRC := $(shell find web/src web/static -type f 2>/dev/null) web/package.json web/svelte.config.js web/vite.config.ts web/tsconfig.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --prefer-offline --no-audit --no-fund --loglevel=error

web/build/app/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build --silent

.PHONY: web
web: web/build/app/index.html ## Build the web client (web/ → web/build/app, embedded by the binary).

.PHONY: web-check
web-check: web/node_modules/.package-lock.json ## Type-check the web client (svelte-check).
	cd web && npm run check --silent

.PHONY: build
build: web ## Build bin/plyr (with the web client).
	$(GO) build -o bin/plyr ./cmd/plyr

# buf is not needed to run plyr, but the README's walk-through follows an upload with it.
.PHONY: dev
dev: deps bin/versitygw $(BUF) build ## Run everything locally: PostgreSQL, Temporal (+ UI), S3, the API and the workers.
	bin/plyr dev

.PHONY: dev-pds
dev-pds: deps bin/versitygw $(BUF) build ## make dev plus the reference ATProto PDS with demo accounts (alice.test, bob.test), to sign in offline.
	PLYR_DEV_PDS=true PLYR_PDS_HARNESS_DIR=$(PDS_HARNESS) bin/plyr dev

.PHONY: test
test: deps bin/versitygw web ## Run every test (starts its own PostgreSQL, Temporal, S3, reference PDS and headless Chromium).
	@scripts/ensure-deps browser
	$(GO) vet ./...
	PLYR_PDS_HARNESS_DIR=$(PDS_HARNESS) $(GO) run ./internal/devstack/testenv/testrun -- $(GO) test -count=1 -timeout 30m ./...

# Packages that link the Temporal server are left out: under the race detector they take
# minutes to build, and their concurrency is the server's, tested upstream.
RACE_PKGS = $(shell $(GO) list ./... | grep -vE '/(cmd/plyr/internal/app|cmd/plyr|testtemporal|devserver|testrun)$$')

.PHONY: race
race: deps bin/versitygw ## Run the tests of plyr's own concurrent code under the race detector.
	PLYR_PDS_HARNESS_DIR=$(PDS_HARNESS) $(GO) run ./internal/devstack/testenv/testrun -- $(GO) test -race -count=1 -timeout 20m $(RACE_PKGS)

.PHONY: bench
bench: deps bin/versitygw web ## Run the benchmarks (upload-to-playable, a 3-minute FLAC to playable next to plain ffmpeg, peak memory of a 1 GB WAV upload and of a 100 MB migration to the PDS, audio Range throughput, record sync vs the PDS, GetMe and SwitchAccount, catalog listings at 10k and 1M tracks, search, track pages and charts at 10k and 1M tracks with 10M likes and plays, queue changes to another tab, the web client's budgets, a Subsonic full sync of 100k tracks next to ListTracks with stream.view's first byte next to /audio's, ids passed and scanned by plyr's pool next to pgx's defaults).
	@scripts/ensure-deps browser
	PLYR_PDS_HARNESS_DIR=$(PDS_HARNESS) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./cmd/plyr/internal/app/ ./modules/identity/ ./modules/catalog/
	PLYR_PDS_HARNESS_DIR=$(PDS_HARNESS) $(GO) test -run '^$$' -bench . -benchtime 2s ./internal/platform/postgres/

.PHONY: histories
histories: deps bin/versitygw ## Record the workflow histories the replay tests replay (after a deliberate workflow change).
	PLYR_PDS_HARNESS_DIR=$(PDS_HARNESS) $(GO) test -count=1 \
		-run 'TestEndToEnd|TestHousekeeping_RunsOnTheWorkers|TestRecords_UploadWritesTheTrackRecord|TestRecords_SignInWritesTheProfile|TestRecords_PDSDownThenRestore|TestModeration_FlagNoticesAndTakedown|TestModeration_DMFailures|TestModeration_DMCATimerSurvivesRestarts' \
		./cmd/plyr/internal/app/ -update-histories

.PHONY: generate
generate: $(BUF) ## Regenerate protobuf/Connect code and sqlc queries.
	$(BUF) generate
	$(GO) tool $(TOOLS_MOD) sqlc generate

.PHONY: check-generate
check-generate: generate ## Fail if generated code is not what `make generate` writes.
	@git diff --exit-code -- internal/gen modules web/src/gen || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- internal/gen modules web/src/gen)" || { git status --porcelain -- internal/gen modules web/src/gen; echo "untracked generated files: run make generate and commit"; exit 1; }

.PHONY: lint
lint: $(BUF) web-check ## go vet, workflowcheck over the workflows, buf lint, the production build, svelte-check.
	$(GO) vet ./...
	$(GO) vet -tags nodevstack ./cmd/plyr
	$(GO) build -tags nodevstack -o /dev/null ./cmd/plyr
	$(GO) tool $(TOOLS_MOD) workflowcheck ./workflows/...
	$(BUF) lint

.PHONY: clean
clean: ## Remove built binaries (keeps .data).
	rm -rf bin
