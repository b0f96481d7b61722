// kmain: the boot sequence, readable top to bottom.
#include <cstdint>

#include "kernel/arch/x86_64/boot_defs.hpp"
#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/arch/x86_64/cpu_local.hpp"
#include "kernel/arch/x86_64/gdt.hpp"
#include "kernel/arch/x86_64/qemu.hpp"
#include "kernel/arch/x86_64/serial.hpp"
#include "kernel/arch/x86_64/trap.hpp"
#include "kernel/boot_options.hpp"
#include "kernel/clock.hpp"
#include "kernel/boot_package.hpp"
#include "kernel/log.hpp"
#include "kernel/cap/memory.hpp"
#include "kernel/cap/session.hpp"
#include "kernel/cap/spawner.hpp"
#include "kernel/init_boot.hpp"
#include "kernel/ipc/endpoint.hpp"
#include "kernel/mm/account.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/memory.hpp"
#include "kernel/panic.hpp"
#include "kernel/proc/process.hpp"
#include "kernel/proc/sched.hpp"
#include "kernel/selftest.hpp"
#include "lib/boot/boot_info.hpp"
#include "version.hpp"

extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace capos {

namespace {

// Reads physical memory through the boot direct map (first 1 GiB).
class BootPhysicalReader final : public boot::PhysicalReader {
public:
    const uint8_t* read(uint64_t phys, uint64_t len) const override {
        uint64_t end;
        if (__builtin_add_overflow(phys, len, &end) || end > kDirectMapLimit) return nullptr;
        return static_cast<const uint8_t*>(phys_to_virt(phys));
    }
};

constinit boot::BootInfo g_boot_info;

void run_global_constructors() {
    for (auto* fn = __init_array_start; fn != __init_array_end; ++fn) (*fn)();
}

void log_memory_map(const boot::BootInfo& info) {
    for (size_t i = 0; i < info.region_count; ++i) {
        const auto& r = info.regions[i];
        log::debug("  memory {:#014x}-{:#014x} {}", r.base, r.base + r.length,
                   boot::region_type_name(r.type));
    }
}

void log_exit(Process* p, int64_t code) {
    log::info("service '{}' (pid {}) exited with code {}", p->name, p->pid, code);
    const mm::Ledger& l = p->account->ledger();
    log::info("service '{}' ledger at exit: cap slots {}/{}, frames {}/{}, mapped pages {}/{}", p->name,
              l.used(mm::Charge::CapSlots), l.limit(mm::Charge::CapSlots), l.used(mm::Charge::Frames),
              l.limit(mm::Charge::Frames), l.used(mm::Charge::MappedPages), l.limit(mm::Charge::MappedPages));
}

// Creates the process for service i of the manifest, with the kernel
// capabilities its grants name. `name` is set whenever the service is found.
Result<Process*> create_service(size_t i, StringView* name, elf::Rejection* why) {
    std::span<const uint8_t> elf;
    TRY(boot_package_service(i, name, &elf));
    InitialCap caps[abi::kCapSetMaxEntries];
    auto grants = boot_package_kernel_grants(i, caps, abi::kCapSetMaxEntries);
    if (!grants.ok()) {
        boot_package_release_temps();
        return grants.error();
    }
    size_t ncaps = grants.value();
    auto limits = boot_package_service_limits(i);
    if (!limits.ok()) {
        boot_package_release_temps();
        return limits.error();
    }
    auto p = process_create(*name, elf.data(), elf.size(), why, std::span<const InitialCap>(caps, ncaps), limits.value());
    boot_package_release_temps();
    return p;
}

// Until init owns the boot: start every service of the manifest. By default
// one after another (each runs to its exit before the next starts, so
// transcripts are ordered); with `services=concurrent` all at once,
// preemptively scheduled.
void run_services(bool concurrent) {
    for (size_t i = 0; i < boot_package_service_count(); ++i) {
        StringView name = "?";
        elf::Rejection why;
        auto p = create_service(i, &name, &why);
        if (!p.ok()) {
            if (!why.empty()) log::error("service '{}': binary refused: {} ({})", name, why.c_str(), p.error());
            else log::error("service '{}': cannot start: {}", name, p.error());
            continue;
        }
        log::info("service '{}' started as pid {}", name, p.value()->pid);
        sched_add(p.value());
        if (!concurrent) sched_run(log_exit);
    }
    // Every service exists: endpoints now live only as long as their holders.
    boot_package_release_exports();
    sched_run(log_exit);
    log::info("services done: frames free {} heap bytes {} allocations {} memory objects {} endpoints {} "
              "process handles {} sessions {}",
              frames().free_frames(), kheap().live_bytes(), kheap().live_allocations(), memory_objects_live(),
              endpoints_live(), process_handles_live(), sessions_live());
    log::info("scheduler: {} ticks, {} switches, {} handoffs, {} idle halts", sched_ticks(), sched_switches(),
              sched_handoffs(), sched_idle_halts());
}

// `cycles=N`: start and end the first service N times; the counters must
// come back exactly (the scenario compares the two lines).
void run_cycles(uint64_t n) {
    StringView name = "?";
    log::info("cycles: before: frames free {} heap bytes {} allocations {}", frames().free_frames(),
              kheap().live_bytes(), kheap().live_allocations());
    uint64_t ok = 0;
    for (uint64_t i = 0; i < n; ++i) {
        auto p = create_service(0, &name, nullptr);
        if (!p.ok()) {
            log::error("cycles: start {} failed: {}", i, p.error());
            break;
        }
        sched_add(p.value());
        sched_run(nullptr);
        ++ok;
    }
    log::info("cycles: {} starts and exits of '{}'", ok, name);
    log::info("cycles: after: frames free {} heap bytes {} allocations {}", frames().free_frames(),
              kheap().live_bytes(), kheap().live_allocations());
}

void log_counters(StringView when) {
    log::info("memory {}: frames total {} free {} used {}; heap live bytes {} allocations {}", when,
              frames().total_frames(), frames().free_frames(), frames().used_frames(),
              kheap().live_bytes(), kheap().live_allocations());
}

}  // namespace

extern "C" [[noreturn]] void kmain(uint32_t protocol, uint64_t info_phys) {
    arch::com1().init(arch::kCom1);
    run_global_constructors();
    arch::gdt_init();
    arch::idt_init();

    const char* via = protocol == BOOT_PROTOCOL_MULTIBOOT2 ? "multiboot2"
                      : protocol == BOOT_PROTOCOL_PVH      ? "pvh"
                                                           : "an unknown protocol";
    log::info("capOS {} (commit {}) booting via {}", CAPOS_VERSION, CAPOS_COMMIT, via);

    BootPhysicalReader reader;
    Result<void> parsed = Error::Unsupported;
    if (protocol == BOOT_PROTOCOL_MULTIBOOT2) {
        parsed = boot::parse_multiboot2(reader, info_phys, g_boot_info);
    } else if (protocol == BOOT_PROTOCOL_PVH) {
        parsed = boot::parse_pvh(reader, info_phys, g_boot_info);
    } else {
        g_boot_info.error_detail = "the boot loader is neither Multiboot2 nor PVH";
    }
    if (!parsed.ok())
        panic("boot information rejected: {} ({})", g_boot_info.error_detail, parsed.error());

    BootOptions options;
    parse_boot_options(g_boot_info.cmdline, options);
    if (g_boot_info.cmdline_truncated) log::warn("cmdline: truncated to {} bytes", boot::kMaxCmdline - 1);
    log::info("cmdline: '{}'", g_boot_info.cmdline);
    log_memory_map(g_boot_info);

    uint64_t info_size = 0;
    if (protocol == BOOT_PROTOCOL_MULTIBOOT2) info_size = *static_cast<uint32_t*>(phys_to_virt(info_phys));
    memory_init(g_boot_info, info_phys, info_size);
    address_space_init();
    memory_release_high();
    auto stack = alloc_kernel_stack();
    if (!stack.ok()) panic("no memory for the ring-3 entry stack");
    arch::cpu_init(stack.value());
    sched_init();
    clock_calibrate();
    log_counters("at boot");

    for (size_t i = 0; i < g_boot_info.module_count; ++i) {
        const auto& m = g_boot_info.modules[i];
        log::info("module {}: '{}' {} bytes", i, m.name, m.end - m.start);
    }
    bool have_package = false;
    if (g_boot_info.module_count == 0) {
        log::error("boot: no boot package module was loaded (expected one GRUB module or -initrd)");
    } else {
        const auto& m = g_boot_info.modules[0];
        const char* why = "";
        auto opened = boot_package_open(
            std::span<const uint8_t>(static_cast<const uint8_t*>(phys_to_virt(m.start)), m.end - m.start), &why);
        if (!opened.ok()) log::error("boot package refused: {} ({})", why, opened.error());
        have_package = opened.ok();
    }

    run_selftests(options);
    if (have_package) {
        if (options.cycles) run_cycles(options.cycles);
        else if (options.init_boot) run_init(log_exit);
        else run_services(options.concurrent_services);
    }

    log::info("boot complete");
    if (options.shutdown) {
        log::info("shutdown: exiting QEMU");
        arch::qemu_exit(arch::kQemuExitSuccess);
    }
    log::info("nothing more to run; in QEMU press Ctrl-A then X to quit");
    arch::halt_forever();
}

}  // namespace capos
