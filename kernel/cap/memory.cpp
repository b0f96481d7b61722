#include "kernel/cap/memory.hpp"

#include <new>

#include "abi/layout.hpp"
#include "kernel/mm/account.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/memory.hpp"
#include "kernel/panic.hpp"
#include "kernel/proc/process.hpp"
#include "lib/paging/paging.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

namespace {

constexpr uint64_t kPage = abi::kPageSize;
static_assert(kPage == mm::kRegionPageSize);

// prot (schema: protRead/protWrite/protExec) to page attributes: read is
// required, W^X enforced, unknown bits refused.
Result<paging::Attributes> decode_prot(uint32_t prot) {
    constexpr uint32_t kRead = schema::kProtRead, kWrite = schema::kProtWrite, kExec = schema::kProtExec;
    if ((prot & ~(kRead | kWrite | kExec)) != 0) return Error::InvalidArgument;
    if ((prot & kRead) == 0) return Error::InvalidArgument;
    if ((prot & kWrite) && (prot & kExec)) return Error::InvalidArgument;
    return paging::Attributes{.writable = (prot & kWrite) != 0, .executable = (prot & kExec) != 0};
}

// A non-zero multiple of the page size, as a page count.
Result<uint64_t> size_pages(uint64_t size) {
    if (size == 0 || size % kPage != 0) return Error::InvalidArgument;
    return size / kPage;
}

constinit uint64_t g_memory_objects = 0;

// ---------------------------------------------------------------------------
// MemoryObject

class MemoryObjectCap final : public ServedCap<schema::MemoryObject> {
public:
    // `pages` fresh zeroed frames charged to `account`'s Frames. Overloaded
    // conditions (ledger, frames, heap) are LimitExceeded / OutOfMemory;
    // nothing is left allocated or charged on failure.
    static Result<MemoryObjectCap*> allocate(Account& account, uint64_t pages) {
        TRY(account.ledger().charge(mm::Charge::Frames, pages));
        auto* frame_list = new (std::nothrow) uint64_t[pages];
        auto* obj = frame_list ? new (std::nothrow) MemoryObjectCap(account, pages, frame_list) : nullptr;
        if (!obj) {
            delete[] frame_list;
            account.refund(mm::Charge::Frames, pages);
            return Error::OutOfMemory;
        }
        for (uint64_t i = 0; i < pages; ++i) {
            auto f = frames().alloc();
            if (!f.ok()) {
                obj->pages_ = i;  // free what was allocated, refund everything
                obj->account_->refund(mm::Charge::Frames, pages - i);
                obj->caps_gone_ = true;
                obj->maybe_free();
                return Error::OutOfMemory;
            }
            __builtin_memset(phys_to_virt(f.value()), 0, kPage);
            frame_list[i] = f.value();
        }
        return obj;
    }


    // `pages` pages of a mapping of this object went away.
    void mapping_gone(uint64_t pages) {
        if (pages > mapped_) panic("memory object: unmapping {} pages of {} mapped", pages, mapped_);
        mapped_ -= pages;
        maybe_free();
    }

private:
    MemoryObjectCap(Account& account, uint64_t pages, uint64_t* frame_list)
        : account_(&account), pages_(pages), frames_(frame_list) {
        account.retain();
        ++g_memory_objects;
    }
    ~MemoryObjectCap() override = default;

    // The last capability went away; the frames live on while mapped.
    void destroy() override {
        caps_gone_ = true;
        maybe_free();
    }

    void maybe_free() {
        if (!caps_gone_ || mapped_ != 0) return;
        for (uint64_t i = 0; i < pages_; ++i)
            if (!frames().free(frames_[i]).ok()) panic("memory object: frame {:#x} was not allocated", frames_[i]);
        account_->refund(mm::Charge::Frames, pages_);
        account_->release();
        delete[] frames_;
        --g_memory_objects;
        delete this;
    }

    Result<void> info(schema::MemoryObject::InfoParams::Reader,
                      schema::MemoryObject::InfoResults::Builder results) override {
        results.set_page_count(pages_);
        results.set_size(pages_ * kPage);
        return {};
    }

