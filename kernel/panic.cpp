#include "kernel/panic.hpp"

#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/arch/x86_64/qemu.hpp"
#include "kernel/log.hpp"

namespace capos {

void vpanic(StringView fmt, const FormatArg* args, size_t nargs) {
    arch::cli();
    static bool in_panic = false;
    if (in_panic) arch::qemu_exit(arch::kQemuExitFailure);
    in_panic = true;
    log::write_raw("\nKERNEL PANIC: ", 15);
    struct RawSink final : Sink {
        void write(const char* d, size_t n) override { log::write_raw(d, n); }
    } sink;
    vformat(sink, fmt, args, nargs);
    log::write_raw("\n", 1);
    arch::qemu_exit(arch::kQemuExitFailure);
}

}  // namespace capos
