// SystemInfo (schema/capos.capnp): the message of the day (the manifest's
// kernelParams.motd, "" when unset or unreadable) and the kernel's version
// and commit as the boot banner prints them. One object for the system.
#pragma once

#include "kernel/cap/cap_object.hpp"

namespace capos {

CapObject& system_info();

}  // namespace capos
