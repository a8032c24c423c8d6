# The two commands of the README. Each installs what is missing (apt only)
# and builds before it runs.
BUILD ?= build
JOBS ?= 2

.PHONY: all deps build demo test clean

all: build

deps:
	bash deploy/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j$(JOBS)

# The main job: a local walk-through on real data from ../shared/data.
demo: build
	bash deploy/walkthrough.sh $(BUILD)/bin/kongsi

# Every test: unit, property, round-trip and end-to-end.
test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 900

clean:
	rm -rf $(BUILD)
