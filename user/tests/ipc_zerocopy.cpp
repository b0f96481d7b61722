// ipc_zerocopy: zero-copy IPC through one shared MemoryObject
// (qemu.ipc_zerocopy, make run-ipc-zerocopy; issue #8, item 4). init spawns
// one binary twice (system/scenarios/ipc_zerocopy.capnp); the CapSet picks
// the role:
//
// Producer ("frames": FrameAllocator, "peer": a client facet of the
// consumer's endpoint): allocates a 3-page MemoryObject, maps it, writes the
// ring header and CALLs the consumer's `attach` with the object passed by
// Copy. Then it streams kMessages records of varying length through the
// ring: it writes each record's bytes into the shared data area and CALLs
// `deliver` with metadata only (offset, length, sequence number, checksum),
// keeping up to kWindow CALLs outstanding. A record is written only when it
// fits in the space the consumer has freed (tail); otherwise the producer
// waits for the oldest answer (flow control). Every answer is checked
// (sequence number, the consumer's checksum, its tail). Halfway through,
// with the ring drained, four CALLs whose metadata point outside the ring
// or at bytes not yet written must be refused with invalidArgument and
// leave the header as it was. A final `finish` compares both sides' counts.
// Exit 0, or: 1 setup, 2 allocate/map/attach, 3 a deliver CALL or its
// answer is wrong, 4 a refusal check, 5 finish (counts disagree),
// 6 unmap/release.
//
// Consumer ("svc": the raw endpoint): RECVs `attach`, maps the header page
// read-write and the data pages read-only, then serves `deliver`: checks
// the metadata against the ring (inside it, published by the producer's
// head, at the consumer's own read position, the expected sequence
// number), checks every byte of the record against the content the
// sequence number defines and the checksum, advances tail and answers.
// Metadata it refuses changes nothing. Exit 0, or: 1 setup, 2 attach,
// 3 a record failed its check, 4 RECV/RETURN failed, 5 the producer's
// counts differ from its own, 6 unmap/release.
//
// The demo's protocol is private to this program, not a schema interface:
// an endpoint facet may carry any non-zero protocol id (docs/ipc.md), and
// the manifest's "svc" and "peer" grants carry kProtocol.
//
//   attach  @0 ()  [transfer 0: the MemoryObject, by Copy] -> ()
//   deliver @1 (offset, length, seq, checksum :UInt64) -> (seq, checksum, tail :UInt64)
//   finish  @2 (messages, bytes, calls :UInt64)
//            -> (messages, bytes, calls, refused, wrapped, maxParamsBytes :UInt64)
//
// The shared object:
//
//   +------------------------------+ 0
//   | RingHeader                   |  magic, capacity, head: the producer's;
//   |                              |  tail (its own 64-byte line): the consumer's
//   +------------------------------+ 4096
//   | data area, kCapacity bytes   |  byte p of the stream is data[p % kCapacity];
//   |                              |  a record may wrap from the end to the start.
//   |                              |  The consumer maps it read-only.
//   +------------------------------+ 12288
//
// head and tail count bytes since the start and never wrap (2^64 bytes).
// Invariant: tail <= head <= tail + kCapacity. The producer owns
// [head, tail + kCapacity), the consumer [tail, head).
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "user/tests/ipc_common.hpp"

namespace {
using namespace ipctest;
namespace S = capos::schema;

constexpr uint64_t kProtocol = 0xcab0500000ff0001ull;
constexpr uint16_t kMethodAttach = 0;
constexpr uint16_t kMethodDeliver = 1;
constexpr uint16_t kMethodFinish = 2;

constexpr uint64_t kPageBytes = 4096;
constexpr uint64_t kPages = 3;
constexpr uint64_t kCapacity = (kPages - 1) * kPageBytes;
constexpr uint64_t kMagic = 0x31474e4952435a5aull;  // "ZZCRING1"
constexpr uint64_t kMessages = 1200;
constexpr uint64_t kRefuseAt = kMessages / 2;  // the refusal checks run before this record
constexpr uint64_t kRefusals = 4;
// CALLs outstanding at once: below the kernel's 16 queued calls per
// endpoint, so no CALL is refused for a full queue.
constexpr uint32_t kWindow = 12;

struct RingHeader {
    uint64_t magic;
    uint64_t capacity;
    uint64_t head;  // written by the producer (release), bytes published
    uint64_t pad0[5];
    uint64_t tail;  // written by the consumer (release), bytes consumed
    uint64_t pad1[7];
};
static_assert(sizeof(RingHeader) == 128 && offsetof(RingHeader, tail) == 64);

constexpr uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}
// Record lengths: mostly 1..1800 bytes, some tiny ones, and now and then
// one as large as the whole ring (it fits only once the ring is empty).
constexpr uint64_t message_length(uint64_t seq) {
    if (seq % 250 == 200) return kCapacity;
    if (seq % 9 == 4) return 1 + seq % 8;
    return 1 + mix(seq) % 1800;
}
// Byte i of record `seq`, from m = mix(seq): a record of another sequence
// number, or the same bytes shifted, does not match.
constexpr uint8_t content(uint64_t m, uint64_t i) {
    return static_cast<uint8_t>((m >> ((i & 7) * 8)) ^ (i * 31) ^ (i >> 8));
}
constexpr uint64_t fnv_step(uint64_t h, uint8_t b) { return (h ^ b) * 0x100000001b3ull; }
constexpr uint64_t kFnvStart = 0xcbf29ce484222325ull;

