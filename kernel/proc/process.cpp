#include "kernel/proc/process.hpp"

extern "C" char trap_return[];

#include <new>

#include "abi/layout.hpp"
#include "abi/ring.hpp"
#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/arch/x86_64/cpu_local.hpp"
#include "kernel/arch/x86_64/gdt.hpp"
#include "kernel/arch/x86_64/trap.hpp"
#include "kernel/cap/memory.hpp"
#include "kernel/cap/session.hpp"
#include "kernel/cap/spawner.hpp"
#include "kernel/cap/terminal.hpp"
#include "kernel/ipc/endpoint.hpp"
#include "kernel/log.hpp"
#include "kernel/mm/account.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/memory.hpp"
#include "kernel/panic.hpp"
#include "lib/base/checked.hpp"

namespace capos {

namespace {

constinit uint64_t g_next_pid = 1;

// A clean x87/SSE state (FCW 0x037F, MXCSR 0x1F80, registers zero), saved
// once at boot: every new process starts from it, so nothing leaks.
alignas(16) constinit uint8_t g_clean_fpu[512];
constinit bool g_clean_fpu_ready = false;

void clean_fpu_state(uint8_t* out) {
    if (!g_clean_fpu_ready) {
        uint32_t mxcsr = 0x1F80;
        asm volatile("fninit; ldmxcsr %1; fxsave %0" : "=m"(g_clean_fpu) : "m"(mxcsr));
        // XMM0..15 as saved are whatever the CPU held: clear them in the image.
        for (size_t i = 160; i < 416; ++i) g_clean_fpu[i] = 0;
        g_clean_fpu_ready = true;
    }
    __builtin_memcpy(out, g_clean_fpu, sizeof(g_clean_fpu));
}

void destroy(Process* p) {
    endpoints_process_gone(*p);
    process_handles_process_gone(*p);
    terminal_process_gone(*p);
    if (p->vm_cap) virtual_memory_detach(*p);
    if (p->cap_slots) {
        if (p->account) p->account->refund(mm::Charge::CapSlots, p->caps.size());
        p->caps.release_all([](CapObject* o) { o->release(); });
        delete[] p->cap_slots;
    }
    if (p->aspace) {
        // MemoryObject pages belong to their objects: unmap them (which may
        // free an object whose last capability is gone) before the address
        // space frees every frame still mapped.
        unmap_all_memory_objects(*p);
        delete p->aspace;  // frees the ring, CapSet, image, stack and committed frames
    }
    if (p->account) {
        process_refund_own(*p, p->own_frames);
        p->account->release();
    }
    if (p->kstack_top) free_kernel_stack(p->kstack_top);
    if (p->session) session_release(*p->session);
    delete p;
}

// The ring: physically contiguous frames, zeroed and initialised through
// the direct map, mapped read-write (never executable) for the process.
Result<void> setup_ring(Process& p) {
    auto geometry = ring::RingGeometry::default_geometry();
    uint64_t pages = align_up<uint64_t>(geometry.bytes(), abi::kPageSize) / abi::kPageSize;
    TRY(process_charge_own(p, pages));
    auto phys_or = frames().alloc_contiguous(pages);
    if (!phys_or.ok()) {
        process_refund_own(p, pages);
        return phys_or.error();
    }
    uint64_t phys = phys_or.value();
    auto mapped = p.aspace->map_frames(abi::kRingAddress, phys, pages, {.writable = true});
    if (!mapped.ok()) {
        (void)frames().free_contiguous(phys, pages);
        process_refund_own(p, pages);
        return mapped.error();
    }
    void* kva = phys_to_virt(phys);
    __builtin_memset(kva, 0, pages * abi::kPageSize);
    auto r = TRY(ring::KernelRing<>::create(kva, pages * abi::kPageSize, geometry));
    p.ring.emplace(r);
    p.ring->reset();
    return {};
}

// The CapSet page: the initial capabilities, in order, read-only for the process.
Result<void> setup_capset(Process& p, std::span<const InitialCap> caps) {
    if (caps.size() > abi::kCapSetMaxEntries) return Error::LimitExceeded;
    TRY(process_charge_own(p, 1));
    auto phys_or = frames().alloc();
    if (!phys_or.ok()) {
        process_refund_own(p, 1);
        return phys_or.error();
    }
    uint64_t phys = phys_or.value();
    auto mapped = p.aspace->map_frames(abi::kCapSetAddress, phys, 1, {});
    if (!mapped.ok()) {
        (void)frames().free(phys);
        process_refund_own(p, 1);
        return mapped.error();
    }
    auto* page = static_cast<uint8_t*>(phys_to_virt(phys));
    __builtin_memset(page, 0, abi::kPageSize);
    auto* h = reinterpret_cast<abi::CapSetHeader*>(page);
    auto* entries = reinterpret_cast<abi::CapSetEntry*>(page + sizeof(abi::CapSetHeader));
    for (size_t i = 0; i < caps.size(); ++i) {
        const InitialCap& c = caps[i];
        if (c.name.empty() || c.name.size() > abi::kCapSetNameMax) return Error::InvalidArgument;
        CapObject* object = c.object;
        if (object) {
            object->retain();
        } else if (c.own_virtual_memory) {
            object = TRY(virtual_memory_create(p));
        } else if (c.own_session && p.session) {
            object = session_view_create(*p.session);
            if (!object) return Error::OutOfMemory;
        } else {
            return Error::InvalidArgument;
        }
        auto id = process_insert_cap(p, object);
        if (!id.ok()) {
            object->release();
            return id.error();
        }
        entries[i].interface_id = object->interface_id();
        entries[i].cap_id = id.value();
        entries[i].name_len = static_cast<uint8_t>(c.name.size());
        for (size_t k = 0; k < c.name.size(); ++k) entries[i].name[k] = c.name[k];
    }
    h->magic = abi::kCapSetMagic;
    h->version = abi::kCapSetVersion;
    h->entry_bytes = sizeof(abi::CapSetEntry);
    h->count = static_cast<uint32_t>(caps.size());
    p.capset = h;
    return {};
}

// Copies `bytes` to user address va of a not-yet-running address space,
// through the direct map, page by page.
Result<void> load_bytes(AddressSpace& as, uint64_t va, const uint8_t* bytes, uint64_t len) {
    while (len > 0) {
        uint8_t* dst = TRY(as.backing(va));
        uint64_t chunk = abi::kPageSize - (va % abi::kPageSize);
        if (chunk > len) chunk = len;
        __builtin_memcpy(dst, bytes, chunk);
        va += chunk;
        bytes += chunk;
        len -= chunk;
    }
    return {};
}

// Maps fresh zeroed frames for the process's own memory, charged to its ledger.
Result<void> map_own(Process& p, uint64_t va, uint64_t pages, paging::Attributes attrs) {
    TRY(process_charge_own(p, pages));
    auto r = p.aspace->map_anonymous(va, pages, attrs);
    if (!r.ok()) process_refund_own(p, pages);
    return r;
}

Result<void> load_image(Process& p, const elf::ElfImage& image) {
    AddressSpace& as = *p.aspace;
    for (const elf::LoadSegment& s : image.load_segments()) {
        uint64_t first = align_down(s.vaddr, abi::kPageSize);
        uint64_t end = align_up(s.vaddr + s.memsz, abi::kPageSize);
        TRY(map_own(p, first, (end - first) / abi::kPageSize,
                    {.writable = s.perms.write, .executable = s.perms.execute}));
        auto bytes = image.file_bytes(s);
        TRY(load_bytes(as, s.vaddr, bytes.data(), bytes.size()));
    }
    TRY(map_own(p, abi::kStackBottom, abi::kStackBytes / abi::kPageSize, {.writable = true}));
    if (image.has_tls()) {
        const elf::TlsTemplate& t = image.tls();
        uint64_t block = align_up(t.memsz, t.align ? t.align : 1);
        if (block > abi::kTlsMaxBytes) return Error::ElfBadSegment;
        TRY(map_own(p, abi::kTlsRegionBase, abi::kTlsRegionBytes / abi::kPageSize, {.writable = true}));
        auto bytes = image.file_bytes(t);
        TRY(load_bytes(as, abi::kTlsThreadPointer - block, bytes.data(), bytes.size()));
        uint64_t self = abi::kTlsThreadPointer;
        TRY(load_bytes(as, abi::kTlsThreadPointer, reinterpret_cast<const uint8_t*>(&self), sizeof(self)));
        p.fs_base = abi::kTlsThreadPointer;
    }
    return {};
}

}  // namespace

void process_destroy(Process* p) { destroy(p); }

Result<void> process_attach_session(Process& p, Session& s) {
    if (p.session) return Error::AlreadyAttached;
    session_retain(s);
    p.session = &s;
    return {};
}

Result<void> process_charge_own(Process& p, uint64_t pages) {
    mm::Ledger& l = p.account->ledger();
    TRY(l.charge(mm::Charge::Frames, pages));
    if (auto r = l.charge(mm::Charge::MappedPages, pages); !r.ok()) {
        p.account->refund(mm::Charge::Frames, pages);
        return r.error();
    }
    p.own_frames += pages;
    return {};
}

void process_refund_own(Process& p, uint64_t pages) {
    p.account->refund(mm::Charge::Frames, pages);
    p.account->refund(mm::Charge::MappedPages, pages);
    p.own_frames -= pages;
}

Result<abi::CapId> process_insert_cap(Process& p, CapObject* object) {
    TRY(p.account->ledger().charge(mm::Charge::CapSlots, 1));
    auto id = p.caps.insert(object, object->interface_id());
    if (!id.ok()) p.account->refund(mm::Charge::CapSlots, 1);
    return id;
}

Result<void> process_release_cap(Process& p, abi::CapId id) {
    CapObject* obj = TRY(p.caps.release(id));
    p.account->refund(mm::Charge::CapSlots, 1);
    obj->release();
    return {};
}

Result<Process*> process_create(StringView name, const uint8_t* elf_bytes, size_t elf_size,
                                elf::Rejection* why, std::span<const InitialCap> caps,
                                const mm::Limits& requested, Session* session) {
    auto image = TRY(elf::ElfImage::parse(std::span<const uint8_t>(elf_bytes, elf_size),
                                         {abi::kUserImageMin, abi::kUserImageLimit}, why));
    auto* p = new (std::nothrow) Process{};
    if (!p) return Error::OutOfMemory;
    auto as = AddressSpace::create();
    if (!as.ok()) {
        delete p;
        return as.error();
    }
    p->aspace = as.value();
    p->pid = g_next_pid++;
    size_t n = name.size() < kProcessNameMax - 1 ? name.size() : kProcessNameMax - 1;
    for (size_t i = 0; i < n; ++i) p->name[i] = name[i];
    p->name[n] = '\0';
    p->entry = image.entry();
    if (auto r = process_attach_session(*p, session ? *session : session_boot()); !r.ok()) {
        destroy(p);
        return r.error();
    }
    mm::Limits limits = mm::resolve_limits(requested, kDefaultLimits, kMaxLimits);
    p->account = Account::create(limits);
    if (!p->account) {
        destroy(p);
        return Error::OutOfMemory;
    }
    if (auto r = p->regions.init(p->region_storage, abi::kUserMapMin, abi::kUserMapLimit); !r.ok()) {
        destroy(p);
        return r.error();
    }
    uint32_t slots = static_cast<uint32_t>(limits.cap_slots);
    p->cap_slots = slots ? new (std::nothrow) CapSlot[slots] : nullptr;
    if (!p->cap_slots) {
        destroy(p);
        return slots ? Error::OutOfMemory : Error::LimitExceeded;
    }
    if (auto r = p->caps.init(std::span<CapSlot>(p->cap_slots, slots)); !r.ok()) {
        destroy(p);
        return r.error();
    }
    if (auto r = load_image(*p, image); !r.ok()) {
        destroy(p);
        return r.error();
    }
    if (auto r = setup_ring(*p); !r.ok()) {
        destroy(p);
        return r.error();
    }
    if (auto r = setup_capset(*p, caps); !r.ok()) {
        destroy(p);
        return r.error();
    }
    auto stack = alloc_kernel_stack();
    if (!stack.ok()) {
        destroy(p);
        return stack.error();
    }
    p->kstack_top = stack.value();
    // The first return to ring 3 goes through trap_return with this frame
    // at the top of the kernel stack.
    auto* frame = reinterpret_cast<arch::TrapFrame*>(p->kstack_top - sizeof(arch::TrapFrame));
    *frame = arch::TrapFrame{};
    frame->rip = p->entry;
    frame->cs = arch::kUserCs;
    frame->rflags = 0x202;
    frame->rsp = abi::kInitialStackPointer;
    frame->ss = arch::kUserDs;
    frame->rdi = abi::kRingAddress;
    frame->rsi = p->pid;
    frame->rdx = abi::kCapSetAddress;
    p->ctx = arch::KernelContext{};
    p->ctx.rsp = reinterpret_cast<uint64_t>(frame);
    p->ctx.rip = reinterpret_cast<uint64_t>(&trap_return);
    clean_fpu_state(p->fpu);
    p->state = Process::State::Runnable;
    p->wake_tick = UINT64_MAX;
    return p;
}

}  // namespace capos
