# Boot packages of the credential, entropy and audit scenarios (issue #11,
# docs/auth.md): qemu.entropy*, qemu.auth*.
capos_boot_package(entropy MANIFEST system/scenarios/entropy.capnp BINARIES entropy_check=user_entropy_check)
capos_boot_package(auth MANIFEST system/scenarios/auth.capnp
    BINARIES auth=user_auth audit=user_audit auth_check=user_auth_check)
