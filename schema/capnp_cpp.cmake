# Debian's capnpc-c++ output for schema/capos.capnp, for host tools and
# tests only (libcapnp needs the hosted library). Used by tools/mkmanifest,
# tests/host/codegen and, in the fuzz sub-build, tests/fuzz/manifest.
#
# capos_schema_capnp_cpp() defines the static library
# capos_schema_capnp_cpp once: include "schema/capos.capnp.h", namespace
# capos::host. It is compiled without sanitizers so that it links into both
# plain tools and sanitized tests.
function(capos_schema_capnp_cpp)
    if(TARGET capos_schema_capnp_cpp)
        return()
    endif()
    find_program(CAPOS_CAPNP capnp REQUIRED)
    # Interfaces in the generated code need the RPC half of libcapnp.
    if(NOT TARGET PkgConfig::CAPNP_RPC)
        find_package(PkgConfig REQUIRED)
        pkg_check_modules(CAPNP_RPC REQUIRED IMPORTED_TARGET GLOBAL capnp-rpc)
    endif()
    set(gen ${CMAKE_BINARY_DIR}/generated)
    add_custom_command(
        OUTPUT ${gen}/schema/capos.capnp.h ${gen}/schema/capos.capnp.c++
        COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}
        COMMAND ${CAPOS_CAPNP} compile -I${CMAKE_SOURCE_DIR} --src-prefix=${CMAKE_SOURCE_DIR}
                -oc++:${gen} ${CMAKE_SOURCE_DIR}/schema/capos.capnp
        DEPENDS ${CMAKE_SOURCE_DIR}/schema/capos.capnp ${CMAKE_SOURCE_DIR}/schema/codegen.capnp
        COMMENT "capnpc-c++ schema/capos.capnp (host)"
        VERBATIM)
    set_source_files_properties(${gen}/schema/capos.capnp.c++ PROPERTIES LANGUAGE CXX)
    add_library(capos_schema_capnp_cpp STATIC ${gen}/schema/capos.capnp.c++)
    target_include_directories(capos_schema_capnp_cpp PUBLIC ${gen} ${CMAKE_SOURCE_DIR})
    target_compile_features(capos_schema_capnp_cpp PUBLIC cxx_std_20)
    target_compile_options(capos_schema_capnp_cpp PRIVATE -O2 -g)
    target_link_libraries(capos_schema_capnp_cpp PUBLIC PkgConfig::CAPNP_RPC)
endfunction()
