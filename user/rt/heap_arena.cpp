// The default heap arena. Kept in its own object file so that a program
// defining CAPOS_RT_HEAP_BYTES never pulls it from the archive.
#include "user/rt/heap.hpp"

CAPOS_RT_HEAP_BYTES(capos::rt::kDefaultHeapBytes);
