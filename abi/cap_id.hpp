// capOS ABI: capability ids.
//
// A capability id names one slot of the calling process's capability table.
// It is meaningful only inside that process. 32 bits:
//
//   31                16 15                 0
//   +-------------------+-------------------+
//   |    generation     |    slot index     |
//   +-------------------+-------------------+
//
// Invariant: a live slot's generation is never 0, so every id whose
// generation bits are 0 (in particular kCapIdNone == 0) never resolves.
// Releasing a capability bumps its slot's generation (0xFFFF wraps to 1),
// so an id kept after its release fails as stale until that slot has been
// reused 65535 times.
//
// Layout contract: docs/abi.md, "Capability ids".
#pragma once

#include <cstdint>

namespace capos::abi {

using CapId = uint32_t;

inline constexpr CapId kCapIdNone = 0;
inline constexpr uint32_t kCapIdIndexBits = 16;
inline constexpr uint32_t kCapIdIndexMask = (uint32_t{1} << kCapIdIndexBits) - 1;
inline constexpr uint32_t kCapIdGenerationMax = 0xFFFF;
// The most slots one table can have (indices 0..kCapTableMaxSlots-1).
inline constexpr uint32_t kCapTableMaxSlots = uint32_t{1} << kCapIdIndexBits;

constexpr uint32_t cap_id_index(CapId id) { return id & kCapIdIndexMask; }
constexpr uint32_t cap_id_generation(CapId id) { return id >> kCapIdIndexBits; }

// Precondition: index < kCapTableMaxSlots, 1 <= generation <= kCapIdGenerationMax.
constexpr CapId make_cap_id(uint32_t index, uint32_t generation) {
    return (generation << kCapIdIndexBits) | (index & kCapIdIndexMask);
}

// The generation that follows `generation` when a slot is released.
constexpr uint32_t next_cap_generation(uint32_t generation) {
    return generation >= kCapIdGenerationMax ? 1 : generation + 1;
}

static_assert(cap_id_generation(kCapIdNone) == 0);
static_assert(make_cap_id(0, 1) == 0x0001'0000);
static_assert(make_cap_id(0xFFFF, 0xFFFF) == 0xFFFF'FFFF);
static_assert(next_cap_generation(kCapIdGenerationMax) == 1);

}  // namespace capos::abi
