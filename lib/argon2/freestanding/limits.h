/* The part of <limits.h> the Argon2 reference code uses, for the capOS
 * user build (lib/argon2/CMakeLists.txt). GCC's own <limits.h> would pull
 * in glibc's (and with it __GLIBC__, which makes core.c call
 * explicit_bzero); this one takes the compiler's predefined values. */
#ifndef CAPOS_ARGON2_LIMITS_H
#define CAPOS_ARGON2_LIMITS_H
#define CHAR_BIT __CHAR_BIT__
#define INT_MAX __INT_MAX__
#define UINT_MAX (__INT_MAX__ * 2U + 1U)
#endif
