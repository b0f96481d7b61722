// Linux peer rows `uring_nop1` and `uring_nop32`: IORING_OP_NOP through a
// raw io_uring (io_uring_setup/io_uring_enter, no liburing), 1 and 32 SQEs
// per io_uring_enter; figures are per NOP. Check: every CQE has res 0 and
// the user_data of its SQE, in order.
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "bench/measure/linux/common.hpp"

namespace {

struct Uring {
    int fd = -1;
    unsigned sq_mask = 0, cq_mask = 0;
    std::atomic<unsigned>* sq_tail = nullptr;
    unsigned* sq_array = nullptr;
    io_uring_sqe* sqes = nullptr;
    std::atomic<unsigned>* cq_head = nullptr;
    std::atomic<unsigned>* cq_tail = nullptr;
    io_uring_cqe* cqes = nullptr;
    unsigned local_tail = 0;

    bool setup(unsigned entries) {
        io_uring_params p{};
        fd = static_cast<int>(syscall(SYS_io_uring_setup, entries, &p));
        if (fd < 0) return false;
        size_t sq_bytes = p.sq_off.array + p.sq_entries * sizeof(unsigned);
        size_t cq_bytes = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
        bool single = p.features & IORING_FEAT_SINGLE_MMAP;
        if (single && cq_bytes > sq_bytes) sq_bytes = cq_bytes;
        auto* sq = static_cast<char*>(mmap(nullptr, sq_bytes, PROT_READ | PROT_WRITE,
                                           MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING));
        if (sq == MAP_FAILED) return false;
        char* cq = sq;
        if (!single) {
            cq = static_cast<char*>(mmap(nullptr, cq_bytes, PROT_READ | PROT_WRITE,
                                         MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING));
            if (cq == MAP_FAILED) return false;
        }
        void* s = mmap(nullptr, p.sq_entries * sizeof(io_uring_sqe), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
        if (s == MAP_FAILED) return false;
        sqes = static_cast<io_uring_sqe*>(s);
        sq_mask = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
        sq_tail = reinterpret_cast<std::atomic<unsigned>*>(sq + p.sq_off.tail);
        sq_array = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
        cq_mask = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
        cq_head = reinterpret_cast<std::atomic<unsigned>*>(cq + p.cq_off.head);
        cq_tail = reinterpret_cast<std::atomic<unsigned>*>(cq + p.cq_off.tail);
        cqes = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);
        local_tail = sq_tail->load(std::memory_order_relaxed);
        return true;
    }

    // Submits k NOPs with user_data first..first+k-1, waits for k CQEs and
    // checks them.
    bool nops(unsigned k, uint64_t first) {
        for (unsigned j = 0; j < k; ++j) {
            unsigned idx = local_tail & sq_mask;
            io_uring_sqe& e = sqes[idx];
            e = io_uring_sqe{};
            e.opcode = IORING_OP_NOP;
            e.user_data = first + j;
            sq_array[idx] = idx;
            ++local_tail;
        }
        sq_tail->store(local_tail, std::memory_order_release);
        long r = syscall(SYS_io_uring_enter, fd, k, k, IORING_ENTER_GETEVENTS, nullptr, 0);
        if (r != static_cast<long>(k)) return false;
        unsigned head = cq_head->load(std::memory_order_relaxed);
        unsigned tail = cq_tail->load(std::memory_order_acquire);
        if (tail - head != k) return false;
        bool ok = true;
        for (unsigned j = 0; j < k; ++j, ++head) {
            const io_uring_cqe& c = cqes[head & cq_mask];
            if (c.res != 0 || c.user_data != first + j) ok = false;
        }
        cq_head->store(head, std::memory_order_release);
        return ok;
    }
};

int row(const char* name, unsigned k) {
    Uring u;
    if (!u.setup(64)) return peer::fail(name, "io_uring_setup");
    auto s = measure::run(name, peer::kWarmup, peer::kIters, k,
                          [&](uint64_t i) { return u.nops(k, i * k); });
    close(u.fd);
    return peer::report(s);
}

}  // namespace

int main() {
    int a = row("uring_nop1", 1);
    int b = row("uring_nop32", 32);
    return a | b;
}
