/* Real binaries for the ELF validator tests, built by the host toolchain in
 * several link modes (see CMakeLists.txt). The TLS variable gives the static
 * glibc build a PT_TLS segment with a non-empty initialisation image. */
#ifdef CAPOS_SAMPLE_FREESTANDING
void _start(void) {
    for (;;) __asm__ volatile("hlt");
}
#else
#include <stdio.h>
static __thread int counter = 42;
int main(void) {
    printf("%d\n", counter++);
    return 0;
}
#endif
