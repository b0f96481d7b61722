#include "user/rt/console.hpp"

#include "lib/base/format.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/rt.hpp"
#include "user/rt/transport.hpp"

namespace capos::rt {

namespace {

// Params: segment table, root pointer, the one-pointer struct, then the
// text or data with its NUL, rounded up to words.
constexpr size_t kParamsWords = 3 + (kConsoleLineMax + 1 + 7) / 8 + 1;
// Results are an empty struct (16 bytes); the rest is room for a
// CapException with its message.
constexpr size_t kResultBytes = 512;

struct ConsoleBuffers {
    capnp::Word params[kParamsWords];
    alignas(8) uint8_t results[kResultBytes];
};
// print()/print_line() and the panic hook each have their own, so a panic
// raised while a print is being built does not reuse its buffers.
constinit ConsoleBuffers g_print_buffers{};
constinit ConsoleBuffers g_panic_buffers{};

Result<void> write_line_with(ConsoleBuffers& b, StringView text) {
    schema::Console::Client con = TRY(console());
    rpc::CallBuffers buffers(b.params, b.results);
    TRY(con.write_line(buffers, text));
    return {};
}

}  // namespace

Result<schema::Console::Client> console() {
    RingTransport* t = TRY(transport());
    return capset().client<schema::Console>(kConsoleName, *t);
}

Result<void> print_line(StringView text) { return write_line_with(g_print_buffers, text); }

Result<void> print(std::span<const uint8_t> data) {
    schema::Console::Client con = TRY(console());
    rpc::CallBuffers buffers(g_print_buffers.params, g_print_buffers.results);
    TRY(con.write(buffers, data));
    return {};
}

void console_panic_hook(const char* msg, int code) {
    char line[256];
    size_t n = format_to(line, sizeof(line), "panic (pid {}): {} (exit code {})",
                         start_info().pid, msg, code);
    (void)write_line_with(g_panic_buffers, StringView(line, n));
}

}  // namespace capos::rt

// Called by capos_rt_start (a weak reference: only programs that link this
// file get it) before global constructors run.
extern "C" void capos_rt_console_init() {
    using namespace capos;
    if (rt::capset().lookup(rt::kConsoleName, schema::Console::kInterfaceId))
        rt::set_panic_hook(rt::console_panic_hook);
}
