# Boot packages of the shell scenarios (issue #11, docs/shell.md): qemu.shell*.
capos_boot_package(shell MANIFEST system/scenarios/shell.capnp
    BINARIES shell=user_shell hello=user_hello exit_code=user_exit_code greet=user_greet)
