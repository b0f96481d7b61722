/* The Argon2 reference code includes <stdio.h> but, without GENKAT and
 * encoding.c, calls nothing from it (lib/argon2/CMakeLists.txt). */
#ifndef CAPOS_ARGON2_STDIO_H
#define CAPOS_ARGON2_STDIO_H
#endif
