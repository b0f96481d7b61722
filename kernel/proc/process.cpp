#include "kernel/proc/process.hpp"

#include <new>

#include "abi/layout.hpp"
#include "abi/ring.hpp"
#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/arch/x86_64/cpu_local.hpp"
#include "kernel/arch/x86_64/gdt.hpp"
#include "kernel/arch/x86_64/trap.hpp"
#include "kernel/log.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/memory.hpp"
#include "kernel/panic.hpp"
#include "lib/base/checked.hpp"

namespace capos {

namespace {

constinit uint64_t g_next_pid = 1;
constinit Process* g_current = nullptr;
constinit arch::KernelContext g_kernel_ctx{};

void destroy(Process* p) {
    delete p->aspace;
    delete p;
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

Result<void> load_image(Process& p, const elf::ElfImage& image) {
    AddressSpace& as = *p.aspace;
    for (const elf::LoadSegment& s : image.load_segments()) {
        uint64_t first = align_down(s.vaddr, abi::kPageSize);
        uint64_t end = align_up(s.vaddr + s.memsz, abi::kPageSize);
        TRY(as.map_anonymous(first, (end - first) / abi::kPageSize,
                             {.writable = s.perms.write, .executable = s.perms.execute}));
        auto bytes = image.file_bytes(s);
        TRY(load_bytes(as, s.vaddr, bytes.data(), bytes.size()));
    }
    TRY(as.map_anonymous(abi::kStackBottom, abi::kStackBytes / abi::kPageSize, {.writable = true}));
    uint64_t ring_pages = align_up<uint64_t>(abi::ring_bytes(abi::kDefaultSqEntries, abi::kDefaultCqEntries),
                                             abi::kPageSize) / abi::kPageSize;
    TRY(as.map_anonymous(abi::kRingAddress, ring_pages, {.writable = true}));
    if (image.has_tls()) {
        const elf::TlsTemplate& t = image.tls();
        uint64_t block = align_up(t.memsz, t.align ? t.align : 1);
        if (block > abi::kTlsMaxBytes) return Error::ElfBadSegment;
        TRY(as.map_anonymous(abi::kTlsRegionBase, abi::kTlsRegionBytes / abi::kPageSize, {.writable = true}));
        auto bytes = image.file_bytes(t);
        TRY(load_bytes(as, abi::kTlsThreadPointer - block, bytes.data(), bytes.size()));
        uint64_t self = abi::kTlsThreadPointer;
        TRY(load_bytes(as, abi::kTlsThreadPointer, reinterpret_cast<const uint8_t*>(&self), sizeof(self)));
        p.fs_base = abi::kTlsThreadPointer;
    }
    return {};
}

}  // namespace

Process* current_process() { return g_current; }

Result<Process*> process_create(StringView name, const uint8_t* elf_bytes, size_t elf_size,
                                elf::Rejection* why) {
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
    auto loaded = load_image(*p, image);
    if (!loaded.ok()) {
        destroy(p);
        return loaded.error();
    }
    return p;
}

int64_t run_process(Process* p) {
    arch::TrapFrame frame{};
    frame.rip = p->entry;
    frame.cs = arch::kUserCs;
    frame.rflags = 0x202;
    frame.rsp = abi::kInitialStackPointer;
    frame.ss = arch::kUserDs;
    frame.rdi = abi::kRingAddress;
    frame.rsi = p->pid;
    frame.rdx = 0;  // no CapSet page until the ring issue

    g_current = p;
    arch::write_cr3(p->aspace->cr3());
    arch::set_fs_base(p->fs_base);
    enter_user(&frame, &g_kernel_ctx);
    // Back from exit() or a fault: on the boot stack again.
    arch::set_fs_base(0);
    arch::write_cr3(kernel_page_table().root());
    g_current = nullptr;
    int64_t code = p->exit_code;
    destroy(p);
    return code;
}

[[noreturn]] void process_exit_current(int64_t code) {
    Process* p = g_current;
    if (!p) panic("exit with no current process");
    p->exit_code = code;
    resume_kernel(&g_kernel_ctx, 1);
}

}  // namespace capos
