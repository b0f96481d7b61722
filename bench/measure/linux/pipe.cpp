// Linux peer row `pipe_rt`: a round trip between two processes over two
// pipes. The parent writes an 8-byte sequence number, the child reads it
// and writes back the number plus one, the parent reads and checks it.
#include <sys/wait.h>
#include <unistd.h>

#include "bench/measure/linux/common.hpp"

namespace {
bool read_full(int fd, uint64_t* v) { return read(fd, v, sizeof(*v)) == sizeof(*v); }
bool write_full(int fd, uint64_t v) { return write(fd, &v, sizeof(v)) == sizeof(v); }
}  // namespace

int main() {
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) return peer::fail("pipe_rt", "pipe");
    const uint64_t total = peer::kWarmup + peer::kIters;
    pid_t child = fork();
    if (child < 0) return peer::fail("pipe_rt", "fork");
    if (child == 0) {
        for (uint64_t i = 0; i < total; ++i) {
            uint64_t v;
            if (!read_full(to_child[0], &v) || !write_full(to_parent[1], v + 1)) _exit(1);
        }
        _exit(0);
    }
    auto s = measure::run("pipe_rt", peer::kWarmup, peer::kIters, 1, [&](uint64_t i) {
        uint64_t v = 0;
        return write_full(to_child[1], i) && read_full(to_parent[0], &v) && v == i + 1;
    });
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        s.failures++;
    return peer::report(s);
}
