#include "lib/paging/paging.hpp"

#include "lib/base/checked.hpp"

namespace capos::paging {

namespace {

using namespace pte;

// Entries are shared with the MMU, which sets A and D behind our back:
// every access is a single atomic load/store/RMW, never a torn or cached one.
uint64_t load(const uint64_t* e) { return __atomic_load_n(e, __ATOMIC_RELAXED); }
// Release: a new table's zeroed contents are visible before the pointer to it.
void store(uint64_t* e, uint64_t v) { __atomic_store_n(e, v, __ATOMIC_RELEASE); }
uint64_t exchange(uint64_t* e, uint64_t v) { return __atomic_exchange_n(e, v, __ATOMIC_ACQ_REL); }
void set_bits(uint64_t* e, uint64_t bits) { __atomic_fetch_or(e, bits, __ATOMIC_RELEASE); }

constexpr int kTopLevel = 4;

// Bits of va selecting the entry at `level` (4 = PML4 ... 1 = PT).
size_t index_at(VirtAddr va, int level) { return (va >> (12 + 9 * (level - 1))) & 511; }
// Bytes of address space one entry at `level` covers.
uint64_t entry_span(int level) { return uint64_t{1} << (12 + 9 * (level - 1)); }

int leaf_level(PageSize s) {
    switch (s) {
    case PageSize::Size4K: return 1;
    case PageSize::Size2M: return 2;
    case PageSize::Size1G: return 3;
    }
    return 1;
}

PageSize size_at(int level) {
    return level == 1 ? PageSize::Size4K : level == 2 ? PageSize::Size2M : PageSize::Size1G;
}

// PS is meaningful in PDPT and PD entries only (bit 7 is PAT in a PT entry,
// reserved in a PML4 entry).
bool is_leaf(uint64_t e, int level) {
    return level == 1 || ((level == 2 || level == 3) && (e & kHuge));
}

uint64_t leaf_frame(uint64_t e, int level) {
    return e & (level == 1 ? kAddrMask : level == 2 ? kAddrMask2M : kAddrMask1G);
}

VirtAddr sign_extend(uint64_t va) {
    return (va & (uint64_t{1} << 47)) ? (va | 0xffff'0000'0000'0000) : va;
}

// First address translated by entry i of a table at `level` covering from `base`.
VirtAddr entry_address(VirtAddr base, int level, size_t i) {
    return level == kTopLevel ? sign_extend(i * entry_span(level)) : base + i * entry_span(level);
}

// Bits a leaf's Attributes control.
constexpr uint64_t kAttrBits =
    kWritable | kUser | kWriteThrough | kCacheDisable | kGlobal | kNoExecute;

uint64_t leaf_bits(const Attributes& a) {
    return (a.writable ? kWritable : 0) | (a.user ? kUser : 0) |
           (a.write_through ? kWriteThrough : 0) | (a.cache_disable ? kCacheDisable : 0) |
           (a.global ? kGlobal : 0) | (a.executable ? 0 : kNoExecute);
}

// What an intermediate entry above a leaf with `a` must allow.
uint64_t table_bits(const Attributes& a) {
    return kPresent | (a.writable ? kWritable : 0) | (a.user ? kUser : 0);
}

Attributes attributes_of(uint64_t e) {
    return Attributes{(e & kWritable) != 0, (e & kUser) != 0,      (e & kNoExecute) == 0,
                      (e & kGlobal) != 0,   (e & kWriteThrough) != 0, (e & kCacheDisable) != 0};
}

Mapping mapping_of(uint64_t e, int level, VirtAddr va) {
    return Mapping{va, leaf_frame(e, level), size_at(level), attributes_of(e),
                   (e & kAccessed) != 0, (e & kDirty) != 0};
}

bool table_empty(const uint64_t* t) {
    for (size_t i = 0; i < kEntriesPerTable; ++i)
        if (load(&t[i]) != 0) return false;
    return true;
}

// First and last entry index of a table at `level` whose coverage, starting
// at `base`, intersects [first, last]. Preconditions: first and last are
// canonical, and the table's coverage intersects the range.
void index_window(VirtAddr base, int level, VirtAddr first, VirtAddr last, size_t* lo, size_t* hi) {
    const uint64_t span = entry_span(level);
    if (level == kTopLevel) {
        // The upper half starts at index 256; the non-canonical hole has no index.
        auto index = [&](VirtAddr va) {
            return va >= kUpperHalfStart ? 256 + (va - kUpperHalfStart) / span : va / span;
        };
        *lo = index(first);
        *hi = index(last);
        return;
    }
    const VirtAddr table_last = base + (span * kEntriesPerTable - 1);
    *lo = first <= base ? 0 : (first - base) / span;
    *hi = last >= table_last ? kEntriesPerTable - 1 : (last - base) / span;
}

// Narrows [first, last] to canonical addresses; false if nothing is left.
bool clamp_canonical(VirtAddr& first, VirtAddr& last) {
    if (first > last) return false;
    if (!canonical(first)) first = kUpperHalfStart;
    if (!canonical(last)) last = kLowerHalfLast;
    return first <= last;
}

}  // namespace

struct PageTable::Leaf {
    uint64_t* entry;
    int level;
    VirtAddr base;
    // path[k]: the entry at level 4 - k above the leaf (k < 4 - level).
    uint64_t* path[3];
};

Result<PageTable> PageTable::create(PhysicalMemory& mem) {
    PhysAddr root = TRY(mem.allocate_table());
    return PageTable(mem, root);
}

PageTable PageTable::adopt(PhysicalMemory& mem, PhysAddr root) { return PageTable(mem, root); }

bool PageTable::mutable_address(VirtAddr va) const {
    return !(shares_kernel_half_ && in_upper_half(va));
}

Result<PageTable::Leaf> PageTable::find_leaf(VirtAddr va) const {
    uint64_t* t = mem_->table(root_);
    Leaf leaf{};
    for (int level = kTopLevel; level >= 1; --level) {
        uint64_t* e = &t[index_at(va, level)];
        uint64_t v = load(e);
        if (!(v & kPresent)) return Error::NotFound;
        if (is_leaf(v, level)) {
            leaf.entry = e;
            leaf.level = level;
            leaf.base = va & ~(entry_span(level) - 1);
            return leaf;
        }
        leaf.path[kTopLevel - level] = e;
        t = mem_->table(v & kAddrMask);
    }
    return Error::NotFound;  // unreachable: level 1 entries are leaves
}

Result<Flush> PageTable::map(VirtAddr va, PhysAddr pa, PageSize size, Attributes attrs) {
    const uint64_t bytes = page_bytes(size);
    if (!canonical(va) || pa >= kPhysLimit) return Error::InvalidArgument;
    if (!is_aligned(va, bytes) || !is_aligned(pa, bytes)) return Error::Misaligned;
    if (in_upper_half(va) && (attrs.user || shares_kernel_half_)) return Error::InvalidArgument;
    const int target = leaf_level(size);

    // Decode: find the first missing level; refuse any existing mapping.
    uint64_t* t = mem_->table(root_);
    int level = kTopLevel;
    for (; level > target; --level) {
        uint64_t v = load(&t[index_at(va, level)]);
        if (!(v & kPresent)) break;
        if (is_leaf(v, level)) return Error::AlreadyExists;
        t = mem_->table(v & kAddrMask);
    }
    if (level == target && (load(&t[index_at(va, level)]) & kPresent)) return Error::AlreadyExists;

    // Allocate every missing table before writing anything.
    const int need = level - target;
    PhysAddr fresh[kTopLevel - 1];
    for (int i = 0; i < need; ++i) {
        Result<PhysAddr> frame = mem_->allocate_table();
        if (!frame.ok()) {
            for (int j = i - 1; j >= 0; --j) mem_->free_table(fresh[j]);
            return frame.error();
        }
        fresh[i] = frame.value();
    }

    // Perform: cannot fail.
    const uint64_t needed = table_bits(attrs);
    Flush flush = Flush::None;
    int used = 0;
    t = mem_->table(root_);
    for (int l = kTopLevel; l > target; --l) {
        uint64_t* e = &t[index_at(va, l)];
        uint64_t v = load(e);
        if (v & kPresent) {
            if ((v & needed) != needed) {
                set_bits(e, needed);
                flush = Flush::Page;
            }
        } else {
            v = fresh[used++] | needed;
            store(e, v);
        }
        t = mem_->table(v & kAddrMask);
    }
    store(&t[index_at(va, target)], pa | kPresent | leaf_bits(attrs) | (target > 1 ? kHuge : 0));
    return flush;
}

Result<Mapping> PageTable::unmap(VirtAddr va) {
    if (!canonical(va) || !mutable_address(va)) return Error::InvalidArgument;
    if (!is_aligned(va, kPageSize)) return Error::Misaligned;
    Leaf leaf = TRY(find_leaf(va));
    if (leaf.base != va) return Error::Misaligned;
    uint64_t old = exchange(leaf.entry, 0);
    return mapping_of(old, leaf.level, va);
}

Result<Protection> PageTable::protect(VirtAddr va, Attributes attrs) {
    if (!canonical(va) || !mutable_address(va)) return Error::InvalidArgument;
    if (in_upper_half(va) && attrs.user) return Error::InvalidArgument;
    if (!is_aligned(va, kPageSize)) return Error::Misaligned;
    Leaf leaf = TRY(find_leaf(va));
    if (leaf.base != va) return Error::Misaligned;

    const uint64_t needed = table_bits(attrs);
    for (int k = 0; k < kTopLevel - leaf.level; ++k)
        if ((load(leaf.path[k]) & needed) != needed) set_bits(leaf.path[k], needed);

    // Keep frame, PS/PAT, A, D and the software bits; replace the rest.
    uint64_t old = load(leaf.entry);
    uint64_t updated;
    do {
        updated = (old & ~kAttrBits) | leaf_bits(attrs);
    } while (!__atomic_compare_exchange_n(leaf.entry, &old, updated, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    Flush flush = (old & kAttrBits) == (updated & kAttrBits) ? Flush::None : Flush::Page;
    return Protection{attributes_of(old), flush};
}

Result<PhysAddr> PageTable::translate_leaf(VirtAddr va, uint64_t required) const {
    if (!canonical(va)) return Error::InvalidArgument;
    // The four levels spelled out (is_leaf: PML4 entries never are; PDPT
    // and PD entries are with kHuge; PT entries always are).
    uint64_t v = load(&mem_->table(root_)[index_at(va, 4)]);
    if (!(v & kPresent)) return Error::NotFound;
    v = load(&mem_->table(v & kAddrMask)[index_at(va, 3)]);
    if (!(v & kPresent)) return Error::NotFound;
    int level = 3;
    if (!(v & kHuge)) {
        v = load(&mem_->table(v & kAddrMask)[index_at(va, 2)]);
        if (!(v & kPresent)) return Error::NotFound;
        level = 2;
        if (!(v & kHuge)) {
            v = load(&mem_->table(v & kAddrMask)[index_at(va, 1)]);
            if (!(v & kPresent)) return Error::NotFound;
            level = 1;
        }
    }
    if ((v & required) != required) return Error::NotFound;
    return leaf_frame(v, level) + (va & (entry_span(level) - 1));
}

Result<Translation> PageTable::translate(VirtAddr va) const {
    if (!canonical(va)) return Error::InvalidArgument;
    Leaf leaf = TRY(find_leaf(va));
    uint64_t v = load(leaf.entry);
    Mapping m = mapping_of(v, leaf.level, leaf.base);
    return Translation{m.pa + (va - leaf.base), m};
}

namespace {

struct WalkContext {
    PhysicalMemory* mem;
    VirtAddr first;
    VirtAddr last;
};

template <typename LeafFn>
void walk_table(const WalkContext& c, PhysAddr frame, int level, VirtAddr base, LeafFn& on_leaf) {
    uint64_t* t = c.mem->table(frame);
    size_t lo, hi;
    index_window(base, level, c.first, c.last, &lo, &hi);
    for (size_t i = lo; i <= hi; ++i) {
        uint64_t v = load(&t[i]);
        if (!(v & kPresent)) continue;
        VirtAddr va = entry_address(base, level, i);
        if (is_leaf(v, level))
            on_leaf(mapping_of(v, level, va));
        else
            walk_table(c, v & kAddrMask, level - 1, va, on_leaf);
    }
}

}  // namespace

void PageTable::walk_impl(VirtAddr first, VirtAddr last, Visitor fn, void* ctx) const {
    if (!clamp_canonical(first, last)) return;
    auto on_leaf = [&](const Mapping& m) { fn(ctx, m); };
    walk_table(WalkContext{mem_, first, last}, root_, kTopLevel, 0, on_leaf);
}

namespace {

// Frees the empty tables below `frame` (a table at `level`) that intersect
// [first, last]; clears their entries first. Returns the number freed.
size_t prune_table(PhysicalMemory* mem, PhysAddr frame, int level, VirtAddr base, VirtAddr first,
                   VirtAddr last, size_t upper_limit) {
    if (level == 1) return 0;
    uint64_t* t = mem->table(frame);
    size_t lo, hi;
    index_window(base, level, first, last, &lo, &hi);
    if (hi > upper_limit) hi = upper_limit;
    size_t freed = 0;
    for (size_t i = lo; i <= hi; ++i) {
        uint64_t v = load(&t[i]);
        if (!(v & kPresent) || is_leaf(v, level)) continue;
        VirtAddr va = entry_address(base, level, i);
        PhysAddr child = v & kAddrMask;
        freed += prune_table(mem, child, level - 1, va, first, last, kEntriesPerTable - 1);
        if (table_empty(mem->table(child))) {
            store(&t[i], 0);
            mem->free_table(child);
            ++freed;
        }
    }
    return freed;
}

// Reports every leaf below `frame` and frees every table below it; the
// entries of `frame` itself are cleared. Returns the number of tables freed.
size_t destroy_table(PhysicalMemory* mem, PhysAddr frame, int level, VirtAddr base,
                     void (*fn)(void*, const Mapping&), void* ctx) {
    uint64_t* t = mem->table(frame);
    size_t freed = 0;
    for (size_t i = 0; i < kEntriesPerTable; ++i) {
        uint64_t v = exchange(&t[i], 0);
        if (!(v & kPresent)) continue;
        VirtAddr va = base + i * entry_span(level);
        if (is_leaf(v, level)) {
            fn(ctx, mapping_of(v, level, va));
        } else {
            PhysAddr child = v & kAddrMask;
            freed += destroy_table(mem, child, level - 1, va, fn, ctx);
            mem->free_table(child);
            ++freed;
        }
    }
    return freed;
}

}  // namespace

size_t PageTable::prune(VirtAddr first, VirtAddr last) {
    if (!clamp_canonical(first, last)) return 0;
    if (shares_kernel_half_ && first >= kUpperHalfStart) return 0;
    const size_t upper_limit =
        shares_kernel_half_ ? kEntriesPerTable / 2 - 1 : kEntriesPerTable - 1;
    return prune_table(mem_, root_, kTopLevel, 0, first, last, upper_limit);
}

size_t PageTable::destroy_range(size_t first_index, size_t end_index, Visitor fn, void* ctx) {
    uint64_t* root = mem_->table(root_);
    size_t freed = 0;
    for (size_t i = first_index; i < end_index; ++i) {
        uint64_t v = exchange(&root[i], 0);
        if (!(v & kPresent)) continue;
        PhysAddr child = v & kAddrMask;
        freed += destroy_table(mem_, child, kTopLevel - 1, entry_address(0, kTopLevel, i), fn, ctx);
        mem_->free_table(child);
        ++freed;
    }
    return freed;
}

size_t PageTable::destroy_all(Visitor fn, void* ctx) {
    size_t freed = destroy_range(0, kEntriesPerTable / 2, fn, ctx);
    if (!shares_kernel_half_)
        freed += destroy_range(kEntriesPerTable / 2, kEntriesPerTable, fn, ctx);
    mem_->free_table(root_);
    root_ = 0;
    return freed + 1;
}

Result<void> PageTable::share_kernel_half(const PageTable& kernel) {
    if (shares_kernel_half_) return Error::InvalidArgument;
    uint64_t* mine = mem_->table(root_);
    const uint64_t* theirs = kernel.mem_->table(kernel.root_);
    for (size_t i = kEntriesPerTable / 2; i < kEntriesPerTable; ++i)
        if (load(&mine[i]) != 0) return Error::InvalidArgument;
    for (size_t i = kEntriesPerTable / 2; i < kEntriesPerTable; ++i)
        store(&mine[i], load(&theirs[i]));
    shares_kernel_half_ = true;
    return {};
}

Result<size_t> PageTable::populate_kernel_half() {
    if (shares_kernel_half_) return Error::InvalidArgument;
    uint64_t* root = mem_->table(root_);
    // Fresh frames are chained through their own first word until all are
    // allocated, so no fixed-size array is needed and nothing is installed
    // before the last allocation succeeded.
    PhysAddr chain = 0;
    size_t count = 0;
    for (size_t i = kEntriesPerTable / 2; i < kEntriesPerTable; ++i) {
        if (load(&root[i]) & kPresent) continue;
        Result<PhysAddr> frame = mem_->allocate_table();
        if (!frame.ok()) {
            while (chain) {
                uint64_t* t = mem_->table(chain);
                PhysAddr next = t[0];
                t[0] = 0;
                mem_->free_table(chain);
                chain = next;
            }
            return frame.error();
        }
        mem_->table(frame.value())[0] = chain;
        chain = frame.value();
        ++count;
    }
    for (size_t i = kEntriesPerTable / 2; i < kEntriesPerTable && chain; ++i) {
        if (load(&root[i]) & kPresent) continue;
        uint64_t* t = mem_->table(chain);
        PhysAddr next = t[0];
        t[0] = 0;
        // Kernel-only: W at this level lets leaves decide; never U.
        store(&root[i], chain | kPresent | kWritable);
        chain = next;
    }
    return count;
}

}  // namespace capos::paging
