/* The part of <string.h> the Argon2 reference code uses, for the capOS
 * user build (lib/argon2/CMakeLists.txt). Declarations only: user/rt
 * (libc.cpp) defines them. */
#ifndef CAPOS_ARGON2_STRING_H
#define CAPOS_ARGON2_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
#endif
