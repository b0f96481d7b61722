// The C functions the compiler and libstdc++ headers may call on their own
// (struct copies, zeroing, std::array comparisons). Compiled with
// -fno-tree-loop-distribute-patterns (capos_user_flags) so GCC does not turn
// the loops back into calls to themselves.
#include <cstddef>

#include "user/rt/mem.hpp"

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) { return capos::rt::mem_copy(dst, src, n); }
void* memmove(void* dst, const void* src, size_t n) { return capos::rt::mem_move(dst, src, n); }
void* memset(void* dst, int c, size_t n) { return capos::rt::mem_set(dst, c, n); }
int memcmp(const void* a, const void* b, size_t n) { return capos::rt::mem_compare(a, b, n); }
size_t strlen(const char* s) { return capos::rt::str_length(s); }

}  // extern "C"
