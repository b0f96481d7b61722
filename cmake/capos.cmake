# capOS build helpers: one source tree compiled three ways.
#
#   kernel  freestanding, -mcmodel=kernel, no SSE, no red zone
#   user    freestanding, static, SSE allowed
#   host    hosted, for tools and tests; tests add ASan + UBSan
#
# The fuzz sub-build (CAPOS_FUZZ_BUILD=ON, clang) builds only the host
# flavour of lib/ with libFuzzer instrumentation, and the fuzz targets.
#
# CAPOS_KERNEL_UBSAN (default ON) adds a fourth freestanding flavour,
# kernel_ubsan: the kernel flags plus UndefinedBehaviorSanitizer in trap
# mode (every check is an inline `ud2`, no runtime library), and the kernel
# built from it, build/kernel/capos-ubsan.elf (capos_kernel_ubsan_variant).
# A trap is a #UD in ring 0, which the kernel's exception handler turns
# into a panic naming the vector and RIP. The qemu.ubsan_* scenarios boot it.

option(CAPOS_KERNEL_UBSAN "Also build the kernel with UBSan in trap mode (capos-ubsan.elf)" ON)

set(CAPOS_WARNINGS -Wall -Wextra -Werror)
# The .S files of the kernel and user runtime: preprocessor and assembler
# warnings are errors too.
set(CAPOS_ASM_WARNINGS -Wall -Werror -Wa,--fatal-warnings)

