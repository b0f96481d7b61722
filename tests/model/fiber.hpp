// Cooperative fibers for the interleaving models: each modelled thread runs
// on its own stack and gives control back to the scheduler at every shared
// memory access. Built on ucontext, with AddressSanitizer's fiber
// annotations so ASan follows the stack switches.
//
// Single OS thread only: exactly one fiber (or the scheduler) runs at a
// time, so the order of shared accesses is exactly the order the scheduler
// chooses.
#pragma once

#include <ucontext.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>

#if defined(__SANITIZE_ADDRESS__)
#define CAPOS_MODEL_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAPOS_MODEL_ASAN_FIBERS 1
#endif
#endif

#ifdef CAPOS_MODEL_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

namespace capos::model {

class Fiber {
public:
    using Entry = void (*)(void*);

    explicit Fiber(size_t stack_bytes = 256 * 1024)
        : stack_(new char[stack_bytes]), stack_bytes_(stack_bytes) {}
    Fiber(const Fiber&) = delete;
    Fiber& operator=(const Fiber&) = delete;

    // Prepares the fiber to run entry(arg) from the top of its stack on the
    // next resume(). Precondition: not running (never started or finished).
    void start(Entry entry, void* arg) {
        entry_ = entry;
        arg_ = arg;
        done_ = false;
        if (getcontext(&ctx_) != 0) std::abort();
        ctx_.uc_stack.ss_sp = stack_.get();
        ctx_.uc_stack.ss_size = stack_bytes_;
        ctx_.uc_link = nullptr;
        makecontext(&ctx_, &Fiber::trampoline, 0);
        fresh_ = true;
    }

    // Runs the fiber until it yields or finishes. Called by the scheduler.
    void resume() {
        if (fresh_) {
            starting() = this;
            fresh_ = false;
        }
#ifdef CAPOS_MODEL_ASAN_FIBERS
        void* fake = nullptr;
        __sanitizer_start_switch_fiber(&fake, stack_.get(), stack_bytes_);
#endif
        swapcontext(&caller_, &ctx_);
#ifdef CAPOS_MODEL_ASAN_FIBERS
        __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
    }

    // Gives control back to the scheduler. Called on the fiber's stack.
    void yield() {
#ifdef CAPOS_MODEL_ASAN_FIBERS
        __sanitizer_start_switch_fiber(&fake_, caller_bottom_, caller_size_);
#endif
        swapcontext(&ctx_, &caller_);
#ifdef CAPOS_MODEL_ASAN_FIBERS
        __sanitizer_finish_switch_fiber(fake_, &caller_bottom_, &caller_size_);
#endif
    }

    bool done() const { return done_; }

private:
    static Fiber*& starting() {
        static Fiber* f = nullptr;
        return f;
    }

    static void trampoline() {
        Fiber* self = starting();
#ifdef CAPOS_MODEL_ASAN_FIBERS
        __sanitizer_finish_switch_fiber(nullptr, &self->caller_bottom_, &self->caller_size_);
#endif
        self->entry_(self->arg_);
        self->done_ = true;
#ifdef CAPOS_MODEL_ASAN_FIBERS
        __sanitizer_start_switch_fiber(nullptr, self->caller_bottom_, self->caller_size_);
#endif
        swapcontext(&self->ctx_, &self->caller_);
        std::abort();  // a finished fiber is never resumed
    }

    std::unique_ptr<char[]> stack_;
    size_t stack_bytes_;
    ucontext_t ctx_{};
    ucontext_t caller_{};
    Entry entry_ = nullptr;
    void* arg_ = nullptr;
    bool done_ = true;
    bool fresh_ = false;
    // ASan's fiber bookkeeping, used only with CAPOS_MODEL_ASAN_FIBERS.
    [[maybe_unused]] void* fake_ = nullptr;
    [[maybe_unused]] const void* caller_bottom_ = nullptr;
    [[maybe_unused]] size_t caller_size_ = 0;
};

}  // namespace capos::model
