#include "kernel/init_boot.hpp"

#include "abi/capset.hpp"
#include "kernel/boot_package.hpp"
#include "kernel/cap/memory.hpp"
#include "kernel/cap/session.hpp"
#include "kernel/cap/spawner.hpp"
#include "kernel/ipc/endpoint.hpp"
#include "kernel/log.hpp"
#include "kernel/mm/memory.hpp"
#include "kernel/proc/process.hpp"
#include "kernel/proc/sched.hpp"

namespace capos {

void run_init(void (*on_exit)(Process* p, int64_t code)) {
    StringView binary = "?";
    std::span<const uint8_t> elf;
    InitialCap caps[abi::kCapSetMaxEntries];
    size_t ncaps = 0;
    mm::Limits limits;
    auto found = boot_package_init(&binary, &elf, caps, abi::kCapSetMaxEntries, &ncaps, &limits);
    if (!found.ok()) {
        boot_package_release_temps();
        boot_package_release_exports();
        log::error("init: binary '{}' cannot be started: {}", binary, found.error());
        return;
    }
    elf::Rejection why;
    auto p = process_create("init", elf.data(), elf.size(), &why, std::span<const InitialCap>(caps, ncaps), limits);
    // init's grants are kernel capabilities (mkmanifest refuses others), but
    // drop whatever boot_package_init made for them either way.
    boot_package_release_temps();
    boot_package_release_exports();
    if (!p.ok()) {
        if (!why.empty()) log::error("init: binary '{}' refused: {} ({})", binary, why.c_str(), p.error());
        else log::error("init: binary '{}' cannot be started: {}", binary, p.error());
        return;
    }
    log::info("init ('{}') started as pid {} with {} capabilities", binary, p.value()->pid, ncaps);
    sched_add(p.value());
    sched_run(on_exit);
    log::info("init done: frames free {} heap bytes {} allocations {} endpoints {} sessions {} memory objects {} "
              "process handles {}",
              frames().free_frames(), kheap().live_bytes(), kheap().live_allocations(), endpoints_live(),
              sessions_live(), memory_objects_live(), process_handles_live());
}

}  // namespace capos
