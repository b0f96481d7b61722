# capOS front door. `make help` lists the targets.
BUILD   ?= build
CMAKE   ?= cmake
QEMU    ?= qemu-system-x86_64
JOBS    ?= $(shell nproc)
DEPS_STAMP := $(BUILD)/.deps-ok

.DEFAULT_GOAL := all
.PHONY: all deps configure build check check-host check-qemu check-fuzz run run-uefi \
        run-pvh fuzz bench-capnp clean help

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
	    awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

deps: ## Install the Debian packages capOS needs (idempotent, ~1 s when present)
	@./tools/install-deps.sh

$(DEPS_STAMP): tools/install-deps.sh
	@./tools/install-deps.sh
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/build.ninja: $(DEPS_STAMP) CMakeLists.txt
	$(CMAKE) -S . -B $(BUILD) -G Ninja -DPython3_EXECUTABLE=/usr/bin/python3

configure: $(BUILD)/build.ninja ## Configure the CMake build tree

all: $(BUILD)/build.ninja ## Build everything: kernel, ISO, user programs, tools, tests
	$(CMAKE) --build $(BUILD) -j $(JOBS)

check: all ## Run every test: host, model, fuzz smoke and QEMU scenarios
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

check-host: all ## Run only the host unit/property tests (ASan+UBSan)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L host

check-fuzz: all ## Run only the fuzz smoke runs
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L fuzz

check-qemu: all ## Run only the QEMU scenarios
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L qemu

clean: ## Remove the build tree
	rm -rf $(BUILD)
