// Kernel command-line options. Unknown options are warned about and ignored.
//
//   log=debug|info|warn|error   log level (default info)
//   shutdown                    exit QEMU with the success status when boot is done
//   test=NAME                   run an in-kernel test (repeatable): frames, heap,
//                               pagefault, gpf (these two fault on purpose),
//                               usercopy, smap (a kernel access to user memory
//                               outside the helpers: faults when SMAP is on),
//                               ubsan (a signed overflow: traps, a #UD panic,
//                               in the UBSan build capos-ubsan.elf only)
//   cycles=N                    start and end the first service N times
//                               (a kernel test: the manifest's init is not run)
//   boot=init|services          start only the manifest's initConfig, which
//                               reads the manifest and starts the services
//                               (kernel/init_boot.hpp; the default), or, for
//                               kernel scenarios that run without init, every
//                               service the kernel can grant itself
//   services=sequential|concurrent  with boot=services: run the services one
//                               after another (default) or all at once
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/base/string_view.hpp"

namespace capos {

enum class KernelTest : uint8_t { Frames, Heap, PageFault, GeneralProtection, UserCopy, Smap, Ubsan };

struct BootOptions {
    bool shutdown = false;
    KernelTest tests[8];
    size_t test_count = 0;
    uint64_t cycles = 0;  // cycles=N: start/exit the first service N times
    bool concurrent_services = false;  // services=concurrent
    bool init_boot = true;             // boot=init (boot=services clears it)
};

void parse_boot_options(StringView cmdline, BootOptions& out);

}  // namespace capos
