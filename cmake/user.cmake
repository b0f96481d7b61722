# capOS user programs.
#
# capos_user_program(NAME [TLS] SOURCES src... [LIBS lib...])
#   Builds target user_NAME: a static, non-PIE x86_64 ELF at
#   ${CMAKE_BINARY_DIR}/user/NAME.elf, compiled with capos_user_flags and
#   linked with the runtime (capos_rt, user/rt) by user/rt/user.ld. LIBS are
#   further user-flavour static libraries (e.g. ring_user); they, the runtime
#   and lib/'s mm_user and base_user are linked as one group, so their
#   mutual references resolve in any order. libgcc comes last. TLS marks a
#   program that has __thread variables (PT_TLS); the ELF check refuses
#   PT_TLS anywhere else, since every TLS image costs its process a mapping.
#
# Every program is appended to the global property CAPOS_USER_PROGRAMS
# (target names); host.user_elf_valid (user/tests/host_check) runs the
# kernel's ELF validator over all of them.
#
# Needs cmake/capos.cmake (capos_user_flags) and the targets capos_rt,
# mm_user and base_user (add_subdirectory(lib) and add_subdirectory(user)).

get_filename_component(CAPOS_USER_LINKER_SCRIPT
    ${CMAKE_CURRENT_LIST_DIR}/../user/rt/user.ld ABSOLUTE)

function(capos_user_program name)
    if(CAPOS_FUZZ_BUILD)
        return()
    endif()
    cmake_parse_arguments(P "TLS" "" "SOURCES;LIBS" ${ARGN})
    if(NOT P_SOURCES)
        message(FATAL_ERROR "capos_user_program(${name}): no SOURCES")
    endif()
    set(target user_${name})
    add_executable(${target} ${P_SOURCES})
    set_target_properties(${target} PROPERTIES
        OUTPUT_NAME ${name}
        SUFFIX ".elf"
        RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/user
        LINK_DEPENDS ${CAPOS_USER_LINKER_SCRIPT}
        CAPOS_USER_TLS ${P_TLS})
    target_compile_options(${target} PRIVATE -ffunction-sections -fdata-sections)
    set(group ${P_LIBS} capos_rt mm_user base_user)
    string(REPLACE ";" "," group "${group}")
    target_link_libraries(${target} PRIVATE capos_user_flags
        "$<LINK_GROUP:RESCAN,${group}>" gcc)
    # -z separate-code: ld never lets code share a page with data;
    # -z noexecstack: PT_GNU_STACK is RW; --orphan-handling=error: a section
    # user.ld does not place fails the link (see user.ld).
    target_link_options(${target} PRIVATE
        -nostdlib -static -no-pie -T ${CAPOS_USER_LINKER_SCRIPT}
        -Wl,-z,max-page-size=0x1000 -Wl,-z,separate-code -Wl,-z,noexecstack
        -Wl,--gc-sections -Wl,--orphan-handling=error -Wl,--build-id=none)
    set_property(GLOBAL APPEND PROPERTY CAPOS_USER_PROGRAMS ${target})
endfunction()

# capos_user_add_elf_check(): the CTest test host.user_elf_valid, which runs
# user_elf_check (user/tests/host_check) over every program in
# CAPOS_USER_PROGRAMS. user/tests/host_check defers this call to the end of
# the top-level directory, so programs defined anywhere are included.
function(capos_user_add_elf_check)
    get_property(programs GLOBAL PROPERTY CAPOS_USER_PROGRAMS)
    set(args "")
    foreach(t ${programs})
        get_target_property(tls ${t} CAPOS_USER_TLS)
        if(tls)
            list(APPEND args "tls:$<TARGET_FILE:${t}>")
        else()
            list(APPEND args "$<TARGET_FILE:${t}>")
        endif()
    endforeach()
    add_test(NAME host.user_elf_valid COMMAND user_elf_check ${args})
    set_tests_properties(host.user_elf_valid PROPERTIES LABELS host TIMEOUT 120)
endfunction()