// What the stream must do, from the lengths alone.
struct StreamFacts {
    uint64_t bytes = 0;
    uint64_t wrapped = 0;     // records that run past the end of the data area
    uint64_t first_fill = 0;  // records written before the first one that does not fit
};
constexpr StreamFacts stream_facts() {
    StreamFacts f;
    for (uint64_t s = 0; s < kMessages; ++s) {
        if ((f.bytes % kCapacity) + message_length(s) > kCapacity) ++f.wrapped;
        f.bytes += message_length(s);
    }
    uint64_t used = 0;
    while (used + message_length(f.first_fill) <= kCapacity) used += message_length(f.first_fill++);
    return f;
}
constexpr StreamFacts kFacts = stream_facts();
// The first batch fills the ring before the window of CALLs is full, so
// the transcript always shows the producer stopping at a full ring.
static_assert(kFacts.first_fill < kWindow);
static_assert(kFacts.wrapped > 0 && kFacts.first_fill < kRefuseAt);

uint64_t load_acquire(const uint64_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void store_release(uint64_t* p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

// A params or results message of `n` UInt64 fields, built into `words`.
std::span<const uint8_t> words_message(std::span<capnp::Word> words, std::initializer_list<uint64_t> fields) {
    capnp::MessageBuilder msg(words);
    auto root = msg.init_root(static_cast<uint16_t>(fields.size()), 0);
    if (!root) return {};
    uint32_t i = 0;
    for (uint64_t f : fields) root.value().set_data<uint64_t>(i++, f);
    return msg.bytes();
}

// ---------------------------------------------------------------------------
// Producer

struct Outstanding {
    uint64_t user_data = 0;
    uint64_t seq = 0;
    uint64_t end = 0;  // the stream position after this record
    uint64_t checksum = 0;
    capnp::Word params[8];
    alignas(8) uint8_t results[128];
};
Outstanding g_window[kWindow];

alignas(8) uint8_t g_res[256];
capnp::Word g_params[16];

class Producer {
public:
    int run();

private:
    int stream();
    void abandon();
    bool wait_oldest();
    bool refusal(int n, const char* what, uint64_t offset, uint64_t length, StringView reason);

    abi::CapId peer_ = abi::kCapIdNone;
    RingHeader* hdr_ = nullptr;
    uint8_t* data_ = nullptr;
    uint64_t head_ = 0;
    uint64_t seq_ = 0;
    uint64_t calls_ = 0;
    uint64_t answers_ = 0;
    uint32_t oldest_ = 0;
    uint32_t count_ = 0;
    uint64_t ring_full_ = 0;
    uint64_t window_full_ = 0;
    uint64_t most_unread_ = 0;
};

// Waits for the oldest outstanding deliver and checks its answer.
bool Producer::wait_oldest() {
    Outstanding& o = g_window[oldest_];
    abi::Cqe c = wait_for(o.user_data);
    oldest_ = (oldest_ + 1) % kWindow;
    --count_;
    if (c.result < 0) {
        say("producer: deliver of record {} FAILED: {}", o.seq, result_name(c.result));
        return false;
    }
    capnp::MessageReader msg(std::span<const uint8_t>(o.results, static_cast<size_t>(c.result)));
    auto root = msg.root();
    if (!root) return false;
    uint64_t seq = root.value().get_data<uint64_t>(0);
    uint64_t sum = root.value().get_data<uint64_t>(1);
    uint64_t tail = root.value().get_data<uint64_t>(2);
    if (seq != o.seq || sum != o.checksum || tail != o.end || load_acquire(&hdr_->tail) < o.end) {
        say("producer: the answer for record {} is wrong: seq {} checksum {:#x} (sent {:#x}) tail {} (want {}): FAILED",
            o.seq, seq, sum, o.checksum, tail, o.end);
        return false;
    }
    ++answers_;
    return true;
}

// One deliver CALL the consumer must refuse with invalidArgument and a
// message starting with `reason`, the header unchanged.
bool Producer::refusal(int n, const char* what, uint64_t offset, uint64_t length, StringView reason) {
    const uint64_t head = load_acquire(&hdr_->head), tail = load_acquire(&hdr_->tail);
    capnp::Word words[8];
    auto params = words_message(words, {offset, length, seq_, 0});
    abi::Cqe c = ringtest::run(call_sqe(peer_, kMethodDeliver, params, g_res));
    ++calls_;
    StringView text = "(no CapException)";
    bool ok = raised(c, g_res, rpc::ExceptionKind::InvalidArgument);
    if (ok) {
        capnp::MessageReader msg(std::span<const uint8_t>(g_res, c.aux));
        auto e = rpc::read_exception(msg);
        ok = e.ok() && e.value().message.starts_with(reason);
        if (e) text = e.value().message;
    }
    ok = ok && load_acquire(&hdr_->head) == head && load_acquire(&hdr_->tail) == tail;
    say("producer: check {} {} is refused, ring unchanged: {} ({})", n, what, ok ? "ok" : "FAILED", text);
    return ok;
}

int Producer::run() {
    auto transport = rt::transport();
    if (!transport) return 1;
    auto fa = rt::capset().client<S::FrameAllocator>("frames", *transport.value());
    peer_ = cap("peer", kProtocol);
    if (!fa || peer_ == abi::kCapIdNone) return 1;

    capos::rpc::CallBuffers b(g_params, g_res);
    if (!fa.value().allocate(b, kPages)) return 2;
    auto t = transport.value()->transfers();
    if (t.size() != 1) return 2;
    const abi::CapId mo = t[0].cap_id;
    S::MemoryObject::Client obj(*transport.value(), mo);
    auto m = obj.map(b, 0, 0, kPages * kPageBytes, S::kProtRead | S::kProtWrite);
    if (!m) return 2;
    const uint64_t addr = m.value().addr();
    hdr_ = reinterpret_cast<RingHeader*>(addr);
    data_ = reinterpret_cast<uint8_t*>(addr + kPageBytes);
    hdr_->magic = kMagic;
    hdr_->capacity = kCapacity;
    store_release(&hdr_->head, 0);
    store_release(&hdr_->tail, 0);

    const abi::TransferDescriptor d[] = {xfer(mo, abi::TransferMode::Copy)};
    abi::Cqe a = ringtest::run(with_transfers(call_sqe(peer_, kMethodAttach, empty_struct_message(), g_res), d));
    ++calls_;
    if (a.result < 0) {
        say("producer: attach FAILED: {}", result_name(a.result));
        return 2;
    }
    if (int code = stream(); code != 0) {
        abandon();
        return code;
    }

    // finish: both sides' counts.
    capnp::Word words[8];
    ++calls_;
    auto params = words_message(words, {kMessages, head_, calls_});
    abi::Cqe f = ringtest::run(call_sqe(peer_, kMethodFinish, params, g_res));
    if (f.result < 0) {
        say("producer: finish FAILED: {}", result_name(f.result));
        return 5;
    }
    capnp::MessageReader msg(std::span<const uint8_t>(g_res, static_cast<size_t>(f.result)));
    auto root = msg.root();
    if (!root) return 5;
    const uint64_t c_messages = root.value().get_data<uint64_t>(0);
    const uint64_t c_bytes = root.value().get_data<uint64_t>(1);
    const uint64_t c_calls = root.value().get_data<uint64_t>(2);
    const uint64_t c_refused = root.value().get_data<uint64_t>(3);
    say("producer: {} messages, {} bytes through the shared ring, {} CALLs, {} answers checked", kMessages, head_,
        calls_, answers_);
    say("producer: ring full {} times, window full {} times, at most {} of {} bytes unread", ring_full_,
        window_full_, most_unread_, kCapacity);
    const bool agree = c_messages == kMessages && c_bytes == head_ && c_calls == calls_ && c_refused == kRefusals &&
                       answers_ == kMessages && head_ == kFacts.bytes;
    say("producer: the consumer's counts ({} messages, {} bytes, {} CALLs, {} refused) {}", c_messages, c_bytes,
        c_calls, c_refused, agree ? "agree" : "differ: FAILED");
    if (!agree) return 5;
    if (!obj.unmap(b, addr, kPages * kPageBytes) || release(mo) != 0) return 6;
    return 0;
}

// After a failure: collects the outstanding answers and sends a finish the
// consumer cannot agree with, so that it ends too (init holds a facet of
// its endpoint, so it would otherwise wait for calls for ever).
void Producer::abandon() {
    while (count_ > 0) {
        (void)wait_for(g_window[oldest_].user_data);
        oldest_ = (oldest_ + 1) % kWindow;
        --count_;
    }
    capnp::Word words[8];
    auto params = words_message(words, {~uint64_t{0}, 0, 0});
    (void)ringtest::run(call_sqe(peer_, kMethodFinish, params, g_res));
}

// The records, kWindow CALLs at a time, and the refusal checks halfway.
// 0, or the exit code.
int Producer::stream() {
    bool refusals_done = false;
    while (seq_ < kMessages || count_ > 0) {
        if (seq_ == kRefuseAt && !refusals_done) {
            if (count_ > 0) {
                if (!wait_oldest()) return 3;
                continue;
            }
            // Drained: head == tail, nothing unread.
            const uint64_t at = head_ % kCapacity;
            bool ok = refusal(1, "a record starting one byte past the ring's end", kCapacity, 16,
                              "record outside the ring");
            ok = refusal(2, "a record whose offset wraps around 2^64", ~uint64_t{0} - 7, 16,
                         "record outside the ring") && ok;
            ok = refusal(3, "a record one byte longer than the ring", at, kCapacity + 1,
                         "record outside the ring") && ok;
            ok = refusal(4, "a record of bytes not yet written", at, 16, "record not yet written") && ok;
            if (!ok) return 4;
            refusals_done = true;
        }
        // Write records while they fit and the window has room.
        while (seq_ < kMessages && count_ < kWindow && !(seq_ == kRefuseAt && !refusals_done)) {
            const uint64_t len = message_length(seq_);
            const uint64_t tail = load_acquire(&hdr_->tail);
            if (head_ - tail + len > kCapacity) {
                if (ring_full_++ == 0)
                    say("producer: the ring is full after {} records, {} bytes unread: record {} ({} bytes) "
                        "waits for the consumer",
                        seq_, head_ - tail, seq_, len);
                break;
            }
            Outstanding& o = g_window[(oldest_ + count_) % kWindow];
            const uint64_t mseq = mix(seq_);
            uint64_t h = kFnvStart;
            for (uint64_t i = 0; i < len; ++i) {
                const uint8_t byte = content(mseq, i);
                data_[(head_ + i) % kCapacity] = byte;
                h = fnv_step(h, byte);
            }
            const uint64_t offset = head_ % kCapacity;
            head_ += len;
            store_release(&hdr_->head, head_);
            if (head_ - tail > most_unread_) most_unread_ = head_ - tail;
            o.seq = seq_;
            o.end = head_;
            o.checksum = h;
            auto params = words_message(o.params, {offset, len, seq_, h});
            abi::Sqe s = call_sqe(peer_, kMethodDeliver, params, o.results);
            // Submitted, not entered: the kernel sees the CALLs when the
            // producer next waits, so the first batch always fills the ring.
            o.user_data = submit(s);
            if (o.user_data == 0) {
                push();
                o.user_data = submit(s);
                if (o.user_data == 0) return 3;
            }
            ++count_;
            ++calls_;
            ++seq_;
        }
        if (count_ == kWindow) ++window_full_;
        if (count_ == 0) {
            if (seq_ < kMessages && !(seq_ == kRefuseAt && !refusals_done)) return 3;  // cannot happen: len <= capacity
            continue;
        }
        if (!wait_oldest()) return 3;
    }

    return 0;
}

// ---------------------------------------------------------------------------
// Consumer

alignas(8) uint8_t g_recv[512];
capnp::Word g_answer[32];

class Consumer {
public:
    int run();

private:
    // Serves one deliver; the answer is at the front of g_answer.
    rt::Answer deliver(uint32_t call_id, capnp::StructReader p);
    rt::Answer refuse(uint32_t call_id, rpc::ExceptionKind kind, StringView text);

    const RingHeader* hdr_ = nullptr;  // the page is writable; only tail is written
    uint64_t* tail_word_ = nullptr;
    const uint8_t* data_ = nullptr;
    uint64_t tail_ = 0;
    uint64_t expected_seq_ = 0;
    uint64_t messages_ = 0;
    uint64_t bytes_checked_ = 0;
    uint64_t refused_ = 0;
    uint64_t wrapped_ = 0;
    bool broken_ = false;
};

rt::Answer Consumer::refuse(uint32_t call_id, rpc::ExceptionKind kind, StringView text) {
    say("consumer: refused a deliver: {}", text);
    ++refused_;
    return rt::Answer{call_id, exception_message(g_answer, kind, text), true};
}

rt::Answer Consumer::deliver(uint32_t call_id, capnp::StructReader p) {
    const uint64_t offset = p.get_data<uint64_t>(0);
    const uint64_t len = p.get_data<uint64_t>(1);
    const uint64_t seq = p.get_data<uint64_t>(2);
    const uint64_t sum = p.get_data<uint64_t>(3);
    char why[160];
    if (offset >= kCapacity || len == 0 || len > kCapacity) {
        size_t n = capos::format_to(why, sizeof(why), "record outside the ring: offset {} length {} (the ring holds {} bytes)",
                                    offset, len, kCapacity);
        return refuse(call_id, rpc::ExceptionKind::InvalidArgument, StringView(why, n));
    }
    const uint64_t published = load_acquire(&hdr_->head) - tail_;
    if (published > kCapacity) {
        broken_ = true;
        size_t n = capos::format_to(why, sizeof(why), "the producer's head is {} bytes past the tail, more than the ring holds",
                                    published);
        return refuse(call_id, rpc::ExceptionKind::Failed, StringView(why, n));
    }
    if (len > published) {
        size_t n = capos::format_to(why, sizeof(why), "record not yet written: length {} but {} bytes published", len,
                                    published);
        return refuse(call_id, rpc::ExceptionKind::InvalidArgument, StringView(why, n));
    }
    if (offset != tail_ % kCapacity || seq != expected_seq_) {
        size_t n = capos::format_to(why, sizeof(why), "record out of order: offset {} seq {}, expected offset {} seq {}",
                                    offset, seq, tail_ % kCapacity, expected_seq_);
        return refuse(call_id, rpc::ExceptionKind::InvalidArgument, StringView(why, n));
    }
    const uint64_t m = mix(seq);
    uint64_t h = kFnvStart;
    for (uint64_t i = 0; i < len; ++i) {
        const uint8_t byte = data_[(offset + i) % kCapacity];
        if (byte != content(m, i)) {
            broken_ = true;
            size_t n = capos::format_to(why, sizeof(why), "record {} differs at byte {}: {} instead of {}", seq, i, byte,
                                        content(m, i));
            return refuse(call_id, rpc::ExceptionKind::Failed, StringView(why, n));
        }
        h = fnv_step(h, byte);
        ++bytes_checked_;
    }
    if (h != sum) {
        broken_ = true;
        size_t n = capos::format_to(why, sizeof(why), "record {} checksum {:#x}, the producer said {:#x}", seq, h, sum);
        return refuse(call_id, rpc::ExceptionKind::Failed, StringView(why, n));
    }
    if (offset + len > kCapacity) ++wrapped_;
    tail_ += len;
    store_release(tail_word_, tail_);
    ++expected_seq_;
    ++messages_;
    return rt::Answer{call_id, words_message(g_answer, {seq, h, tail_}), false};
}

int Consumer::run() {
    const abi::CapId svc = cap("svc", S::Endpoint::kInterfaceId);
    auto transport = rt::transport();
    if (svc == abi::kCapIdNone || !transport) return 1;

    // attach: the MemoryObject in TransferResult 0.
    abi::Cqe r = ringtest::run(recv_sqe(svc, g_recv));
    auto call = rt::parse_recv(g_recv, r.result);
    if (!call) return 2;
    const rt::ReceivedCall& at = call.value();
    if (at.header.interface_id != kProtocol || at.header.method != kMethodAttach || at.header.xfer_count != 1 ||
        at.transfers[0].interface_id != S::MemoryObject::kInterfaceId)
        return 2;
    const abi::CapId mo = at.transfers[0].cap_id;
    capos::rpc::CallBuffers b(g_params, g_res);
    S::MemoryObject::Client obj(*transport.value(), mo);
    auto info = obj.info(b);
    if (!info || info.value().page_count() != kPages) return 2;
    auto mh = obj.map(b, 0, 0, kPageBytes, S::kProtRead | S::kProtWrite);
    if (!mh) return 2;
    const uint64_t header_addr = mh.value().addr();
    auto md = obj.map(b, 0, kPageBytes, kCapacity, S::kProtRead);
    if (!md) return 2;
    const uint64_t data_addr = md.value().addr();
    hdr_ = reinterpret_cast<const RingHeader*>(header_addr);
    tail_word_ = &reinterpret_cast<RingHeader*>(header_addr)->tail;
    data_ = reinterpret_cast<const uint8_t*>(data_addr);
    if (hdr_->magic != kMagic || hdr_->capacity != kCapacity || load_acquire(&hdr_->head) != 0 ||
        load_acquire(&hdr_->tail) != 0)
        return 2;
    say("consumer: attached the shared ring: {} bytes of data, header and data mapped apart (data read-only)",
        kCapacity);
    uint64_t calls = 1;
    uint64_t max_params = at.header.params_len;
    if (ringtest::run(return_sqe(svc, at.header.call_id, empty_struct_message())).result != 0) return 4;

    auto unmap_release = [&] {
        return obj.unmap(b, data_addr, kCapacity) && obj.unmap(b, header_addr, kPageBytes) && release(mo) == 0;
    };
    int code = 0;
    for (;;) {
        r = ringtest::run(recv_sqe(svc, g_recv));
        auto c = rt::parse_recv(g_recv, r.result);
        if (!c) return 4;
        const rt::ReceivedCall& in = c.value();
        ++calls;
        if (in.header.params_len > max_params) max_params = in.header.params_len;
        capnp::MessageReader msg(in.params);
        auto root = msg.root();
        rt::Answer answer;
        if (in.header.interface_id != kProtocol || !root) {
            answer = refuse(in.header.call_id, rpc::ExceptionKind::InvalidArgument, "not a zero-copy ring call");
        } else if (in.header.method == kMethodDeliver) {
            answer = deliver(in.header.call_id, root.value());
        } else if (in.header.method == kMethodFinish) {
            const uint64_t p_messages = root.value().get_data<uint64_t>(0);
            const uint64_t p_bytes = root.value().get_data<uint64_t>(1);
            const uint64_t p_calls = root.value().get_data<uint64_t>(2);
            say("consumer: {} messages, {} bytes checked byte by byte ({} records wrapped around the ring's end), "
                "{} CALLs, {} refused",
                messages_, bytes_checked_, wrapped_, calls, refused_);
            say("consumer: no CALL carried more than {} bytes of params; the {} bytes of payload stayed in the shared "
                "pages",
                max_params, bytes_checked_);
            const bool agree = p_messages == messages_ && p_bytes == tail_ && p_calls == calls &&
                               bytes_checked_ == tail_ && wrapped_ == kFacts.wrapped;
            if (!agree) {
                say("consumer: the producer's counts ({} messages, {} bytes, {} CALLs) differ: FAILED", p_messages,
                    p_bytes, p_calls);
                code = 5;
            }
            if (broken_) code = 3;
            if (!unmap_release() && code == 0) code = 6;
            answer = rt::Answer{in.header.call_id,
                                words_message(g_answer, {messages_, bytes_checked_, calls, refused_, wrapped_,
                                                         max_params}),
                                false};
            if (ringtest::run(rt::return_sqe(svc, answer, 0)).result != 0) return 4;
            return code;
        } else {
            answer = refuse(in.header.call_id, rpc::ExceptionKind::Unimplemented, "unknown method");
        }
        if (ringtest::run(rt::return_sqe(svc, answer, 0)).result != 0) return 4;
        if (broken_) {  // the producer's outstanding CALLs end with the endpoint
            (void)unmap_release();
            return 3;
        }
    }
}

}  // namespace

int capos_main(const rt::StartInfo&) {
    if (has_cap("svc")) {
        Consumer c;
        return c.run();
    }
    Producer p;
    return p.run();
}
