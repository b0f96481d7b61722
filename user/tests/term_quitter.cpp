// term_quitter: starts a TerminalSession.readLine and exits while it waits
// (qemu.terminal). The kernel must forget the read: the next reader
// (term_check) is not refused. Prints "term-quitter: leaving a read
// waiting" and exits 0; 1 when the read did not wait (another reader was
// already waiting, or it failed).
#include <cstdint>

#include "lib/capnp/builder.hpp"
#include "schema/capos.capnp.hpp"
#include "user/rt/capset.hpp"
#include "user/rt/console.hpp"
#include "user/rt/ring_client.hpp"
#include "user/rt/rt.hpp"

namespace {
namespace rt = capos::rt;
namespace S = capos::schema;
namespace abi = capos::abi;
capos::capnp::Word g_params[16];
alignas(8) uint8_t g_results[256];
}  // namespace

int capos_main(const rt::StartInfo&) {
    auto term = rt::capset().lookup("terminal", S::TerminalSession::kInterfaceId);
    auto ring = rt::ring();
    if (!term || !ring) return 1;
    capos::capnp::MessageBuilder msg(g_params);
    auto root = S::TerminalSession::ReadLineParams::init_root(msg);
    if (!root) return 1;
    root.value().set_max_bytes(16);
    auto bytes = msg.bytes();
    abi::Sqe sqe{};
    sqe.opcode = static_cast<uint8_t>(abi::Opcode::Call);
    sqe.cap_id = term.value();
    sqe.user_data = ring.value()->next_user_data();
    sqe.params_addr = reinterpret_cast<uint64_t>(bytes.data());
    sqe.params_len = static_cast<uint32_t>(bytes.size());
    sqe.method = S::TerminalSession::kMethodReadLine;
    sqe.result_addr = reinterpret_cast<uint64_t>(g_results);
    sqe.result_len = sizeof g_results;
    if (!ring.value()->submit(sqe)) return 1;
    ring.value()->enter(0, abi::kTimeoutPoll);
    abi::Cqe cqe;
    if (ring.value()->take(sqe.user_data, &cqe)) return 1;  // it did not wait
    (void)rt::print_line("term-quitter: leaving a read waiting");
    return 0;
}
