// x86_64 4-level page tables: map, unmap, protect, translate, walk, prune,
// teardown. Pure logic over an abstract PhysicalMemory, so the same code runs
// in the kernel (tables reached through the direct map) and in host tests
// (tables in a fake memory).
//
//   virtual address (canonical: bits 63..48 copy bit 47)
//   63     48 47    39 38    30 29    21 20    12 11       0
//  +---------+--------+--------+--------+--------+----------+
//  |  sign   | PML4 i | PDPT i |  PD i  |  PT i  |  offset  |
//  +---------+--------+--------+--------+--------+----------+
//
//   CR3 -> PML4 (level 4) --> PDPT (level 3) --> PD (level 2) --> PT (level 1)
//                               |  PS=1: 1 GiB     |  PS=1: 2 MiB     4 KiB leaf
//                               |  leaf            |  leaf
//
//   PML4[0..255]   lower half, 0 .. 0x0000_7fff_ffff_ffff: user, owned by
//                  this table, freed by destroy_user_half()
//   PML4[256..511] upper half, 0xffff_8000_0000_0000 ..: kernel; in a
//                  process table these are copies of the kernel table's
//                  entries (share_kernel_half) and are never modified or freed
//
// Effective permission of a leaf is the AND of R/W and U/S over every level
// and the OR of NX. So intermediate entries get W and U exactly when some
// leaf below needs them (bits are added, never removed), NX is only ever set
// on leaves, and PWT/PCD/G/PAT only on leaves.
//
// Failure guarantee: every operation validates its inputs and allocates every
// table it needs before it writes a single entry, so an operation that fails
// leaves the tables exactly as they were (and every frame it allocated is
// returned).
//
// No TLB maintenance here: operations report what the kernel must flush.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "lib/base/error.hpp"

