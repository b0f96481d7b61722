// malloc and free for the freestanding Argon2 code (lib/argon2), over the
// user runtime's heap (user/rt/heap.hpp). Argon2 asks for its whole
// memory matrix (cost memory KiB) in one block, once per derivation.
#include <cstddef>

#include "user/rt/heap.hpp"

extern "C" {
void* malloc(size_t n) { return capos::rt::alloc(n); }
void free(void* p) { capos::rt::free(p); }
}
