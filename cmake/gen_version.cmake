# Writes ${OUT} with the version and git commit; touches it only on change,
# so an unchanged commit does not relink the kernel.
execute_process(COMMAND git -C ${SRC} rev-parse --short=12 HEAD
    OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
    set(commit "unknown")
endif()
execute_process(COMMAND git -C ${SRC} status --porcelain --untracked-files=no
    OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT dirty STREQUAL "")
    set(commit "${commit}-dirty")
endif()
set(text "#pragma once\n#define CAPOS_VERSION \"${VERSION}\"\n#define CAPOS_COMMIT \"${commit}\"\n")
if(EXISTS ${OUT})
    file(READ ${OUT} old)
else()
    set(old "")
endif()
if(NOT old STREQUAL text)
    file(WRITE ${OUT} "${text}")
endif()
