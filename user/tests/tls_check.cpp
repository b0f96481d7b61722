// tls_check: static TLS (x86_64 variant II, abi/layout.hpp). The image has a
// PT_TLS segment; the kernel copies its template below the thread pointer
// kTlsThreadPointer, zeroes the rest and points FS.base at the TCB, whose
// first word is the thread pointer itself.
//
// Exit code 0 when every check held, else the number of the first failure:
//   1 %fs:0 is not kTlsThreadPointer     2 initialised variable wrong
//   3 zero-initialised variable nonzero  4 64-byte-aligned array wrong
//   5 a variable lies outside the TLS region
//   6 the aligned array is misaligned    7 stores do not read back
#include <cstdint>

#include "abi/layout.hpp"
#include "user/rt/rt.hpp"

namespace {
namespace abi = capos::abi;

__thread uint32_t t_init = 0x1234'5678;
__thread uint64_t t_zero;
alignas(64) __thread uint8_t t_aligned[40] = {0xa5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                              14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
                                              26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
                                              38, 0x5a};

uint64_t fs_self() {
    uint64_t v;
    asm volatile("mov %%fs:0, %0" : "=r"(v));
    return v;
}

bool in_tls_block(const volatile void* p, uint64_t size) {
    auto a = reinterpret_cast<uint64_t>(p);
    return a >= abi::kTlsRegionBase && a + size <= abi::kTlsThreadPointer;
}
}  // namespace

int capos_main(const capos::rt::StartInfo&) {
    if (fs_self() != abi::kTlsThreadPointer) return 1;
    if (t_init != 0x1234'5678) return 2;
    if (t_zero != 0) return 3;
    for (uint32_t i = 1; i < 39; ++i)
        if (t_aligned[i] != i) return 4;
    if (t_aligned[0] != 0xa5 || t_aligned[39] != 0x5a) return 4;
    if (!in_tls_block(&t_init, sizeof(t_init)) || !in_tls_block(&t_zero, sizeof(t_zero)) ||
        !in_tls_block(&t_aligned, sizeof(t_aligned)))
        return 5;
    if (reinterpret_cast<uint64_t>(&t_aligned) % 64 != 0) return 6;
    t_zero = 0xfeed'f00d'dead'beef;
    t_init += 1;
    auto* volatile pz = &t_zero;
    auto* volatile pi = &t_init;
    if (*pz != 0xfeed'f00d'dead'beef || *pi != 0x1234'5679) return 7;
    return 0;
}