    Result<void> map(schema::MemoryObject::MapParams::Reader params,
                     schema::MemoryObject::MapResults::Builder results) override {
        Process& p = *ctx().caller;
        paging::Attributes attrs = TRY(decode_prot(params.prot()));
        uint64_t pages = TRY(size_pages(params.size()));
        uint64_t offset = params.offset();
        if (offset % kPage != 0 || offset / kPage > pages_ || pages > pages_ - offset / kPage)
            return Error::InvalidArgument;
        uint64_t first = offset / kPage;
        uint64_t addr = TRY(p.regions.place(params.hint(), pages));
        TRY(p.account->ledger().charge(mm::Charge::MappedPages, pages));
        auto inserted = p.regions.insert(mm::Region{addr, pages, mm::RegionKind::Object, tag(), first});
        if (!inserted.ok()) {
            p.account->refund(mm::Charge::MappedPages, pages);
            return inserted.error();
        }
        if (auto r = p.aspace->map_frame_list(addr, frames_ + first, pages, attrs); !r.ok()) {
            (void)p.regions.remove(addr, pages, mm::RegionKind::Object, tag());
            p.account->refund(mm::Charge::MappedPages, pages);
            return r.error();
        }
        mapped_ += pages;
        results.set_addr(addr);
        return {};
    }

    Result<void> unmap(schema::MemoryObject::UnmapParams::Reader params,
                       schema::MemoryObject::UnmapResults::Builder) override {
        Process& p = *ctx().caller;
        uint64_t pages = TRY(p.regions.check_range(params.addr(), params.size()));
        TRY(p.regions.remove(params.addr(), pages, mm::RegionKind::Object, tag()));
        uint64_t present = p.aspace->unmap_pages(params.addr(), pages, false);
        if (present != pages) panic("memory object: mapping had {} of {} pages present", present, pages);
        p.account->refund(mm::Charge::MappedPages, pages);
        mapping_gone(pages);
        return {};
    }

    uint64_t tag() const { return reinterpret_cast<uint64_t>(this); }

    Account* account_;
    uint64_t pages_;
    uint64_t* frames_;
    uint64_t mapped_ = 0;  // pages mapped, over every address space
    bool caps_gone_ = false;
};

// ---------------------------------------------------------------------------
// FrameAllocator

class FrameAllocatorCap final : public ServedCap<schema::FrameAllocator> {
public:

private:
    void destroy() override {}

    Result<void> allocate(schema::FrameAllocator::AllocateParams::Reader params,
                          schema::FrameAllocator::AllocateResults::Builder results) override {
        if (params.page_count() == 0) return Error::InvalidArgument;
        MemoryObjectCap* obj = TRY(MemoryObjectCap::allocate(*ctx().caller->account, params.page_count()));
        auto index = ctx().return_cap(obj);
        if (!index.ok()) {
            obj->release();
            return index.error();
        }
        return results.set_memory(index.value());
    }

};

alignas(FrameAllocatorCap) unsigned char g_frame_allocator_storage[sizeof(FrameAllocatorCap)];
FrameAllocatorCap* g_frame_allocator = nullptr;

// ---------------------------------------------------------------------------
// VirtualMemory

}  // namespace

class VirtualMemoryCap final : public ServedCap<schema::VirtualMemory> {
public:
    explicit VirtualMemoryCap(Process& owner) : owner_(&owner) {}


    void detach() { owner_ = nullptr; }

private:
    ~VirtualMemoryCap() override = default;
    void destroy() override {
        if (owner_) owner_->vm_cap = nullptr;
        delete this;
    }

    Result<Process*> owner() const {
        if (!owner_) return Error::Disconnected;
        return owner_;
    }

    Result<void> map(schema::VirtualMemory::MapParams::Reader params,
                     schema::VirtualMemory::MapResults::Builder results) override {
        Process& p = *TRY(owner());
        paging::Attributes attrs = TRY(decode_prot(params.prot()));
        uint64_t pages = TRY(size_pages(params.size()));
        uint64_t addr = TRY(p.regions.place(params.hint(), pages));
        TRY(process_charge_own(p, pages));
        auto inserted = p.regions.insert(mm::Region{addr, pages, mm::RegionKind::Anonymous, 0, 0});
        if (!inserted.ok()) {
            process_refund_own(p, pages);
            return inserted.error();
        }
        if (auto r = p.aspace->map_anonymous(addr, pages, attrs); !r.ok()) {
            (void)p.regions.remove(addr, pages, mm::RegionKind::Anonymous, 0);
            process_refund_own(p, pages);
            return r.error();
        }
        results.set_addr(addr);
        return {};
    }

    Result<void> unmap(schema::VirtualMemory::UnmapParams::Reader params,
                       schema::VirtualMemory::UnmapResults::Builder) override {
        Process& p = *TRY(owner());
        uint64_t pages = TRY(p.regions.check_range(params.addr(), params.size()));
        TRY(p.regions.remove(params.addr(), pages, mm::RegionKind::Anonymous, 0));
        process_refund_own(p, p.aspace->unmap_pages(params.addr(), pages, true));
        return {};
    }

