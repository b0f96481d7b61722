// Sessions (schema/capos.capnp SessionContext, SessionBroker; docs/sessions.md).
//
// A Session is an immutable record (opaque id, profile label, creation
// time) shared by the processes running in it. Every process has exactly
// one, fixed by process_create: the boot session for processes the kernel
// starts, the spawner's for a child, or one a SessionBroker created when
// the spawn names it. Nothing ever replaces a process's session.
//
// SessionContext capabilities come in two kinds over the same record: the
// view a process gets from the `session` kernel grant (info only), and the
// selectable one SessionBroker.create returns, which ProcessSpawner.spawn
// accepts as the child's session.
#pragma once

#include <cstdint>

#include "kernel/cap/cap_object.hpp"
#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"

namespace capos {

struct Session;

// The boot session (profile "system"), created on first use; the caller
// gets no reference (it lives for the whole boot).
Session& session_boot();

void session_retain(Session& s);
void session_release(Session& s);
uint64_t session_id(const Session& s);

// A new SessionContext view of `s` (info only) with one reference, or null
// when the kernel heap is exhausted.
CapObject* session_view_create(Session& s);

// The session behind `object` if it is a selectable SessionContext (one
// SessionBroker.create returned), else null.
Session* session_selectable(CapObject& object);

// The SessionBroker object (one for the system).
CapObject& session_broker();

// Session records alive, boot session included (tests compare before and after).
uint64_t sessions_live();

}  // namespace capos