namespace capos::paging {

using PhysAddr = uint64_t;
using VirtAddr = uint64_t;

inline constexpr uint64_t kPageSize = 4096;
inline constexpr size_t kEntriesPerTable = 512;
// Architectural limit of physical addresses (MAXPHYADDR <= 52).
inline constexpr PhysAddr kPhysLimit = uint64_t{1} << 52;
inline constexpr VirtAddr kLowerHalfEnd = uint64_t{1} << 47;
inline constexpr VirtAddr kUpperHalfStart = 0xffff'8000'0000'0000;
inline constexpr VirtAddr kLowerHalfLast = kLowerHalfEnd - 1;
inline constexpr VirtAddr kUpperHalfLast = ~uint64_t{0};

// Page-table entry bits.
namespace pte {
inline constexpr uint64_t kPresent = uint64_t{1} << 0;
inline constexpr uint64_t kWritable = uint64_t{1} << 1;
inline constexpr uint64_t kUser = uint64_t{1} << 2;
inline constexpr uint64_t kWriteThrough = uint64_t{1} << 3;
inline constexpr uint64_t kCacheDisable = uint64_t{1} << 4;
inline constexpr uint64_t kAccessed = uint64_t{1} << 5;
inline constexpr uint64_t kDirty = uint64_t{1} << 6;
inline constexpr uint64_t kHuge = uint64_t{1} << 7;  // PS in PDPT/PD entries
inline constexpr uint64_t kGlobal = uint64_t{1} << 8;
inline constexpr uint64_t kNoExecute = uint64_t{1} << 63;
// Frame address of a table pointer or 4 KiB leaf (bits 51..12).
inline constexpr uint64_t kAddrMask = 0x000f'ffff'ffff'f000;
// Frame address of a 2 MiB / 1 GiB leaf (bit 12 is PAT there, not address).
inline constexpr uint64_t kAddrMask2M = 0x000f'ffff'ffe0'0000;
inline constexpr uint64_t kAddrMask1G = 0x000f'ffff'c000'0000;
}  // namespace pte

enum class PageSize : uint8_t { Size4K, Size2M, Size1G };

constexpr uint64_t page_bytes(PageSize s) {
    return s == PageSize::Size4K ? uint64_t{1} << 12
           : s == PageSize::Size2M ? uint64_t{1} << 21
                                   : uint64_t{1} << 30;
}

constexpr bool canonical(VirtAddr va) {
    uint64_t top = va >> 47;
    return top == 0 || top == (uint64_t{1} << 17) - 1;
}

constexpr bool in_upper_half(VirtAddr va) { return va >= kUpperHalfStart; }

// Leaf attributes. Present is implied; readable is implied by present.
struct Attributes {
    bool writable = false;
    bool user = false;
    bool executable = false;
    bool global = false;
    bool write_through = false;
    bool cache_disable = false;
    friend bool operator==(const Attributes&, const Attributes&) = default;
};

// One leaf mapping: [va, va + page_bytes(size)) -> [pa, ...).
struct Mapping {
    VirtAddr va;
    PhysAddr pa;
    PageSize size;
    Attributes attrs;
    bool accessed;
    bool dirty;
};

struct Translation {
    PhysAddr phys;    // the translated address, offset included
    Mapping mapping;  // the leaf that translates it
};

// What the kernel must do to the TLB after a successful change.
enum class Flush : uint8_t {
    None,  // no cached translation can be stale
    Page,  // invalidate the page at the changed address (all CPUs using the table)
};

struct Protection {
    Attributes old_attrs;
    Flush flush;
};

// Where page-table frames come from.
class PhysicalMemory {
public:
    // A zeroed, 4 KiB-aligned frame below kPhysLimit, or OutOfMemory.
    virtual Result<PhysAddr> allocate_table() = 0;
    // Returns a frame from allocate_table(). Called at most once per frame.
    virtual void free_table(PhysAddr frame) = 0;
    // The 512 entries of an allocated table frame.
    virtual uint64_t* table(PhysAddr frame) = 0;

protected:
    ~PhysicalMemory() = default;
};

// A page-table hierarchy rooted at one PML4 frame. Move-only handle; it does
// not free anything when it goes away: call destroy() (or, for a process,
// destroy_user_half() and then destroy()) to release the frames.
class PageTable {
public:
    // A new table with an empty, freshly allocated root.
    static Result<PageTable> create(PhysicalMemory& mem);
    // Takes over an existing hierarchy (e.g. the boot tables). Precondition:
    // `root` is a table frame of `mem`, and so is every table below it.
    static PageTable adopt(PhysicalMemory& mem, PhysAddr root);

    PageTable(PageTable&& o) noexcept
        : mem_(o.mem_),
          root_(std::exchange(o.root_, 0)),
          shares_kernel_half_(o.shares_kernel_half_) {}
    PageTable& operator=(PageTable&&) = delete;
    PageTable(const PageTable&) = delete;
    PageTable& operator=(const PageTable&) = delete;

    PhysAddr root() const { return root_; }
    bool shares_kernel_half() const { return shares_kernel_half_; }

    // Maps one page. Fails, changing nothing, with
    //   InvalidArgument  non-canonical va, pa >= kPhysLimit, a user page in
    //                    the upper half, or an upper-half va in a table that
    //                    shares the kernel half
    //   Misaligned       va or pa not aligned to the page size
    //   AlreadyExists    any part of the page is mapped, or (for 2 MiB/1 GiB)
    //                    a lower-level table already sits in the slot; prune()
    //                    it first if empty
    //   OutOfMemory      a needed intermediate table could not be allocated
    // Returns Flush::Page if an existing intermediate entry gained W or U
    // (paging-structure caches may hold the old value), else Flush::None.
    Result<Flush> map(VirtAddr va, PhysAddr pa, PageSize size, Attributes attrs);

    // Removes the leaf that starts at va and returns it (with its accessed
    // and dirty bits). Tables are kept; see prune(). Errors: InvalidArgument
    // (non-canonical, or in a shared kernel half), Misaligned (not 4 KiB
    // aligned, or inside a larger page but not at its start), NotFound.
    // The kernel must flush the returned page.
    Result<Mapping> unmap(VirtAddr va);