    Result<void> protect(schema::VirtualMemory::ProtectParams::Reader params,
                         schema::VirtualMemory::ProtectResults::Builder) override {
        Process& p = *TRY(owner());
        paging::Attributes attrs = TRY(decode_prot(params.prot()));
        uint64_t pages = TRY(p.regions.check_range(params.addr(), params.size()));
        if (!p.regions.covered(params.addr(), pages, mm::RegionKind::Anonymous, 0)) return Error::InvalidArgument;
        auto r = p.aspace->protect_pages(params.addr(), pages, attrs);
        if (!r.ok()) return Error::InvalidArgument;  // a page is not committed
        return {};
    }

    Result<void> reserve(schema::VirtualMemory::ReserveParams::Reader params,
                         schema::VirtualMemory::ReserveResults::Builder results) override {
        Process& p = *TRY(owner());
        uint64_t pages = TRY(size_pages(params.size()));
        uint64_t addr = TRY(p.regions.place(params.hint(), pages));
        TRY(p.regions.insert(mm::Region{addr, pages, mm::RegionKind::Anonymous, 0, 0}));
        results.set_addr(addr);
        return {};
    }

    Result<void> commit(schema::VirtualMemory::CommitParams::Reader params,
                        schema::VirtualMemory::CommitResults::Builder) override {
        Process& p = *TRY(owner());
        paging::Attributes attrs = TRY(decode_prot(params.prot()));
        uint64_t pages = TRY(p.regions.check_range(params.addr(), params.size()));
        if (!p.regions.covered(params.addr(), pages, mm::RegionKind::Anonymous, 0)) return Error::InvalidArgument;
        if (p.aspace->present_pages(params.addr(), pages) != 0) return Error::InvalidArgument;
        TRY(process_charge_own(p, pages));
        if (auto r = p.aspace->map_anonymous(params.addr(), pages, attrs); !r.ok()) {
            process_refund_own(p, pages);
            return r.error();
        }
        return {};
    }

    Result<void> decommit(schema::VirtualMemory::DecommitParams::Reader params,
                          schema::VirtualMemory::DecommitResults::Builder) override {
        Process& p = *TRY(owner());
        uint64_t pages = TRY(p.regions.check_range(params.addr(), params.size()));
        if (!p.regions.covered(params.addr(), pages, mm::RegionKind::Anonymous, 0)) return Error::InvalidArgument;
        process_refund_own(p, p.aspace->unmap_pages(params.addr(), pages, true));
        return {};
    }

    Result<void> usage(schema::VirtualMemory::UsageParams::Reader,
                       schema::VirtualMemory::UsageResults::Builder results) override {
        Process& p = *TRY(owner());
        const mm::Ledger& l = p.account->ledger();
        results.set_cap_slots(l.used(mm::Charge::CapSlots));
        results.set_cap_slots_limit(l.limit(mm::Charge::CapSlots));
        results.set_frames(l.used(mm::Charge::Frames));
        results.set_frames_limit(l.limit(mm::Charge::Frames));
        results.set_mapped_pages(l.used(mm::Charge::MappedPages));
        results.set_mapped_pages_limit(l.limit(mm::Charge::MappedPages));
        return {};
    }

    Process* owner_;
};

Result<CapObject*> virtual_memory_create(Process& p) {
    if (p.vm_cap) {
        p.vm_cap->retain();
        return static_cast<CapObject*>(p.vm_cap);
    }
    auto* cap = new (std::nothrow) VirtualMemoryCap(p);
    if (!cap) return Error::OutOfMemory;
    p.vm_cap = cap;
    return static_cast<CapObject*>(cap);
}

void virtual_memory_detach(Process& p) {
    if (p.vm_cap) p.vm_cap->detach();
    p.vm_cap = nullptr;
}

CapObject& frame_allocator() {
    if (!g_frame_allocator) g_frame_allocator = new (g_frame_allocator_storage) FrameAllocatorCap();
    return *g_frame_allocator;
}

void unmap_all_memory_objects(Process& p) {
    for (size_t i = 0; i < p.regions.size(); ++i) {
        const mm::Region& r = p.regions[i];
        if (r.kind != mm::RegionKind::Object) continue;
        uint64_t present = p.aspace->unmap_pages(r.base, r.pages, false);
        if (present != r.pages) panic("memory object: mapping had {} of {} pages present", present, r.pages);
        p.account->refund(mm::Charge::MappedPages, r.pages);
        reinterpret_cast<MemoryObjectCap*>(r.tag)->mapping_gone(r.pages);
    }
    (void)p.regions.init(p.region_storage, p.regions.lo(), p.regions.hi());
}

uint64_t memory_objects_live() { return g_memory_objects; }

}  // namespace capos
