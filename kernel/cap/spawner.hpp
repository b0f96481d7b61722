// ProcessSpawner and ProcessHandle (schema/capos.capnp; docs/boot.md).
//
// ProcessSpawner.spawn starts a binary of the boot package as a new
// process whose CapSet holds exactly the grants named: kernel capabilities
// minted for it, capabilities the caller passes (copied, through the
// CALL's transfer descriptors: grant source `capability = i` names the
// i-th descriptor) and fresh endpoints (the child gets the raw endpoint,
// the caller a client facet in `exports`). Every grant is checked before
// anything is created; on any exception no process exists and no
// capability moved. The child's limits never exceed the caller's.
//
// ProcessHandle.wait completes with the child's exit code, at once when it
// has already exited, else when it exits (one waiter at a time).
#pragma once

#include <cstdint>

#include "kernel/cap/cap_object.hpp"

namespace capos {

struct Process;

// The ProcessSpawner object (one for the system).
CapObject& process_spawner();

// Process teardown: p's handle learns its exit code (and answers a waiting
// wait()); any wait() p itself was blocked in is forgotten.
void process_handles_process_gone(Process& p);

// The live process behind a ProcessHandle capability, or null when it has
// exited (`handle` must serve ProcessHandle).
Process* process_handle_child(CapObject& handle);

// ProcessHandle objects alive (tests compare before and after).
uint64_t process_handles_live();

}  // namespace capos
