# The two commands of the README. Each installs what is missing (apt only)
# and builds before it runs.
BUILD ?= build
JOBS ?= 2

.PHONY: all deps build demo test clean bench

all: build

deps:
	bash deploy/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS)

# The main job: three organisations on 127.0.0.1 share a real table from
# ../shared/data (server/cli_demo.cc); runs until Ctrl-C. DEMO_ARGS=--once
# stops at the end of the walk-through.
DEMO_ARGS ?=
demo: build
	$(BUILD)/bin/kongsi demo --shared-data ../shared/data $(DEMO_ARGS)

# Every test: unit, property, round-trip and end-to-end.
test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 900

# Benchmarks (bench/README.md): a Release build, the full suite, a table and
# bench/results.json. PouchDB (figure 8) comes from npm when npm is present.
BENCH_BUILD ?= build-release
bench: deps
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCH_BUILD) -j$(JOBS) --target kongsi kongsi_raw_ingest
	if command -v npm >/dev/null && [ ! bench/pouchdb/node_modules/.package-lock.json -nt bench/pouchdb/package-lock.json ]; then \
	  cd bench/pouchdb && npm ci --no-audit --no-fund; fi
	python3 bench/run.py --bin $(BENCH_BUILD)/bin

clean:
	rm -rf $(BUILD)
