#include "user/rt/rt.hpp"

namespace capos::rt {

namespace {
constinit PanicHook g_hook = nullptr;
// Invariant: set once the first panic has called (or skipped) the hook; a
// panic from inside the hook exits at once.
constinit bool g_panicking = false;
}  // namespace

PanicHook set_panic_hook(PanicHook hook) {
    PanicHook old = g_hook;
    g_hook = hook;
    return old;
}

void panic(const char* msg, int code) {
    if (!g_panicking) {
        g_panicking = true;
        if (g_hook != nullptr) g_hook(msg, code);
    }
    sys_exit(code);
}

}  // namespace capos::rt
