// In-kernel tests selected by `test=NAME` on the command line. They print
// lines the QEMU scenarios check (tests/qemu/scenarios).
#pragma once

#include "kernel/boot_options.hpp"

namespace capos {

void run_selftests(const BootOptions& options);

}  // namespace capos
