// Memory capabilities (schema/capos.capnp; docs/memory.md):
//
//   VirtualMemory   one per process, over that process's own address space:
//                   map/unmap/protect anonymous memory, reserve/commit/
//                   decommit ranges, and the process's ledger usage.
//   FrameAllocator  one object; allocate() returns a new MemoryObject
//                   charged to the caller's ledger.
//   MemoryObject    a set of frames; map/unmap into the caller's address
//                   space. Freed when the last capability and the last
//                   mapping are gone.
//
// Every operation checks its whole request against the caller's region
// map (lib/mm/region_map.hpp) and ledger before it changes a page table,
// and undoes its own partial work on failure: a refused call changes
// nothing.
#pragma once

#include "kernel/cap/cap_object.hpp"
#include "lib/base/error.hpp"

namespace capos {

struct Process;

// A VirtualMemory capability object for p's own address space (one
// reference, the caller's). p.vm_cap points at it while both live.
Result<CapObject*> virtual_memory_create(Process& p);
// Called as p is destroyed: its VirtualMemory object (if any copy still
// lives) raises `disconnected` from now on.
void virtual_memory_detach(Process& p);

// The FrameAllocator capability object (a singleton).
CapObject& frame_allocator();

// Called as p is destroyed, before its address space: removes every
// MemoryObject mapping (the objects' frames stay theirs).
void unmap_all_memory_objects(Process& p);

// MemoryObjects alive now (tests compare it before and after).
uint64_t memory_objects_live();

}  // namespace capos
