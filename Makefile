# Auralis: `make run` and `make test` are the whole contract with a new user.
#   make run               install missing Debian packages, build, launch
#   make test              install, build, run the test suite (ctest, without benchmarks)
#   make test SANITIZE=1   the same in an ASan+UBSan build (build-asan/)
#   make bench             the benchmarks (label bench)
#   make soak              one hour, 200 listeners joining and leaving (label soak)
#   make format            apply .clang-format
#   make stress-test       the whole suite 5 times in a row beside two CPU-bound processes
#   make attack            the attack table against a live node (docs/security.md)
#   make package           the Debian package (build/auralis_VERSION_ARCH.deb)
# Variables: CUDA=AUTO|ON|OFF, BUILD_TYPE (Release; RelWithDebInfo with SANITIZE=1), JOBS=2,
# ARGS="..." (for run). The project's builds treat warnings as errors (AURALIS_WERROR=ON);
# `make test` builds Release, what packagers build, so it also proves that build compiles.

CUDA       ?= AUTO
JOBS       ?= 2
SANITIZE   ?= 0
ARGS       ?=

ifeq ($(SANITIZE),1)
BUILD_DIR  ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
SAN_FLAG   := ON
else
BUILD_DIR  ?= build
BUILD_TYPE ?= Release
SAN_FLAG   := OFF
endif

CMAKE_FLAGS := -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DAURALIS_CUDA=$(CUDA) \
               -DAURALIS_SANITIZE=$(SAN_FLAG) -DAURALIS_WERROR=ON $(EXTRA_CMAKE_FLAGS)

.PHONY: run test stress-test attack bench soak build configure deps-run deps-test format clean package

deps-run:
	@packaging/install-deps.sh run

deps-test:
	@packaging/install-deps.sh test

# Configure only when the build folder is new or the flags changed.
configure:
	@if [ ! -f $(BUILD_DIR)/build.ninja ] || [ "$$(cat $(BUILD_DIR)/.auralis-flags 2>/dev/null)" != "$(CMAKE_FLAGS)" ]; then \
	  cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) && echo "$(CMAKE_FLAGS)" > $(BUILD_DIR)/.auralis-flags; \
	fi

build: deps-run configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

package: deps-run configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@cd $(BUILD_DIR) && cpack -G DEB
	@ls $(BUILD_DIR)/auralis_*.deb

test: deps-test configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure --label-exclude 'bench|soak' -j $(JOBS)

# A busy CI machine: two extra CPU-bound processes while the whole suite runs 5 times in a row
# (ctest -j$(JOBS)); any failure stops it. Use it before resolving anything that touches timing.
STRESS_RUNS ?= 5
stress-test: deps-test configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@tests/stress.sh $(BUILD_DIR) $(STRESS_RUNS) $(JOBS)

# The attack table (docs/security.md) against a live node, printed as Markdown.
attack: deps-test configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	$(BUILD_DIR)/tests/security/auralis-attack $(BUILD_DIR)/app/auralis-node

# One hour: 200 listeners joining and leaving; RSS growth, gaps and crashes (tests/bench/soak.sh).
soak: deps-test configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure --label-regex soak --verbose

bench: deps-test configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure --label-regex bench --verbose

# The desktop app when there is a display; the headless node otherwise (Ctrl-C stops either).
run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "Starting the Auralis dashboard with its local node"; \
	  exec $(BUILD_DIR)/app/auralis $(ARGS); \
	else \
	  echo "No display: starting the headless node on port $${AURALIS_PORT:-8000}. Listen with"; \
	  echo "  $(BUILD_DIR)/app/auralis-client --url ws://127.0.0.1:$${AURALIS_PORT:-8000}/ws/stream -o out.wav"; \
	  exec $(BUILD_DIR)/app/auralis-node $(ARGS); \
	fi

format:
	@find app core synth ui tests -name '*.cpp' -o -name '*.h' -o -name '*.cu' | xargs clang-format -i

clean:
	rm -rf build build-asan