add_library(capos_common_flags INTERFACE)
target_include_directories(capos_common_flags INTERFACE
    ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
target_compile_features(capos_common_flags INTERFACE cxx_std_20)

add_library(capos_kernel_flags INTERFACE)
target_link_libraries(capos_kernel_flags INTERFACE capos_common_flags)
target_compile_options(capos_kernel_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit>
    $<$<COMPILE_LANGUAGE:C,CXX>:${CAPOS_WARNINGS} -O2 -g -ffreestanding
        -fno-asynchronous-unwind-tables -fno-stack-protector -fno-pic -fno-pie
        -mno-red-zone -mcmodel=kernel -mgeneral-regs-only -fno-omit-frame-pointer
        -fno-tree-loop-distribute-patterns>
    $<$<COMPILE_LANGUAGE:ASM>:${CAPOS_ASM_WARNINGS}>
    -DCAPOS_KERNEL=1)

# GCC 12 has no -fsanitize-trap=; -fsanitize-undefined-trap-on-error makes
# every -fsanitize=undefined check trap instead of calling libubsan.
# CAPOS_UBSAN=1 lets the selftest (test=ubsan) know it is in this build.
add_library(capos_kernel_ubsan_flags INTERFACE)
target_link_libraries(capos_kernel_ubsan_flags INTERFACE capos_kernel_flags)
target_compile_options(capos_kernel_ubsan_flags INTERFACE
    $<$<COMPILE_LANGUAGE:C,CXX>:-fsanitize=undefined -fsanitize-undefined-trap-on-error>
    -DCAPOS_UBSAN=1)

add_library(capos_user_flags INTERFACE)
target_link_libraries(capos_user_flags INTERFACE capos_common_flags)
target_compile_options(capos_user_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit>
    $<$<COMPILE_LANGUAGE:C,CXX>:${CAPOS_WARNINGS} -O2 -g -ffreestanding
        -fno-asynchronous-unwind-tables -fno-stack-protector -fno-pic -fno-pie
        -fno-tree-loop-distribute-patterns>
    $<$<COMPILE_LANGUAGE:ASM>:${CAPOS_ASM_WARNINGS}>
    -DCAPOS_USER=1)

add_library(capos_host_flags INTERFACE)
target_link_libraries(capos_host_flags INTERFACE capos_common_flags)
target_compile_options(capos_host_flags INTERFACE ${CAPOS_WARNINGS} -g -DCAPOS_HOST=1)
if(CAPOS_FUZZ_BUILD)
    target_compile_options(capos_host_flags INTERFACE
        -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
    target_link_options(capos_host_flags INTERFACE -fsanitize=address,undefined)
else()
    target_compile_options(capos_host_flags INTERFACE
        -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(capos_host_flags INTERFACE -fsanitize=address,undefined)
endif()

# Plain host flags (no sanitizers) for build tools and benchmarks.
add_library(capos_tool_flags INTERFACE)
target_link_libraries(capos_tool_flags INTERFACE capos_common_flags)
target_compile_options(capos_tool_flags INTERFACE ${CAPOS_WARNINGS} -O2 -g -DCAPOS_HOST=1)

# The flavours every library is built in.
function(capos_flavours out)
    if(CAPOS_FUZZ_BUILD)
        set(${out} host PARENT_SCOPE)
    elseif(CAPOS_KERNEL_UBSAN)
        set(${out} kernel user host tool kernel_ubsan PARENT_SCOPE)
    else()
        set(${out} kernel user host tool PARENT_SCOPE)
    endif()
endfunction()

# capos_library(NAME SOURCES...) -> NAME_kernel, NAME_user, NAME_host, NAME_tool
# and NAME_kernel_ubsan (only NAME_host in the fuzz sub-build). Header-only libraries pass no
# sources and get INTERFACE targets.
function(capos_library name)
    set(srcs ${ARGN})
    capos_flavours(flavours)
    foreach(fl ${flavours})
        if(srcs)
            add_library(${name}_${fl} STATIC ${srcs})
            target_link_libraries(${name}_${fl} PUBLIC capos_${fl}_flags)
        else()
            add_library(${name}_${fl} INTERFACE)
            target_link_libraries(${name}_${fl} INTERFACE capos_${fl}_flags)
        endif()
    endforeach()
endfunction()

# capos_library_link(NAME DEPS...): NAME_<fl> links DEP_<fl> in every flavour.
function(capos_library_link name)
    capos_flavours(flavours)
    foreach(fl ${flavours})
        get_target_property(type ${name}_${fl} TYPE)
        foreach(dep ${ARGN})
            if(type STREQUAL "INTERFACE_LIBRARY")
                target_link_libraries(${name}_${fl} INTERFACE ${dep}_${fl})
            else()
                target_link_libraries(${name}_${fl} PUBLIC ${dep}_${fl})
            endif()
        endforeach()
    endforeach()
endfunction()

# capos_host_test(NAME SOURCES... LIBS libs...): a GoogleTest binary under
# ASan+UBSan, registered as CTest test host.NAME with label "host".
function(capos_host_test name)
    if(CAPOS_FUZZ_BUILD)
        return()
    endif()
    cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
    add_executable(test_${name} ${T_SOURCES})
    target_link_libraries(test_${name} PRIVATE capos_host_flags ${T_LIBS}
        rapidcheck GTest::gtest GTest::gtest_main)
    add_test(NAME host.${name} COMMAND test_${name})
    set_tests_properties(host.${name} PROPERTIES LABELS host TIMEOUT 600
        ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endfunction()

# capos_fuzz_target(NAME SOURCES... LIBS libs... [CORPUS dir] [RUNS n]):
# in the fuzz sub-build, a libFuzzer binary; in the main build, a CTest
# smoke test fuzz.NAME (label "fuzz") that runs it for RUNS inputs over the
# seed corpus. `make fuzz` (tools/fuzz.sh) runs every target for longer.
function(capos_fuzz_target name)
    cmake_parse_arguments(F "" "CORPUS;RUNS" "SOURCES;LIBS" ${ARGN})
    if(NOT F_RUNS)
        set(F_RUNS 20000)
    endif()
    if(CAPOS_FUZZ_BUILD)
        add_executable(fuzz_${name} ${F_SOURCES})
        target_link_libraries(fuzz_${name} PRIVATE capos_host_flags ${F_LIBS})
        target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
        target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    else()
        file(RELATIVE_PATH rel ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR})
        set(exe ${CMAKE_BINARY_DIR}/fuzz/${rel}/fuzz_${name})
        set(args -runs=${F_RUNS} -seed=1 -max_len=4096)
        # libFuzzer writes new inputs into its first corpus folder: give it a
        # scratch folder in the build tree, then the seeds (read only).
        set(scratch ${CMAKE_BINARY_DIR}/fuzz-corpus/${name})
        file(MAKE_DIRECTORY ${scratch})
        set(corpus ${scratch})
        if(F_CORPUS)
            list(APPEND corpus ${F_CORPUS})
        endif()
        add_test(NAME fuzz.${name} COMMAND ${exe} ${args} ${corpus})
        set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 900)
    endif()
endfunction()

# capos_kernel_ubsan_variant(TARGET OUTPUT_NAME): TARGET_ubsan, the same
# executable (sources, link options, dependencies) compiled with
# capos_kernel_ubsan_flags instead of capos_kernel_flags and linked with the
# kernel_ubsan flavour of every lib/ library TARGET links. Call it through
# cmake_language(DEFER CALL ...) so it sees TARGET's final link list.
function(capos_kernel_ubsan_variant target output_name)
    if(NOT CAPOS_KERNEL_UBSAN OR CAPOS_FUZZ_BUILD)
        return()
    endif()
    set(v ${target}_ubsan)
    get_target_property(srcs ${target} SOURCES)
    add_executable(${v} ${srcs})
    set(libs "")
    get_target_property(links ${target} LINK_LIBRARIES)
    foreach(l ${links})
        if(l STREQUAL "capos_kernel_flags")
            list(APPEND libs capos_kernel_ubsan_flags)
        elseif(l MATCHES "^(.+)_kernel$")
            # (${CMAKE_MATCH_1} is expanded before the MATCHES runs: test it apart.)
            if(NOT TARGET ${CMAKE_MATCH_1}_kernel_ubsan)
                message(FATAL_ERROR "${v}: no UBSan flavour of ${l}")
            endif()
            list(APPEND libs ${CMAKE_MATCH_1}_kernel_ubsan)
        else()
            list(APPEND libs ${l})
        endif()
    endforeach()
    target_link_libraries(${v} PRIVATE ${libs})
    capos_copy_kernel_variant_properties(${target} ${v} ${output_name})
endfunction()

# capos_copy_kernel_variant_properties(TARGET VARIANT OUTPUT_NAME): gives a
# kernel variant (capos_kernel_ubsan_variant, kernel_measure in
# kernel/CMakeLists.txt) TARGET's link options, compile settings and
# dependencies, and names its file OUTPUT_NAME.
function(capos_copy_kernel_variant_properties target v output_name)
    foreach(prop LINK_OPTIONS LINK_DEPENDS COMPILE_OPTIONS COMPILE_DEFINITIONS INCLUDE_DIRECTORIES)
        get_target_property(val ${target} ${prop})
        if(val)
            set_property(TARGET ${v} PROPERTY ${prop} ${val})
        endif()
    endforeach()
    get_target_property(deps ${target} MANUALLY_ADDED_DEPENDENCIES)
    if(deps)
        add_dependencies(${v} ${deps})
    endif()
    set_target_properties(${v} PROPERTIES OUTPUT_NAME ${output_name} SUFFIX "")
endfunction()
