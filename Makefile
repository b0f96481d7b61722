# capOS front door. `make help` lists the targets.
BUILD   ?= build
CMAKE   ?= cmake
QEMU    ?= qemu-system-x86_64
JOBS    ?= $(shell nproc)
OVMF    ?= /usr/share/ovmf/OVMF.fd
CMDLINE ?=
QEMU_FLAGS := -accel tcg -m 256M -no-reboot -display none -serial mon:stdio \
              -device isa-debug-exit,iobase=0xf4,iosize=0x04
# `make run`: COM1 (the kernel's debug log) goes to a file, COM2 (the
# terminal, docs/terminal.md) to this terminal.
RUN_DEBUG_LOG := $(BUILD)/run/debug.log
QEMU_RUN_FLAGS := -accel tcg -m 256M -no-reboot -display none \
                  -serial file:$(RUN_DEBUG_LOG) -serial mon:stdio \
                  -device isa-debug-exit,iobase=0xf4,iosize=0x04
# QEMU exits with 33 when the kernel asks for success, 0 after Ctrl-A X.
QEMU_OK := status=$$?; [ $$status -eq 0 ] || [ $$status -eq 33 ] || { echo "qemu: exit status $$status"; exit $$status; }

.DEFAULT_GOAL := all
.PHONY: all deps configure build check check-host check-qemu run run-uefi \
        run-pvh fuzz fuzz-smoke bench-capnp check-model clean help \
        measure-linux run-measure measure-report run-revocable-read run-spawn \
        run-memoryobject-shared run-ipc-zerocopy run-session-context run-shell run-login

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
	    awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

deps: ## Install the Debian packages capOS needs (idempotent, ~1 s when present)
	@./tools/install-deps.sh

$(BUILD)/build.ninja:
	@./tools/install-deps.sh
	$(CMAKE) -S . -B $(BUILD) -G Ninja -DPython3_EXECUTABLE=/usr/bin/python3

configure: $(BUILD)/build.ninja ## Configure the CMake build tree

all: $(BUILD)/build.ninja ## Build everything: kernel, ISO, tools and tests
	@./tools/install-deps.sh
	$(CMAKE) --build $(BUILD) -j $(JOBS)

run: all ## Boot the ISO (GRUB, BIOS): the capOS terminal (COM2) here, the debug log (COM1) in build/run/debug.log (`tail -f` it elsewhere); quit with Ctrl-A X
	@mkdir -p $(dir $(RUN_DEBUG_LOG))
	@echo "capOS terminal below; debug log: tail -f $(RUN_DEBUG_LOG); quit with Ctrl-A X"
	$(QEMU) -M q35 -cpu max $(QEMU_RUN_FLAGS) -cdrom $(BUILD)/capos.iso; status=$$?; \
	    echo "debug log: $(RUN_DEBUG_LOG)"; [ $$status -eq 0 ] || [ $$status -eq 33 ] || \
	    { echo "qemu: exit status $$status"; exit $$status; }

run-uefi: all ## Boot the same ISO under UEFI firmware (OVMF); terminal here, debug log in build/run/debug.log; quit with Ctrl-A X
	@mkdir -p $(dir $(RUN_DEBUG_LOG))
	$(QEMU) -M q35 -cpu max $(QEMU_RUN_FLAGS) -bios $(OVMF) -cdrom $(BUILD)/capos.iso; $(QEMU_OK)

run-pvh: all ## Boot the kernel directly (-kernel, PVH) with CMDLINE="..."; terminal here, debug log in build/run/debug.log
	@mkdir -p $(dir $(RUN_DEBUG_LOG))
	$(QEMU) -M q35 -cpu max $(QEMU_RUN_FLAGS) -kernel $(BUILD)/kernel/capos.elf \
	    -initrd $(BUILD)/bootpkg/default.bin -append "$(CMDLINE)"; $(QEMU_OK)

run-revocable-read: $(BUILD)/build.ninja ## Revocable Read: an owner serves a reader, revokes its facet; the reader gets disconnected, the owner still works
	@./tools/install-deps.sh
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kernel bootpkg_ipc_revoke
	$(QEMU) -M q35 $(QEMU_FLAGS) -kernel $(BUILD)/kernel/capos.elf \
	    -initrd $(BUILD)/bootpkg/ipc_revoke.bin -append "boot=services services=concurrent shutdown"; $(QEMU_OK)

run-spawn: $(BUILD)/build.ninja ## ProcessSpawner: children with exactly their grants, wait() exit codes, hostile spawns refused, 200 cycles
	@./tools/install-deps.sh
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kernel bootpkg_spawn
	$(QEMU) -M q35 $(QEMU_FLAGS) -kernel $(BUILD)/kernel/capos.elf \
	    -initrd $(BUILD)/bootpkg/spawn.bin -append "boot=services shutdown"; $(QEMU_OK)

