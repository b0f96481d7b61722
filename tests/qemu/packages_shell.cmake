# Boot packages of the shell scenarios (issue #11, docs/shell.md): qemu.shell*.
capos_boot_package(shell MANIFEST system/scenarios/shell.capnp
    BINARIES shell=user_shell hello=user_hello exit_code=user_exit_code greet=user_greet)
# With the AuthorityBroker and AuditLog services (user/auth).
if(TARGET user_auth AND TARGET user_audit)
    capos_boot_package(shell_login MANIFEST system/scenarios/shell_login.capnp
        BINARIES shell=user_shell auth=user_auth audit=user_audit hello=user_hello
                 exit_code=user_exit_code greet=user_greet)
endif()
# The same shell spawned by init (boot=init).
capos_boot_package(shell_init MANIFEST system/scenarios/shell_init.capnp
    BINARIES init=user_init shell=user_shell hello=user_hello exit_code=user_exit_code greet=user_greet)
