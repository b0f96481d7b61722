// Kernel command-line options. Unknown options are warned about and ignored.
//
//   log=debug|info|warn|error   log level (default info)
//   shutdown                    exit QEMU with the success status when boot is done
//   test=NAME                   run an in-kernel test (repeatable): frames, heap,
//                               pagefault, gpf (the last two fault on purpose)
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/base/string_view.hpp"

namespace capos {

enum class KernelTest : uint8_t { Frames, Heap, PageFault, GeneralProtection };

struct BootOptions {
    bool shutdown = false;
    KernelTest tests[8];
    size_t test_count = 0;
};

void parse_boot_options(StringView cmdline, BootOptions& out);

}  // namespace capos
