// Init-owned boot (issue #8, docs/boot.md): with `boot=init` on the command
// line (BootOptions::init_boot) the kernel starts only the manifest's initConfig, as process "init",
// with the kernel capabilities its grants name (BootPackage among them) and
// its resource profile. init reads the manifest, validates the service
// graph and (once ProcessSpawner exists) starts the services itself.
//
// Without `boot=init` the kernel still starts every manifest service itself
// (main.cpp's run_services), until init can spawn them.
#pragma once

#include <cstdint>

#include "lib/base/string_view.hpp"

namespace capos {

struct Process;

// Starts init and runs the scheduler until every process has exited,
// calling on_exit for each; then logs the kernel's counters ("init done:
// ..."). Logs and returns if init cannot be created.
void run_init(void (*on_exit)(Process* p, int64_t code));

}  // namespace capos
