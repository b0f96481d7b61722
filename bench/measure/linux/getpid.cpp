// Linux peer row `getpid`: the cheapest system call, a raw syscall(2) so
// glibc cannot answer from a cache. Check: every call returns the pid the
// first one returned.
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/measure/linux/common.hpp"

int main() {
    long pid = syscall(SYS_getpid);
    if (pid <= 0) return peer::fail("getpid", "getpid");
    auto s = measure::run("getpid", peer::kWarmup, peer::kIters, 1,
                          [&](uint64_t) { return syscall(SYS_getpid) == pid; });
    return peer::report(s);
}
