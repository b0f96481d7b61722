// Physical memory, the direct map and the kernel heap.
//
// Until the kernel builds its own address space, the boot page tables map
// the first 1 GiB of physical memory at DIRECT_MAP_BASE (boot.S); frames
// above that are not used by the kernel yet.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/arch/x86_64/boot_defs.hpp"
#include "lib/boot/boot_info.hpp"
#include "lib/mm/frame_allocator.hpp"
#include "lib/mm/heap.hpp"

namespace capos {

inline constexpr uint64_t kDirectMapBase = DIRECT_MAP_BASE;
inline constexpr uint64_t kDirectMapLimit = uint64_t{1} << 30;  // boot mapping covers 1 GiB

inline void* phys_to_virt(uint64_t phys) {
    return reinterpret_cast<void*>(kDirectMapBase + phys);
}
inline uint64_t virt_to_phys(const void* p) {
    return reinterpret_cast<uint64_t>(p) - kDirectMapBase;
}

// Set up the frame allocator from the normalised memory map, reserving
// frame 0, the kernel image, the boot modules, the boot information and
// the allocator's own bitmap. Panics only if no usable memory exists.
void memory_init(const boot::BootInfo& info, uint64_t info_phys, uint64_t info_size);

// After the kernel's direct map covers all RAM: hand out frames above 1 GiB.
void memory_release_high();

mm::FrameAllocator& frames();
mm::Heap& kheap();

void* kheap_alloc(size_t size);
void kheap_free(void* p);

}  // namespace capos
