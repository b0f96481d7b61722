# Boot packages of the ring scenarios (system/scenarios/ring_*.capnp,
# tests/qemu/scenarios/ring_*.scn). Included by tests/qemu/CMakeLists.txt.
capos_boot_package(ring_hello MANIFEST system/scenarios/ring_hello.capnp
    BINARIES hello=user_hello console_hook=user_console_hook)
foreach(p hostile garbage flood fuzz)
    capos_boot_package(ring_${p} MANIFEST system/scenarios/ring_${p}.capnp
        BINARIES hello=user_hello ring_${p}=user_ring_${p})
endforeach()
