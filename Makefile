# The front door.  CMake + ctest underneath (STYLE B10); this file only
# drives them so that every command works on a fresh clone.
#   make            build build/kcore, build/libkvm.{so,a}, build/libkvm.pc
#   make check      run every test (ctest), ends with ctest's summary
#   make demo       the main job on the sample dump the repository carries
#   make install    PREFIX=/usr/local DESTDIR=
#   make check-sanitize   the tests again under ASan + UBSan, -Werror
#   make fuzz       run the fuzz targets (FUZZ_SECONDS each, clang)
#   make bench      benchmarks against libkdumpfile on the same dumps
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
SAMPLE = sample/x86_64-6.1
SAMPLE_DUMP = $(BUILD)/fixtures/sample-x86_64-6.1/vmcore.elf

.PHONY: all deps configure check demo install check-sanitize fuzz bench clean

all: configure
	cmake --build $(BUILD) -j$(JOBS)

deps:
	@scripts/deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

check: all
	@echo "Fixture dumps under test: $$(cat $(BUILD)/tests/fixtures-under-test.txt)"
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

check-sanitize:
	$(MAKE) check BUILD=build-asan \
		CMAKE_FLAGS="-DKVM_SANITIZE=ON -DKVM_WERROR=ON $(CMAKE_FLAGS)"

demo: all
	@tests/fixtures/unpack.sh $(SAMPLE) $(dir $(SAMPLE_DUMP))
	@for cmd in "info" "read linux_banner 208" "nlist init_task jiffies" \
		    "sym 0x$$($(BUILD)/kcore -M $(SAMPLE_DUMP) nlist schedule | cut -c1-16)" \
		    "offsetof task_struct.comm task_struct.pid" \
		    "ps" "args 100" "loadavg" "bt 1"; do \
		echo "$$ kcore -M $(SAMPLE_DUMP) $$cmd"; \
		$(BUILD)/kcore -M $(SAMPLE_DUMP) $$cmd || exit 1; echo; \
	done
	@echo "$$ kcore -M $(SAMPLE_DUMP) dmesg | tail -5"
	@$(BUILD)/kcore -M $(SAMPLE_DUMP) dmesg > $(BUILD)/demo-dmesg.txt
	@tail -5 $(BUILD)/demo-dmesg.txt

install: all
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

# Benchmarks against libkdumpfile on every fixture (not a test: prints ratios).
bench: configure
	cmake --build $(BUILD) --target bench

fuzz:
	@scripts/deps.sh --all
	tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-clang build-fuzz
