// capOS ABI: the user address layout and the process entry ABI.
//
// Every process sees the same fixed layout. The kernel maps the ring, the
// CapSet page, the TLS block and the stack at these addresses at spawn; the
// program image (static ELF, PT_LOAD segments) must lie inside
// [kUserImageMin, kUserImageLimit); the rest of the lower half up to the
// stack region is free for VirtualMemory / MemoryObject mappings.
//
//   0x0000_8000_0000_0000  +------------------------------+ kUserTop (exclusive)
//                          | never mapped (SYSRET guard)  | 4 KiB
//   0x0000_7FFF_FFFF_F000  +------------------------------+ kUserSysretGuard
//                          | CapSet page       R  NX      | 4 KiB
//   0x0000_7FFF_FFFF_E000  +------------------------------+ kCapSetAddress
//                          | unmapped                     |
//   0x0000_7FFF_FFF1_0000  +------------------------------+
//                          | ring window       RW NX      | kRingWindowBytes; the
//                          |   (header, SQ, CQ)           | ring uses ring_bytes()
//   0x0000_7FFF_FFF0_0000  +------------------------------+ kRingAddress
//                          | unmapped                     |
//   0x0000_7FFF_FFE1_0000  +------------------------------+
//                          | TLS region        RW NX      | kTlsRegionBytes
//                          |   TLS block | TCB (%fs:0)    |
//   0x0000_7FFF_FFE0_0000  +------------------------------+ kTlsRegionBase
//                          | unmapped                     |
//   0x0000_7FFF_F000_0000  +------------------------------+ kStackTop
//                          | stack             RW NX      | kStackBytes
//   0x0000_7FFF_EFFC_0000  +------------------------------+ kStackBottom
//                          | guard page (never mapped)    | 4 KiB
//   0x0000_7FFF_EFFB_F000  +------------------------------+ kStackGuard
//                          | reserved for stack growth    |
//   0x0000_7FFF_EF80_0000  +------------------------------+ kStackRegionBase
//                          | mapping area                 |
//                          |  (VirtualMemory, MemoryObject)|
//   0x0000_0001_0000_0000  +------------------------------+ kUserMapMin == kUserImageLimit
//                          | program image (PT_LOAD)      |
//   0x0000_0000_0020_0000  +------------------------------+ kUserImageMin
//                          | never mapped                 |
//   0x0000_0000_0000_0000  +------------------------------+
//
// Entry ABI (first instruction of the ELF entry point):
//   RDI = kRingAddress            (the ring header)
//   RSI = process id              (nonzero, unique while the process lives)
//   RDX = kCapSetAddress, or 0 when the process has no CapSet page
//   RSP = kInitialStackPointer    (== kStackTop - 8; [RSP] holds 0, a fake
//                                  return address, so the entry point may be
//                                  an ordinary SysV function that never returns)
//   FS.base = kTlsThreadPointer when the image has PT_TLS, else 0
//   RFLAGS: IF = 1, DF = 0; every other general register is 0;
//   x87/SSE state: FCW = 0x037F, MXCSR = 0x1F80.
//
// Contract: docs/abi.md, "User address layout" and "Process entry".
#pragma once

#include <cstdint>

