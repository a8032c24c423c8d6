# The two commands of the README. Each installs what is missing (apt only)
# and builds before it runs.
BUILD ?= build
JOBS ?= 2
# ccache hits across clones and build folders (paths hashed relative).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps build demo test asan asan-build tsan clean bench

all: build

deps:
	bash deploy/install-deps.sh

# Configurations are CMakePresets.json's: default (gcc RelWithDebInfo) here,
# asan and tsan below.
$(BUILD)/build.ninja:
	cmake --preset default -B $(BUILD)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS)

# The main job: three organisations on 127.0.0.1 share a real table from
# ../shared/data (server/cli_demo.cc); runs until Ctrl-C. DEMO_ARGS=--once
# stops at the end of the walk-through.
DEMO_ARGS ?=
demo: build
	$(BUILD)/bin/kongsi demo --shared-data ../shared/data $(DEMO_ARGS)

# Every test, twice: on the gcc build `make demo` runs, then under
# ASan+UBSan (a clang build in build-asan/, with the five 60 s libFuzzer runs
# of fuzz/). The sanitizer options and time limits are in the test presets
# and tests/CMakeLists.txt; run-ctest.sh also fails the run on a report from
# any child process. `make tsan`: the server tests and the replication
# end-to-end tests under ThreadSanitizer (a separate command: README, Limits).
test: build asan-build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 900
	bash tests/sanitizers/run-ctest.sh asan build-asan

asan-build: deps
	cmake --preset asan
	cmake --build --preset asan -j$(JOBS)

asan: asan-build
	bash tests/sanitizers/run-ctest.sh asan build-asan

tsan: deps
	cmake --preset tsan
	cmake --build --preset tsan -j$(JOBS)
	bash tests/sanitizers/run-ctest.sh tsan build-tsan

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
	rm -rf $(BUILD) build-asan build-tsan
