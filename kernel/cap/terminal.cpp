#include "kernel/cap/terminal.hpp"

#include <new>

#include "kernel/arch/x86_64/pit.hpp"
#include "kernel/arch/x86_64/serial.hpp"
#include "kernel/log.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/proc/process.hpp"
#include "kernel/proc/sched.hpp"
#include "lib/capnp/builder.hpp"
#include "lib/term/line_editor.hpp"

namespace capos {

namespace {

using TS = schema::TerminalSession;

// The results message of a line (or raw read) of n bytes: segment table,
// root pointer, the struct (1 data word, 1 pointer), the padded data.
constexpr uint64_t results_bytes_for(uint32_t n) { return 32 + ((uint64_t(n) + 7) & ~uint64_t(7)); }

void echo_to_com2(void*, const uint8_t* data, size_t len) { arch::com2().write_raw(data, len); }

class TerminalCap final : public ServedCap<TS> {
public:
    static TerminalCap& instance();

    Result<rpc::Reply> call(uint16_t method, std::span<const uint8_t> params, std::span<capnp::Word> scratch,
                            CallContext& ctx) override {
        // Refusals that leave the waiting read alone: raised before the
        // handler decodes anything.
        bool reads = method == TS::kMethodReadLine || method == TS::kMethodReadRaw;
        if ((reads || method == TS::kMethodSetRaw) && waiter_)
            return rpc::write_exception(scratch, rpc::ExceptionKind::Failed, "terminal: another read is waiting");
        if (method == TS::kMethodReadRaw && !raw_)
            return rpc::write_exception(scratch, rpc::ExceptionKind::Failed, "terminal: not in raw mode");
        if (method == TS::kMethodReadLine && raw_)
            return rpc::write_exception(scratch, rpc::ExceptionKind::Failed, "terminal: in raw mode");
        return ServedCap<TS>::call(method, params, scratch, ctx);
    }

    // Idle work: feeds the waiting read from the receive buffer and
    // completes it when it is done.
    void poll() {
        uint64_t dropped = arch::com2_rx().dropped();
        if (dropped != dropped_logged_) {
            log::warn("terminal: {} input bytes dropped (receive buffer full)", dropped - dropped_logged_);
            dropped_logged_ = dropped;
        }
        if (!waiter_) return;
        if (waiter_->state == Process::State::Exited) return;  // reaped (and forgotten) before it matters
        if (mode_ == Mode::Line) {
            if (!feed_editor()) return;
            complete(editor_.line(), static_cast<schema::LineStatus>(editor_.status()));
        } else {
            uint32_t n = take_raw(raw_buf_, raw_max_);
            if (n == 0) return;
            complete({raw_buf_, n}, schema::LineStatus::Line);
        }
    }

    void process_gone(Process& p) {
        if (waiter_ == &p) waiter_ = nullptr;
    }

private:
    enum class Mode : uint8_t { Line, Raw };

    TerminalCap() = default;
    void destroy() override {}

    // Feeds buffered bytes to the editor until the line ends (true) or the
    // buffer is empty (false).
    bool feed_editor() {
        uint8_t b;
        while (arch::com2_rx().pop(&b))
            if (editor_.feed(b, echo_to_com2, nullptr)) return true;
        return false;
    }

    static uint32_t take_raw(uint8_t* out, uint32_t max) {
        uint32_t n = 0;
        while (n < max && arch::com2_rx().pop(&out[n])) ++n;
        return n;
    }

    Result<void> write(TS::WriteParams::Reader params, TS::WriteResults::Builder) override {
        auto data = TRY(params.data());
        if (data.size() > kTerminalMaxWrite) return Error::InvalidArgument;
        arch::com2().write_raw(data.data(), data.size());
        return {};
    }

    Result<void> read_line(TS::ReadLineParams::Reader params, TS::ReadLineResults::Builder results) override {
        // Decode: everything is checked before the editor or the buffer
        // changes.
        uint32_t max = params.max_bytes();
        if (max < 1 || max > term::kMaxLineBytes) return Error::InvalidArgument;
        if (ctx().result_len < results_bytes_for(max)) return Error::InvalidArgument;
        if (!ctx().caller) return Error::InvalidArgument;
        auto history = TRY(params.history());
        if (history.size() > term::kMaxHistory) return Error::InvalidArgument;
        uint64_t total = 0;
        for (uint32_t i = 0; i < history.size(); ++i) total += TRY(history[i]).size();
        if (total > term::kMaxHistoryBytes) return Error::InvalidArgument;
        // Perform.
        editor_.begin(max, params.hidden());
        for (uint32_t i = 0; i < history.size(); ++i) (void)editor_.add_history(history[i].value());
        if (feed_editor()) {
            TRY(results.set_line(editor_.line()));
            results.set_status(static_cast<schema::LineStatus>(editor_.status()));
            return {};
        }
        wait(Mode::Line, max);
        return {};
    }

