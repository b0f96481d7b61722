// fault_pagefault: reads 0x10000000, inside the image window but mapped by
// no segment. The kernel must end the process with a page fault (#PF, user,
// not present) and keep running. Exit code 1 means the read succeeded.
#include <cstdint>

#include "user/rt/rt.hpp"

int capos_main(const capos::rt::StartInfo&) {
    auto* p = reinterpret_cast<volatile uint64_t*>(0x10000000);
    uint64_t v = *p;
    return 1 + static_cast<int>(v & 0);
}
