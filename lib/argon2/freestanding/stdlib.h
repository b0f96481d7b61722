/* The part of <stdlib.h> the Argon2 reference code uses, for the capOS
 * user build (lib/argon2/CMakeLists.txt). Declarations only: the program
 * linking argon2_user defines malloc and free (user/auth/argon2_glue.cpp). */
#ifndef CAPOS_ARGON2_STDLIB_H
#define CAPOS_ARGON2_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void free(void *p);
#endif
