# Build rules for schema code, shared by the main build and the fuzz
# sub-build (which does not add tools/ or schema/).
#
#   capos_capnp_generate(OUT_VAR file.capnp...)  capnpc-capos headers
#   capos_schema_capnp_cpp()                      Debian capnpc-c++ library
#   capos_schema_target()                         the `capos_schema` target
#   capos_schema_fuzz_setup()                     all of the above, fuzz build

# Interfaces in capnpc-c++ output need the RPC half of libcapnp.
macro(capos_find_capnp)
    find_program(CAPOS_CAPNP capnp REQUIRED)
    find_package(PkgConfig REQUIRED)
    if(NOT TARGET PkgConfig::CAPNP_RPC)
        pkg_check_modules(CAPNP_RPC REQUIRED IMPORTED_TARGET GLOBAL capnp-rpc)
    endif()
endmacro()

# capos_capnp_generate(OUT_VAR file.capnp...): runs capnpc-capos (target
# capnpc-capos) on schema files given relative to the source root; OUT_VAR
# receives the headers ${CMAKE_BINARY_DIR}/generated/<file>.capnp.hpp.
function(capos_capnp_generate out_var)
    capos_find_capnp()
    set(gen ${CMAKE_BINARY_DIR}/generated)
    set(outs "")
    foreach(f ${ARGN})
        set(o ${gen}/${f}.hpp)
        add_custom_command(
            OUTPUT ${o}
            COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}
            COMMAND ${CAPOS_CAPNP} compile -I${CMAKE_SOURCE_DIR} --src-prefix=${CMAKE_SOURCE_DIR}
                    -o$<TARGET_FILE:capnpc-capos>:${gen} ${CMAKE_SOURCE_DIR}/${f}
            DEPENDS ${CMAKE_SOURCE_DIR}/${f} ${CMAKE_SOURCE_DIR}/schema/codegen.capnp capnpc-capos
            COMMENT "capnpc-capos ${f}"
            VERBATIM)
        list(APPEND outs ${o})
    endforeach()
    set(${out_var} ${outs} PARENT_SCOPE)
endfunction()

# capos_schema_capnp_cpp(): the static library capos_schema_capnp_cpp with
# Debian's capnpc-c++ output for schema/capos.capnp ("schema/capos.capnp.h",
# namespace capos::host), for host tools and tests only. Compiled without
# sanitizers so that it links into plain tools and sanitized tests alike.
function(capos_schema_capnp_cpp)
    if(TARGET capos_schema_capnp_cpp)
        return()
    endif()
    capos_find_capnp()
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

# capos_schema_target(): generates schema/capos.capnp.hpp and defines the
# INTERFACE target capos_schema (include path + build-order dependency).
function(capos_schema_target)
    capos_capnp_generate(capos_hpp schema/capos.capnp)
    add_custom_target(capos_schema_gen DEPENDS ${capos_hpp})
    add_library(capos_schema INTERFACE)
    target_include_directories(capos_schema INTERFACE ${CMAKE_BINARY_DIR}/generated ${CMAKE_SOURCE_DIR})
    add_dependencies(capos_schema capos_schema_gen)
endfunction()

# capos_schema_fuzz_setup(): in the fuzz sub-build, builds capnpc-capos
# itself (plain flags) and defines capos_schema and capos_schema_capnp_cpp.
function(capos_schema_fuzz_setup)
    if(TARGET capos_schema)
        return()
    endif()
    capos_find_capnp()
    add_executable(capnpc-capos ${CMAKE_SOURCE_DIR}/tools/capnpc-capos/main.cpp
                                ${CMAKE_SOURCE_DIR}/tools/capnpc-capos/generator.cpp)
    target_include_directories(capnpc-capos PRIVATE ${CMAKE_SOURCE_DIR})
    target_compile_features(capnpc-capos PRIVATE cxx_std_20)
    target_compile_options(capnpc-capos PRIVATE -O2)
    target_link_libraries(capnpc-capos PRIVATE PkgConfig::CAPNP_RPC)
    capos_schema_capnp_cpp()
    capos_schema_target()
endfunction()
