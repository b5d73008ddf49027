# The two commands of the README:
#   make demo   install what is missing, build, run the main job on generated data
#   make test   install what is missing, build, run every test (what .ci/run calls)
BUILD ?= build
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
# ccache (used when installed) then shares objects between clones of the tree.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_MAXSIZE ?= 5G

.PHONY: setup build demo test bench clean install

setup:
	@scripts/setup.sh

build: setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

test: build
	@scripts/test.sh $(BUILD)

bench: build
	@BENCH=1 scripts/setup.sh
	@scripts/bench.sh $(BUILD)

# Installs powertrain (and powertrain-torch when built), its man page, its
# bash completion and the library package (headers, libraries, CMake and
# pkg-config files) under $(PREFIX); DESTDIR is honoured (staged installs).
# Builds first, in $(BUILD), if needed.
install:
	@if [ ! -f $(BUILD)/CMakeCache.txt ]; then $(MAKE) build; \
	else cmake --build $(BUILD) -j $(JOBS) --target powertrain_cli; fi
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