    Result<void> set_raw(TS::SetRawParams::Reader params, TS::SetRawResults::Builder) override {
        raw_ = params.raw_();
        return {};
    }

    Result<void> read_raw(TS::ReadRawParams::Reader params, TS::ReadRawResults::Builder results) override {
        uint32_t max = params.max_bytes();
        if (max < 1 || max > term::kMaxLineBytes) return Error::InvalidArgument;
        if (ctx().result_len < results_bytes_for(max)) return Error::InvalidArgument;
        if (!ctx().caller) return Error::InvalidArgument;
        uint32_t n = take_raw(raw_buf_, max);
        if (n > 0) {
            TRY(results.set_data({raw_buf_, n}));
            return {};
        }
        wait(Mode::Raw, max);
        return {};
    }

    void wait(Mode mode, uint32_t max) {
        mode_ = mode;
        raw_max_ = max;
        waiter_ = ctx().caller;
        user_data_ = ctx().user_data;
        result_addr_ = ctx().result_addr;
        result_len_ = ctx().result_len;
        ctx().defer_external = true;
    }

    // Writes the results (ReadLineResults, or ReadRawResults for Raw: both
    // are a Data at pointer 0; only ReadLineResults has the status) into
    // the waiter's buffer and posts its CQE.
    void complete(std::span<const uint8_t> data, schema::LineStatus status) {
        Process& w = *waiter_;
        waiter_ = nullptr;
        capnp::MessageBuilder msg(std::span<capnp::Word>(out_words_, sizeof(out_words_) / sizeof(capnp::Word)));
        abi::Cqe c{};
        c.user_data = user_data_;
        bool built = false;
        if (mode_ == Mode::Line) {
            auto root = TS::ReadLineResults::init_root(msg);
            if (root.ok() && root.value().set_line(data).ok()) {
                root.value().set_status(status);
                built = true;
            }
        } else {
            auto root = TS::ReadRawResults::init_root(msg);
            built = root.ok() && root.value().set_data(data).ok();
        }
        if (!built) {
            c.result = abi::to_result(abi::TransportError::QueueFull);
        } else {
            auto bytes = msg.bytes();
            if (bytes.size() > result_len_) {
                c.result = abi::to_result(abi::TransportError::BufferTooSmall);
                c.aux = static_cast<uint32_t>(bytes.size());
            } else if (!w.aspace->write_user(result_addr_, bytes.data(), bytes.size()).ok()) {
                c.result = abi::to_result(abi::TransportError::BadBuffer);
            } else {
                c.result = static_cast<int32_t>(bytes.size());
            }
        }
        if (w.ring && w.ring->post(c).ok()) sched_wake(&w);
    }

    Mode mode_ = Mode::Line;
    bool raw_ = false;
    // The read waiting for input, if any (one at a time).
    Process* waiter_ = nullptr;
    uint64_t user_data_ = 0;
    uint64_t result_addr_ = 0;
    uint32_t result_len_ = 0;
    uint32_t raw_max_ = 0;
    uint64_t dropped_logged_ = 0;
    term::LineEditor editor_;
    uint8_t raw_buf_[term::kMaxLineBytes] = {};
    alignas(8) capnp::Word out_words_[results_bytes_for(term::kMaxLineBytes) / sizeof(capnp::Word) + 4] = {};
};

alignas(TerminalCap) unsigned char g_terminal_storage[sizeof(TerminalCap)];
TerminalCap* g_terminal = nullptr;

void terminal_idle_work() {
    if (g_terminal) g_terminal->poll();
}

}  // namespace

TerminalCap& TerminalCap::instance() {
    if (!g_terminal) {
        g_terminal = new (g_terminal_storage) TerminalCap();
        // COM2 is set up with its first holder: a system without a
        // terminal grant never touches it.
        if (arch::com2().init(arch::kCom2)) {
            arch::com2().enable_rx_interrupt();
            sched_set_irq_handler(arch::kCom2Irq, arch::com2_receive);
            sched_set_idle_work(terminal_idle_work);
            arch::pic_unmask(arch::kCom2Irq);
            log::info("terminal: COM2 ready");
        } else {
            log::info("terminal: no UART at COM2: output goes nowhere, reads wait for ever");
        }
    }
    return *g_terminal;
}

CapObject& terminal_session() { return TerminalCap::instance(); }

void terminal_process_gone(Process& p) {
    if (g_terminal) g_terminal->process_gone(p);
}

uint64_t terminal_dropped_bytes() { return arch::com2_rx().dropped(); }

}  // namespace capos
