// The kernel's own address space and the per-process ones.
//
//   0xFFFFFFFF80000000 +  kernel image: text RX, rodata R NX, data/bss RW NX (global)
//   0xFFFFFE0000000000 +  kernel stacks, each below an unmapped guard page
//   0xFFFF800000000000 +  direct map of all physical memory, RW NX (global, 2 MiB pages)
//   0x0000000000000000 .. 0x00007FFFFFFFFFFF: the current process (abi/layout.hpp)
//
// Process tables share the kernel half (PML4[256..511]); the kernel half is
// populated once at boot so later kernel mappings reach every process.
#pragma once

#include <cstdint>

#include "lib/base/error.hpp"
#include "lib/paging/paging.hpp"

namespace capos {

inline constexpr uint64_t kKernelStackArea = 0xFFFFFE0000000000;

// Builds the kernel page tables, enables NX/SMEP/SMAP/global pages as the
// CPU allows, and switches CR3. Panics on failure (boot-time only).
void address_space_init();

paging::PhysicalMemory& table_memory();
paging::PageTable& kernel_page_table();

bool smap_enabled();
bool smep_enabled();

// Kernel stacks: kKernelStackPages pages each, in their own slot of the
// kernel stack area with an unmapped guard page below. Returns the top
// (initial RSP). Freed stacks' frames go back to the allocator and their
// slots are reused.
inline constexpr uint64_t kKernelStackPages = 4;
inline constexpr uint64_t kKernelStackSlots = 4096;
Result<uint64_t> alloc_kernel_stack();
void free_kernel_stack(uint64_t top);

// A process address space: the user half private, the kernel half shared.
class AddressSpace {
public:
    static Result<AddressSpace*> create();
    // Unmaps and frees every user frame and every page-table frame.
    ~AddressSpace();

    // Maps `pages` fresh zeroed frames at va with the given attributes
    // (user is implied). All or nothing.
    Result<void> map_anonymous(uint64_t va, uint64_t pages, paging::Attributes attrs);
    // Maps `pages` existing frames [phys, ...) at va (user is implied). The
    // address space owns them from now on: teardown frees them. On failure
    // nothing is mapped and the caller still owns the frames.
    Result<void> map_frames(uint64_t va, uint64_t phys, uint64_t pages, paging::Attributes attrs);
    // Maps frames[0..pages) (not necessarily contiguous) at va, one page
    // each. The frames stay owned by the caller (a MemoryObject): they must
    // be unmapped with unmap_pages(..., free_frames = false) before the
    // address space is destroyed. All or nothing.
    Result<void> map_frame_list(uint64_t va, const uint64_t* frame_list, uint64_t pages, paging::Attributes attrs);
    // Unmaps every present page of [va, va + pages * 4K), freeing its frame
    // when asked, flushes the TLB if this space is live, and frees page
    // tables left empty. Returns how many pages were present.
    uint64_t unmap_pages(uint64_t va, uint64_t pages, bool free_frames);
    // How many pages of the range are present.
    uint64_t present_pages(uint64_t va, uint64_t pages) const;
    // Sets the attributes (user implied) of every page of the range, all of
    // which must be present (NotFound otherwise, nothing changed).
    Result<void> protect_pages(uint64_t va, uint64_t pages, paging::Attributes attrs);
    // True when every page of [va, va+len) is mapped for the user (and
    // writable, if asked). Lets a handler refuse a buffer before it acts.
    bool user_range_mapped(uint64_t va, uint64_t len, bool writable) const;
    // Copies len bytes to user address va of this space (live or not)
    // through the direct map. NotFound (maybe after a partial copy) when a
    // page is not mapped user-writable; the caller checks the range first
    // with user_range_mapped() when a partial copy would matter.
    Result<void> write_user(uint64_t va, const void* src, uint64_t len);
    // Direct-map pointer to the byte backing user address va (for loading).
    Result<uint8_t*> backing(uint64_t va) const;
    // Direct-map pointer to [va, va + len) when the range lies inside one
    // page mapped user (and writable when asked): one walk both checks and
    // locates what the IPC path writes (a RECV prefix and params, an
    // answer). NotFound otherwise, including a range that crosses a page
    // (callers fall back to user_range_mapped and write_user). Valid until
    // the kernel next changes this address space.
    Result<uint8_t*> user_window(uint64_t va, uint64_t len, bool writable) const;

    uint64_t cr3() const { return table_.root(); }
    paging::PageTable& table() { return table_; }

private:
    bool live() const;
    void flush(uint64_t va) const;
    explicit AddressSpace(paging::PageTable&& t) : table_(static_cast<paging::PageTable&&>(t)) {}
    paging::PageTable table_;
};

}  // namespace capos
