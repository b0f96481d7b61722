// Linux peer row `futex_rt`: a round trip between two processes through a
// word in shared memory and futex(2). The parent stores 2*i+1 and wakes the
// child; the child, woken, stores 2*i+2 and wakes the parent, which checks
// the value. Each side sleeps in FUTEX_WAIT while the word is not yet its turn.
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <new>

#include "bench/measure/linux/common.hpp"

namespace {
using Word = std::atomic<uint32_t>;
static_assert(sizeof(Word) == sizeof(uint32_t));

void wait_for(Word* w, uint32_t want) {
    for (;;) {
        uint32_t v = w->load(std::memory_order_acquire);
        if (v == want) return;
        syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAIT, v, nullptr, nullptr, 0);
    }
}
void store_wake(Word* w, uint32_t v) {
    w->store(v, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}
}  // namespace

int main() {
    void* mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return peer::fail("futex_rt", "mmap");
    Word* w = new (mem) Word(0);
    const uint64_t total = peer::kWarmup + peer::kIters;
    pid_t child = fork();
    if (child < 0) return peer::fail("futex_rt", "fork");
    if (child == 0) {
        for (uint64_t i = 0; i < total; ++i) {
            uint32_t ask = static_cast<uint32_t>(2 * i + 1);
            wait_for(w, ask);
            store_wake(w, ask + 1);
        }
        _exit(0);
    }
    auto s = measure::run("futex_rt", peer::kWarmup, peer::kIters, 1, [&](uint64_t i) {
        uint32_t ask = static_cast<uint32_t>(2 * i + 1);
        store_wake(w, ask);
        wait_for(w, ask + 1);
        return w->load(std::memory_order_acquire) == ask + 1;
    });
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        s.failures++;
    return peer::report(s);
}
