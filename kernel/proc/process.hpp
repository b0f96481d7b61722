// A process: its address space, its (still empty) capability table and its
// exit code. Stage 1-3: processes run one at a time to completion
// (run_process); the scheduler issue replaces this with threads.
#pragma once

#include <cstdint>

#include <optional>
#include <span>

#include "abi/capset.hpp"
#include "kernel/cap/cap_object.hpp"
#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"
#include "lib/cap/cap_table.hpp"
#include "lib/elf/elf.hpp"
#include "lib/ring/kernel_ring.hpp"

namespace capos {

class AddressSpace;

inline constexpr size_t kProcessNameMax = 32;
// Capability slots per process until resource profiles set them.
inline constexpr uint32_t kDefaultCapSlots = 64;

using CapTable = cap::CapTable<CapObject*>;
using CapSlot = cap::Slot<CapObject*>;

// One initial capability for a new process's CapSet.
struct InitialCap {
    StringView name;
    CapObject* object;  // the new process takes a reference
};

// Exit codes the kernel reports for processes it ended.
inline constexpr int64_t kExitFaulted = -1;

struct Process {
    uint64_t pid;
    char name[kProcessNameMax];
    AddressSpace* aspace;
    uint64_t entry;
    uint64_t fs_base;
    int64_t exit_code;
    // Invariant: every live slot holds one reference to its object.
    CapTable caps;
    CapSlot* cap_slots;
    // The ring, reached by the kernel through the direct map (its frames
    // are physically contiguous and mapped at abi::kRingAddress for the
    // process).
    std::optional<ring::KernelRing<>> ring;
    abi::CapSetHeader* capset;  // kernel view of the CapSet page
};

// Validates and loads a static ELF into a fresh address space with a stack
// (guard page below), TLS and the ring window. Nothing is left allocated
// on failure; `why` explains an ELF refusal for the log.
Result<Process*> process_create(StringView name, const uint8_t* elf, size_t elf_size,
                                elf::Rejection* why, std::span<const InitialCap> caps = {});

// Runs the process in ring 3 until it exits or faults; returns its exit
// code (kExitFaulted after a fault). The process is destroyed afterwards:
// every frame and heap byte it used is returned.
int64_t run_process(Process* p);

Process* current_process();

}  // namespace capos
