// A process: its address space, its (still empty) capability table and its
// exit code. One thread per process, scheduled by kernel/proc/sched.hpp.
#pragma once

#include <cstdint>

#include <optional>
#include <span>

#include "abi/capset.hpp"
#include "kernel/arch/x86_64/cpu_local.hpp"
#include "kernel/cap/cap_object.hpp"
#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"
#include "lib/cap/cap_table.hpp"
#include "lib/elf/elf.hpp"
#include "lib/mm/ledger.hpp"
#include "lib/mm/region_map.hpp"
#include "lib/ring/kernel_ring.hpp"

namespace capos {

class Account;
class AddressSpace;
class VirtualMemoryCap;
class ProcessHandleCap;
struct Session;

inline constexpr size_t kProcessNameMax = 32;

// Resource limits (docs/memory.md): a profile value of 0 means the default;
// nothing exceeds the maximum.
inline constexpr mm::Limits kDefaultLimits{.cap_slots = 64, .frames = 4096, .mapped_pages = 8192};
inline constexpr mm::Limits kMaxLimits{.cap_slots = 1024, .frames = UINT64_MAX, .mapped_pages = UINT64_MAX};

// Regions of the mapping area (VirtualMemory and MemoryObject mappings).
inline constexpr size_t kMaxRegions = 64;

// Calls that complete later (Timer.sleep) hold their CQE slot until then.
inline constexpr uint32_t kMaxPendingCalls = 16;
struct PendingCall {
    uint64_t user_data;
    uint64_t result_addr;
    uint32_t result_len;
    uint64_t complete_at_ns;
};

using CapTable = cap::CapTable<CapObject*>;
using CapSlot = cap::Slot<CapObject*>;

// One initial capability for a new process's CapSet.
struct InitialCap {
    StringView name;
    CapObject* object;  // the new process takes a reference; null: see below
    // With a null object: a VirtualMemory capability for the new process's
    // own address space.
    bool own_virtual_memory = false;
    // With a null object: a SessionContext view of the new process's own
    // session (kernel/cap/session.hpp).
    bool own_session = false;
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
    // Invariant: every live slot holds one reference to its object, and
    // the ledger's CapSlots count equals caps.size().
    CapTable caps;
    CapSlot* cap_slots;
    // The ledger (shared with MemoryObjects charged to it) and how many of
    // its frames are the process's own memory (freed with the address space).
    Account* account;
    uint64_t own_frames;
    // The mapping area: what VirtualMemory and MemoryObject.map placed where.
    mm::RegionMap regions;
    mm::Region region_storage[kMaxRegions];
    // This process's VirtualMemory capability object, if one exists (weak:
    // each side clears the other's pointer when it goes away).
    VirtualMemoryCap* vm_cap;
    // The parent's ProcessHandle for this process, if one exists (weak, like
    // vm_cap): told the exit code when the process is destroyed.
    ProcessHandleCap* handle;
    // The session this process runs in: set once by process_create, never
    // replaced (process_attach_session refuses a second); one reference.
    Session* session;
    // The ring, reached by the kernel through the direct map (its frames
    // are physically contiguous and mapped at abi::kRingAddress for the
    // process).
    std::optional<ring::KernelRing<>> ring;
    abi::CapSetHeader* capset;  // kernel view of the CapSet page
    PendingCall pending[kMaxPendingCalls];
    uint32_t pending_count;

    // Scheduling (kernel/proc/sched.hpp). One thread per process for now.
    enum class State : uint8_t { Runnable, Running, Blocked, Exited } state;
    uint64_t kstack_top;        // kernel stack (guard page below), 0 if none
    arch::KernelContext ctx;    // saved kernel context while not running
    uint64_t wake_tick;         // Blocked: wake at this tick (UINT64_MAX: never)
    Process* next;              // run queue / sleep list / exited list link
    alignas(16) uint8_t fpu[512];  // FXSAVE area: the user's x87/SSE state
};

// Validates and loads a static ELF into a fresh address space with a stack
// (guard page below), TLS and the ring window. Nothing is left allocated
// on failure; `why` explains an ELF refusal for the log.
// The process runs in `session` (null: the boot session).
Result<Process*> process_create(StringView name, const uint8_t* elf, size_t elf_size,
                                elf::Rejection* why, std::span<const InitialCap> caps = {},
                                const mm::Limits& limits = kDefaultLimits, Session* session = nullptr);

// Gives p its session (taking a reference). A process has exactly one:
// AlreadyAttached if p has one, and nothing changes.
Result<void> process_attach_session(Process& p, Session& s);

// Inserts a capability into p's table, charging a slot to its ledger (the
// table takes over the caller's reference). LimitExceeded when the ledger
// or the table is full; nothing changes then.
Result<abi::CapId> process_insert_cap(Process& p, CapObject* object);
// Removes a capability, refunds its slot, drops the table's reference.
Result<void> process_release_cap(Process& p, abi::CapId id);

// Frames and mapped pages of the process's own memory: charged together
// before mapping and refunded together after unmapping.
Result<void> process_charge_own(Process& p, uint64_t pages);
void process_refund_own(Process& p, uint64_t pages);

// Frees everything the process holds: capabilities, address space (every
// user frame and page table), kernel stack, the Process itself. The process
// must not be running (the scheduler reaps exited processes from idle).
void process_destroy(Process* p);

// Ends the current process with `code`; never returns (sched.cpp).
[[noreturn]] void process_exit_current(int64_t code);

Process* current_process();

}  // namespace capos
