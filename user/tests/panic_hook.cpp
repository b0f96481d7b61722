// panic_hook: installs a panic hook, then panics with code 247. The hook
// checks the message and code it receives (exit 1 if wrong), then panics
// again with code 248: a nested panic must skip the hook and exit at once.
// Expected exit code: 248 (the hook ran with the right arguments and the
// recursion guard held). 249 means the hook was called twice.
#include "user/rt/rt.hpp"
#include "user/rt/mem.hpp"

namespace {
int g_calls = 0;

void hook(const char* msg, int code) {
    ++g_calls;
    if (g_calls > 1) capos::rt::sys_exit(249);
    static constexpr char kExpected[] = "first";
    if (code != 247 || capos::rt::str_length(msg) != sizeof(kExpected) - 1 ||
        capos::rt::mem_compare(msg, kExpected, sizeof(kExpected) - 1) != 0)
        capos::rt::sys_exit(1);
    capos::rt::panic("second", 248);
}
}  // namespace

int capos_main(const capos::rt::StartInfo&) {
    if (capos::rt::set_panic_hook(hook) != nullptr) return 2;
    capos::rt::panic("first", 247);
    return 3;
}
