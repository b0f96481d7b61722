# Boot packages of the credential, entropy and audit scenarios (issue #11,
# docs/auth.md): qemu.entropy*, qemu.auth*.
capos_boot_package(entropy MANIFEST system/scenarios/entropy.capnp BINARIES entropy_check=user_entropy_check)
