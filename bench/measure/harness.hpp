// The timing harness shared by the capOS benchmark programs (user/bench/,
// freestanding) and the Linux peer (bench/measure/linux/, static hosted
// programs): the same loop, the same baseline, the same output line, so the
// two sides are measured the same way (docs/performance.md).
//
// Under QEMU with `-icount shift=0,align=off,sleep=off` the guest TSC
// advances one tick per retired guest instruction, so rdtsc differences are
// instruction counts and repeat exactly from boot to boot.
//
// One row:
//   1. warm-up: `warmup` iterations of the operation (not timed);
//   2. baseline: `iters` iterations of an empty body, bracketed by rdtsc;
//   3. timed: `iters` iterations of the operation, bracketed by rdtsc;
//   per operation = (timed - baseline) / (iters * ops_per_iter).
// The operation returns false when its own result check failed; a row with
// any failure (in warm-up or timed iterations) is reported `check=FAILED`
// and its figure does not count (tools/measure/report.py ignores it).
//
// Output (one line, parsed by tools/measure/report.py):
//   measure: row=NAME ops=K iters=N warmup=W total=T baseline=B per_op=X.YY failures=F check=ok
// or, when the row could not even start:
//   measure: row=NAME check=FAILED reason=WHY
//
// Dependencies: <cstdint> and <cstddef> only (no libc), so the header
// compiles freestanding.
#pragma once

#include <cstddef>
#include <cstdint>

namespace measure {

inline constexpr uint64_t kMinWarmup = 1000;
inline constexpr uint64_t kMinIters = 10000;

// The TSC, after every earlier instruction has retired (lfence).
inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return (uint64_t{hi} << 32) | lo;
}

// The baseline body: true, through a register the compiler cannot see
// into, so the loop is not folded away.
inline bool empty_op(uint64_t i) {
    uint64_t v = i;
    asm volatile("" : "+r"(v)::"memory");
    return v == i;
}

struct Sample {
    const char* row = "";
    uint32_t ops_per_iter = 1;
    uint64_t warmup = 0;
    uint64_t iters = 0;
    uint64_t total = 0;     // TSC ticks of the timed loop
    uint64_t baseline = 0;  // TSC ticks of the empty loop
    uint64_t failures = 0;  // iterations whose check failed (warm-up included)

    bool ok() const { return failures == 0 && iters > 0; }
    // Ticks per operation, times 100 (0 when the baseline was not smaller).
    uint64_t per_op_x100() const {
        if (total <= baseline || iters == 0) return 0;
        return (total - baseline) * 100 / (iters * ops_per_iter);
    }
};

// Runs one row. `op(i)` performs iteration i (i counts up from 0 across
// warm-up and timed iterations, so a workload can check sequence numbers)
// and returns whether its result checked out.
template <typename Op>
Sample run(const char* row, uint64_t warmup, uint64_t iters, uint32_t ops_per_iter, Op&& op) {
    Sample s;
    s.row = row;
    s.ops_per_iter = ops_per_iter == 0 ? 1 : ops_per_iter;
    s.warmup = warmup;
    s.iters = iters;
    uint64_t i = 0;
    for (; i < warmup; ++i)
        if (!op(i)) ++s.failures;

    uint64_t empty_failures = 0;
    uint64_t t0 = rdtsc();
    for (uint64_t j = 0; j < iters; ++j)
        if (!empty_op(j)) ++empty_failures;
    uint64_t t1 = rdtsc();
    s.baseline = t1 - t0;
    s.failures += empty_failures;

    uint64_t t2 = rdtsc();
    for (uint64_t j = 0; j < iters; ++j, ++i)
        if (!op(i)) ++s.failures;
    uint64_t t3 = rdtsc();
    s.total = t3 - t2;
    return s;
}

// A bounded line buffer (always NUL-terminated; overflow truncates).
class Line {
public:
    Line& add(const char* s) {
        while (*s && n_ + 1 < sizeof(buf_)) buf_[n_++] = *s++;
        terminate();
        return *this;
    }
    Line& add(uint64_t v) {
        char tmp[24];
        size_t k = 0;
        do {
            tmp[k++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v);
        while (k && n_ + 1 < sizeof(buf_)) buf_[n_++] = tmp[--k];
        terminate();
        return *this;
    }
    // v / 100 with two decimals.
    Line& add_x100(uint64_t v) {
        add(v / 100);
        add(".");
        if (v % 100 < 10) add("0");
        return add(v % 100);
    }
    const char* c_str() const { return buf_; }
    size_t size() const { return n_; }

private:
    // n_ < sizeof(buf_) always; the clamp only keeps GCC's range analysis quiet.
    void terminate() { buf_[n_ < sizeof(buf_) ? n_ : sizeof(buf_) - 1] = '\0'; }

    char buf_[512] = {};
    size_t n_ = 0;
};

// The result line of a row (without a trailing newline).
inline Line format(const Sample& s) {
    Line l;
    l.add("measure: row=").add(s.row);
    l.add(" ops=").add(uint64_t{s.ops_per_iter});
    l.add(" iters=").add(s.iters);
    l.add(" warmup=").add(s.warmup);
    l.add(" total=").add(s.total);
    l.add(" baseline=").add(s.baseline);
    l.add(" per_op=").add_x100(s.per_op_x100());
    l.add(" failures=").add(s.failures);
    l.add(s.ok() ? " check=ok" : " check=FAILED");
    return l;
}

// The line of a row that could not start (setup failed).
inline Line format_failed(const char* row, const char* reason) {
    Line l;
    l.add("measure: row=").add(row).add(" check=FAILED reason=").add(reason);
    return l;
}

}  // namespace measure
