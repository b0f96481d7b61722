// TerminalSession (schema/capos.capnp; docs/terminal.md): the terminal on
// COM2. One object for the system, shared by every holder of a `terminal`
// grant.
//
// write sends bytes to COM2 as they are. readLine edits a line with
// lib/term's LineEditor and completes when the line ends: bytes already
// received are used at once; otherwise the call is deferred
// (CallContext::defer_external) and completed from the scheduler's idle
// work once COM2's interrupt has delivered the rest. One read at a time:
// a second readLine or readRaw while one waits raises failed. A reader
// that exits while waiting is forgotten (terminal_process_gone); the bytes
// it consumed are gone with it.
//
// Params: readLine's maxBytes 1..4096, history at most 64 entries and
// 16 KiB in all; readRaw's maxBytes 1..4096; write at most 4096 bytes.
// The result buffer must hold a line of maxBytes (32 bytes + maxBytes
// rounded up to 8); anything else is invalidArgument and changes nothing.
#pragma once

#include "kernel/cap/cap_object.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

struct Process;

inline constexpr uint32_t kTerminalMaxWrite = 4096;

// The TerminalSession object; the first call sets up COM2 (receive
// interrupt, IRQ 3, the idle work).
CapObject& terminal_session();

// Process teardown: a read p was waiting in is dropped.
void terminal_process_gone(Process& p);

// Bytes COM2 dropped because its receive buffer was full.
uint64_t terminal_dropped_bytes();

}  // namespace capos