    // Replaces the attributes of the leaf that starts at va, keeping its frame,
    // size and accessed/dirty bits. Same errors as unmap(), plus
    // InvalidArgument for a user page in the upper half.
    Result<Protection> protect(VirtAddr va, Attributes attrs);

    // The leaf translating va (any alignment). InvalidArgument if
    // non-canonical, NotFound if unmapped.
    Result<Translation> translate(VirtAddr va) const;

    // The physical address of va when a leaf maps it and that leaf entry
    // carries every pte:: bit in `required` (e.g. kUser | kWritable); the
    // same walk as translate() without building a Mapping, for the kernel's
    // user-memory checks and copies on the IPC path. InvalidArgument if
    // non-canonical; NotFound if unmapped or a required bit is missing from
    // the leaf.
    Result<PhysAddr> translate_leaf(VirtAddr va, uint64_t required) const;

    // Calls fn(const Mapping&) for every leaf that intersects [first, last]
    // (inclusive), in ascending address order. fn must not change the table.
    template <typename F>
    void walk(VirtAddr first, VirtAddr last, F&& fn) const {
        walk_impl(first, last, &invoke<F>, &fn);
    }

    // Frees every intermediate table, below the root, that holds no entry
    // and covers part of [first, last]; returns how many. Tables in a shared
    // kernel half are skipped. The kernel must flush the range afterwards
    // (paging-structure caches may still point at the freed tables).
    size_t prune(VirtAddr first, VirtAddr last);

    // Copies PML4 entries 256..511 from `kernel`. Afterwards this table never
    // modifies or frees its upper half. InvalidArgument, changing nothing, if
    // this table already has upper-half entries or already shares.
    Result<void> share_kernel_half(const PageTable& kernel);

    // Allocates a PDPT for every empty upper-half PML4 slot, so later kernel
    // mappings are visible to every table that shares the kernel half. Call
    // on the kernel's table before sharing it. All or nothing: OutOfMemory
    // leaves the table unchanged. InvalidArgument on a table that shares.
    // Returns the number of tables allocated.
    Result<size_t> populate_kernel_half();

    // Unmaps the whole lower half: calls fn(const Mapping&) for each leaf
    // (so the caller can free the frame) and frees every table frame below
    // PML4[0..255]. The root survives. Returns the number of tables freed.
    template <typename F>
    size_t destroy_user_half(F&& fn) {
        return destroy_range(0, kEntriesPerTable / 2, &invoke<F>, &fn);
    }

    // destroy_user_half(fn), then, unless the kernel half is shared, the same
    // for the upper half; then frees the root. The handle becomes empty
    // (root() == 0). Returns the number of tables freed, root included.
    template <typename F>
    size_t destroy(F&& fn) {
        return destroy_all(&invoke<F>, &fn);
    }

private:
    using Visitor = void (*)(void* ctx, const Mapping& m);
    template <typename F>
    static void invoke(void* ctx, const Mapping& m) {
        (*static_cast<std::remove_reference_t<F>*>(ctx))(m);
    }

    PageTable(PhysicalMemory& mem, PhysAddr root) : mem_(&mem), root_(root) {}

    void walk_impl(VirtAddr first, VirtAddr last, Visitor fn, void* ctx) const;
    size_t destroy_range(size_t first_index, size_t end_index, Visitor fn, void* ctx);
    size_t destroy_all(Visitor fn, void* ctx);
    bool mutable_address(VirtAddr va) const;

    struct Leaf;
    Result<Leaf> find_leaf(VirtAddr va) const;

    PhysicalMemory* mem_;
    PhysAddr root_;
    // Invariant: when set, PML4[256..511] are the kernel's and are never written.
    bool shares_kernel_half_ = false;
};

}  // namespace capos::paging
