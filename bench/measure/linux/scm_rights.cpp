// Linux peer row `scm_rights_rt`: a round trip between two processes over an
// AF_UNIX stream socket pair, the request carrying one descriptor with
// SCM_RIGHTS. The parent sends an 8-byte sequence number with the
// descriptor of a pipe's write end; the child receives both, closes the
// received descriptor and answers the number plus one (no descriptor).
// Checks: the answer; every request arrived with exactly one descriptor; the
// first one received refers to the same pipe as the one sent (same inode).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "bench/measure/linux/common.hpp"

namespace {

bool send_with_fd(int sock, uint64_t v, int fd) {
    iovec iov{&v, sizeof(v)};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &m, 0) == sizeof(v);
}

// Receives a number and one descriptor (-1 in *fd when none came).
bool recv_with_fd(int sock, uint64_t* v, int* fd) {
    iovec iov{v, sizeof(*v)};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof(control);
    *fd = -1;
    if (recvmsg(sock, &m, 0) != sizeof(*v)) return false;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int)))
        return false;
    std::memcpy(fd, CMSG_DATA(c), sizeof(int));
    return *fd >= 0;
}

}  // namespace

int main() {
    int sv[2], p[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return peer::fail("scm_rights_rt", "socketpair");
    if (pipe(p)) return peer::fail("scm_rights_rt", "pipe");
    struct stat sent{};
    if (fstat(p[1], &sent)) return peer::fail("scm_rights_rt", "fstat");
    const uint64_t total = peer::kWarmup + peer::kIters;
    pid_t child = fork();
    if (child < 0) return peer::fail("scm_rights_rt", "fork");
    if (child == 0) {
        close(sv[0]);
        for (uint64_t i = 0; i < total; ++i) {
            uint64_t v;
            int fd;
            if (!recv_with_fd(sv[1], &v, &fd)) _exit(1);
            if (i == 0) {
                struct stat got{};
                if (fstat(fd, &got) || got.st_ino != sent.st_ino || got.st_dev != sent.st_dev) _exit(2);
            }
            close(fd);
            uint64_t answer = v + 1;
            if (write(sv[1], &answer, sizeof(answer)) != sizeof(answer)) _exit(1);
        }
        _exit(0);
    }
    close(sv[1]);
    auto s = measure::run("scm_rights_rt", peer::kWarmup, peer::kIters, 1, [&](uint64_t i) {
        uint64_t v = 0;
        return send_with_fd(sv[0], i, p[1]) && read(sv[0], &v, sizeof(v)) == sizeof(v) && v == i + 1;
    });
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        s.failures++;
    return peer::report(s);
}