namespace capos::abi {

inline constexpr uint64_t kPageSize = 4096;

// The user half: [kUserMin, kUserTop). Every user buffer named in an SQE
// must lie inside it.
inline constexpr uint64_t kUserMin = 0x0000'0000'0000'1000;
inline constexpr uint64_t kUserTop = 0x0000'8000'0000'0000;
// The last page of the user half is never mapped: SYSRET to a non-canonical
// RIP (a syscall instruction in the last page) would fault in ring 0.
inline constexpr uint64_t kUserSysretGuard = kUserTop - kPageSize;

// The program image: every PT_LOAD segment lies in [kUserImageMin, kUserImageLimit).
inline constexpr uint64_t kUserImageMin = 0x0000'0000'0020'0000;
inline constexpr uint64_t kUserImageLimit = 0x0000'0001'0000'0000;

// The CapSet page (read-only, abi/capset.hpp).
inline constexpr uint64_t kCapSetAddress = 0x0000'7FFF'FFFF'E000;
inline constexpr uint64_t kCapSetBytes = kPageSize;

// The ring (abi/ring.hpp). The window is reserved whole; the ring occupies
// its first ring_bytes(sq_entries, cq_entries) bytes.
inline constexpr uint64_t kRingAddress = 0x0000'7FFF'FFF0'0000;
inline constexpr uint64_t kRingWindowBytes = 0x1'0000;

// TLS (x86_64 variant II). The thread pointer (FS.base) points at the TCB,
// whose first word the kernel sets to the thread pointer itself. The TLS
// block (PT_TLS image: filesz bytes copied, the rest up to memsz zeroed)
// ends at the thread pointer: it starts at
//   kTlsThreadPointer - align_up(memsz, max(p_align, 1)).
inline constexpr uint64_t kTlsRegionBase = 0x0000'7FFF'FFE0'0000;
inline constexpr uint64_t kTlsRegionBytes = 0x1'0000;
inline constexpr uint64_t kTlsTcbBytes = 64;
inline constexpr uint64_t kTlsThreadPointer = kTlsRegionBase + kTlsRegionBytes - kTlsTcbBytes;
// The largest PT_TLS memsz (after alignment) a program may have.
inline constexpr uint64_t kTlsMaxBytes = kTlsRegionBytes - kTlsTcbBytes;

// The main thread's stack: [kStackBottom, kStackTop), a never-mapped guard
// page just below it, and the rest of [kStackRegionBase, kStackGuard)
// reserved (unmapped) for later growth.
inline constexpr uint64_t kStackTop = 0x0000'7FFF'F000'0000;
inline constexpr uint64_t kStackBytes = 0x4'0000;  // 256 KiB
inline constexpr uint64_t kStackBottom = kStackTop - kStackBytes;
inline constexpr uint64_t kStackGuard = kStackBottom - kPageSize;
inline constexpr uint64_t kStackRegionBytes = 0x80'0000;  // 8 MiB
inline constexpr uint64_t kStackRegionBase = kStackTop - kStackRegionBytes;
inline constexpr uint64_t kInitialStackPointer = kStackTop - 8;

// The area VirtualMemory and MemoryObject mappings may use.
inline constexpr uint64_t kUserMapMin = kUserImageLimit;
inline constexpr uint64_t kUserMapLimit = kStackRegionBase;

static_assert(kUserMin % kPageSize == 0 && kUserTop % kPageSize == 0);
static_assert(kUserImageMin % kPageSize == 0 && kUserImageLimit % kPageSize == 0);
static_assert(kUserMin <= kUserImageMin && kUserImageMin < kUserImageLimit);
static_assert(kUserImageLimit <= kUserMapMin && kUserMapMin < kUserMapLimit);
static_assert(kUserMapLimit == kStackRegionBase && kStackRegionBase < kStackGuard);
static_assert(kStackGuard % kPageSize == 0 && kStackBottom % kPageSize == 0);
static_assert(kStackTop % 16 == 0 && kInitialStackPointer % 16 == 8);
static_assert(kStackTop < kTlsRegionBase);
static_assert(kTlsRegionBase % kPageSize == 0 && kTlsRegionBytes % kPageSize == 0);
static_assert(kTlsThreadPointer % 64 == 0);
static_assert(kTlsRegionBase + kTlsRegionBytes <= kRingAddress);
static_assert(kRingAddress % kPageSize == 0 && kRingWindowBytes % kPageSize == 0);
static_assert(kRingAddress + kRingWindowBytes <= kCapSetAddress);
static_assert(kCapSetAddress % kPageSize == 0);
static_assert(kCapSetAddress + kCapSetBytes == kUserSysretGuard);

}  // namespace capos::abi
