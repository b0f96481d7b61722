#include "kernel/mm/memory.hpp"

#include "kernel/log.hpp"
#include "kernel/panic.hpp"
#include "lib/base/checked.hpp"

extern "C" char __kernel_phys_start[];
extern "C" char __kernel_phys_end[];

namespace capos {

namespace {

constinit mm::FrameAllocator g_frames;
constinit mm::Heap g_heap;

class DirectMapPageSource final : public mm::PageSource {
public:
    void* alloc_pages(size_t count) override {
        auto r = g_frames.alloc_contiguous(count);
        if (!r.ok()) return nullptr;
        return phys_to_virt(r.value());
    }
    void free_pages(void* p, size_t count) override {
        auto r = g_frames.free_contiguous(virt_to_phys(p), count);
        if (!r.ok()) panic("heap returned pages the frame allocator did not give: {}", r.error());
    }
};
constinit DirectMapPageSource g_page_source;
const boot::BootInfo* g_info = nullptr;
uint64_t g_bitmap_phys = 0;
uint64_t g_bitmap_bytes = 0;

}  // namespace

// Takes frame 0, the kernel image, the boot information and modules and the
// frame bitmap out of circulation.
void reserve_boot_ranges(uint64_t info_phys, uint64_t info_size);

mm::FrameAllocator& frames() { return g_frames; }
mm::Heap& kheap() { return g_heap; }

void* kheap_alloc(size_t size) { return g_heap.alloc(size); }
void kheap_free(void* p) {
    if (!g_heap.free(p)) panic("kernel heap: free of a pointer that is not a live block");
}

void memory_init(const boot::BootInfo& info, uint64_t info_phys, uint64_t info_size) {
    // Highest usable frame we can reach through the boot direct map.
    uint64_t top = 0;
    for (size_t i = 0; i < info.region_count; ++i) {
        const auto& r = info.regions[i];
        if (r.type != boot::RegionType::Usable) continue;
        uint64_t end = r.base + r.length;
        if (end > top) top = end;
    }
    uint64_t frame_limit = top / mm::kFrameSize;
    if (frame_limit == 0) panic("memory: no usable RAM in the memory map");
    // Until the kernel's own direct map exists, only the first 1 GiB (the
    // boot mapping) is handed out; memory_release_high() adds the rest.
    if (top > kDirectMapLimit) top = kDirectMapLimit;

    // Place the bitmap in the first usable region above the kernel and the
    // modules that is large enough.
    uint64_t bitmap_bytes = mm::FrameAllocator::words_needed(frame_limit) * 8;
    uint64_t kernel_start = reinterpret_cast<uint64_t>(__kernel_phys_start);
    uint64_t kernel_end = reinterpret_cast<uint64_t>(__kernel_phys_end);
    auto overlaps = [](uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
        return a < b + blen && b < a + alen;
    };
    uint64_t bitmap_phys = 0;
    for (size_t i = 0; i < info.region_count && !bitmap_phys; ++i) {
        const auto& r = info.regions[i];
        if (r.type != boot::RegionType::Usable) continue;
        uint64_t cand = r.base < 0x100000 ? 0x100000 : r.base;
        uint64_t end = r.base + r.length;
        if (end > top) end = top;
        while (cand + bitmap_bytes <= end) {
            bool clash = overlaps(cand, bitmap_bytes, kernel_start, kernel_end - kernel_start) ||
                         overlaps(cand, bitmap_bytes, info_phys, info_size);
            for (size_t m = 0; m < info.module_count && !clash; ++m)
                clash = overlaps(cand, bitmap_bytes, info.modules[m].start,
                                 info.modules[m].end - info.modules[m].start);
            if (!clash) {
                bitmap_phys = cand;
                break;
            }
            cand += mm::kFrameSize;
        }
    }
    if (!bitmap_phys) panic("memory: no room for the frame bitmap ({} bytes)", bitmap_bytes);

    g_frames.init(static_cast<uint64_t*>(phys_to_virt(bitmap_phys)), frame_limit);
    g_info = &info;
    g_bitmap_phys = bitmap_phys;
    g_bitmap_bytes = bitmap_bytes;
    for (size_t i = 0; i < info.region_count; ++i) {
        const auto& r = info.regions[i];
        if (r.type != boot::RegionType::Usable || r.base >= top) continue;
        g_frames.free_range(r.base, r.base + r.length > top ? top - r.base : r.length);
    }
    reserve_boot_ranges(info_phys, info_size);
    g_heap.init(&g_page_source);
}

void memory_release_high() {
    const auto& info = *g_info;
    for (size_t i = 0; i < info.region_count; ++i) {
        const auto& r = info.regions[i];
        if (r.type != boot::RegionType::Usable || r.base + r.length <= kDirectMapLimit) continue;
        uint64_t base = r.base < kDirectMapLimit ? kDirectMapLimit : r.base;
        g_frames.free_range(base, r.base + r.length - base);
    }
    reserve_boot_ranges(0, 0);
}

void reserve_boot_ranges(uint64_t info_phys, uint64_t info_size) {
    const auto& info = *g_info;
    uint64_t kernel_start = reinterpret_cast<uint64_t>(__kernel_phys_start);
    uint64_t kernel_end = reinterpret_cast<uint64_t>(__kernel_phys_end);
    g_frames.reserve_range(0, mm::kFrameSize);
    g_frames.reserve_range(kernel_start, kernel_end - kernel_start);
    g_frames.reserve_range(info_phys, info_size);
    for (size_t m = 0; m < info.module_count; ++m)
        g_frames.reserve_range(info.modules[m].start, info.modules[m].end - info.modules[m].start);
    g_frames.reserve_range(g_bitmap_phys, g_bitmap_bytes);
}

}  // namespace capos