run-memoryobject-shared: $(BUILD)/build.ninja ## Shared memory: one MemoryObject passed over IPC and mapped by two processes
	@./tools/install-deps.sh
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kernel bootpkg_memshare
	$(QEMU) -M q35 $(QEMU_FLAGS) -kernel $(BUILD)/kernel/capos.elf \
	    -initrd $(BUILD)/bootpkg/memshare.bin -append "boot=services services=concurrent shutdown"; $(QEMU_OK)

run-ipc-zerocopy: $(BUILD)/build.ninja ## Zero-copy IPC: init starts a producer and a consumer; 1,200 records through one shared MemoryObject, CALLs carry only metadata
	@./tools/install-deps.sh
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kernel bootpkg_ipc_zerocopy
	$(QEMU) -M q35 $(QEMU_FLAGS) -kernel $(BUILD)/kernel/capos.elf \
	    -initrd $(BUILD)/bootpkg/ipc_zerocopy.bin -append "boot=init shutdown"; $(QEMU_OK)

run-session-context: $(BUILD)/build.ninja ## Sessions: inherited by children, a broker-chosen one for a child, a second attach refused
	@./tools/install-deps.sh
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kernel bootpkg_session_context
	$(QEMU) -M q35 $(QEMU_FLAGS) -kernel $(BUILD)/kernel/capos.elf \
	    -initrd $(BUILD)/bootpkg/session_context.bin -append "boot=init shutdown"; $(QEMU_OK)

run-shell: $(BUILD)/build.ninja ## The native shell (docs/shell.md) on this terminal (COM2), debug log in build/run/debug.log; `exit` ends it
	@./tools/install-deps.sh
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kernel bootpkg_shell
	@mkdir -p $(dir $(RUN_DEBUG_LOG))
	@echo "capOS shell below; debug log: tail -f $(RUN_DEBUG_LOG); quit with Ctrl-A X"
	$(QEMU) -M q35 -cpu max $(QEMU_RUN_FLAGS) -kernel $(BUILD)/kernel/capos.elf \
	    -initrd $(BUILD)/bootpkg/shell.bin -append "boot=services services=concurrent shutdown"; $(QEMU_OK)

run-login: $(BUILD)/build.ninja ## The shell with the AuthorityBroker and AuditLog: setup, login, guest, logout; quit with Ctrl-A X
	@./tools/install-deps.sh
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kernel bootpkg_shell_login
	@mkdir -p $(dir $(RUN_DEBUG_LOG))
	@echo "capOS shell below; debug log: tail -f $(RUN_DEBUG_LOG); quit with Ctrl-A X"
	$(QEMU) -M q35 -cpu max $(QEMU_RUN_FLAGS) -kernel $(BUILD)/kernel/capos.elf \
	    -initrd $(BUILD)/bootpkg/shell_login.bin -append "boot=services services=concurrent"; $(QEMU_OK)

check: all ## Run every test: host, model, fuzz smoke and QEMU scenarios
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

check-host: all ## Run only the host unit/property tests (ASan+UBSan)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L host

check-model: all ## Run only the model checks (bounded exhaustive, interleavings)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L model

check-qemu: all ## Run only the QEMU scenarios
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L qemu

fuzz-smoke: all ## Short libFuzzer runs of every target (part of make check)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L fuzz

fuzz: all ## Long libFuzzer runs: FUZZ_SECONDS (default 600) per target
	./tools/fuzz.sh $(BUILD) $(or $(FUZZ_SECONDS),600)

bench-capnp: all ## Benchmark lib/capnp against libcapnp (prints ours/libcapnp ratios)
	$(CMAKE) --build $(BUILD) --target bench-capnp

run-measure: $(BUILD)/build.ninja ## Boot the measure system 5x under -icount (deterministic counts), then once on the segment-stamped kernel -> build/measure/capos.json
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target kernel kernel_measure bootpkg_measure bootpkg_measure_ipc \
	    bootpkg_measure_ipc_copy bootpkg_measure_ipc_move bootpkg_measure_ipc_batch32 bootpkg_measure_ipc_oneway
	./tools/measure/capos.sh $(BUILD)

measure-linux: ## Linux peer: Debian's kernel + static benchmarks in the same QEMU -> build/measure/linux.json
	@./tools/install-deps.sh
	./tools/measure/linux.sh $(BUILD)

measure-report: ## build/measure/report.md + PNG plot from the last run-measure and measure-linux
	@./tools/install-deps.sh
	python3 tools/measure/report.py $(BUILD)/measure

clean: ## Remove the build tree
	rm -rf $(BUILD)
