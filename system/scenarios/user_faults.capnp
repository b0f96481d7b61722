# Stage 1-3 scenario: each program faults in ring 3 in its own way; each
# fault ends only that process, and the well-behaved one after them still
# runs (tests/qemu/scenarios/user_faults.scn).
@0xcab0500000000202;
using S = import "/schema/capos.capnp";
const manifest :S.SystemManifest = (
  schemaVersion = S.manifestSchemaVersion,
  binaries = [
    (name = "fault_pagefault"), (name = "fault_kernel_read"), (name = "fault_gpf"),
    (name = "fault_privileged"), (name = "fault_halt"), (name = "fault_io_port"),
    (name = "fault_divide"), (name = "fault_ud"), (name = "fault_stack_overflow"),
    (name = "fault_write_rodata"), (name = "fault_write_text"), (name = "fault_exec_data"),
    (name = "fault_exec_stack"), (name = "exit_code"),
  ],
  initConfig = (binary = "exit_code"),
  services = [
    (name = "pagefault", binary = "fault_pagefault"),
    (name = "kernel-read", binary = "fault_kernel_read"),
    (name = "gpf", binary = "fault_gpf"),
    (name = "privileged", binary = "fault_privileged"),
    (name = "halt", binary = "fault_halt"),
    (name = "io-port", binary = "fault_io_port"),
    (name = "divide", binary = "fault_divide"),
    (name = "ud", binary = "fault_ud"),
    (name = "stack-overflow", binary = "fault_stack_overflow"),
    (name = "write-rodata", binary = "fault_write_rodata"),
    (name = "write-text", binary = "fault_write_text"),
    (name = "exec-data", binary = "fault_exec_data"),
    (name = "exec-stack", binary = "fault_exec_stack"),
    (name = "survivor", binary = "exit_code"),
  ],
);
