// lib/capnp against libcapnp 0.9.2, same messages, same machine, one run:
// a five-field struct with a text field, and a 1,000-element struct list,
// each encoded and decoded. Both sides build into caller-provided zeroed
// memory (libcapnp: MallocMessageBuilder over a scratch segment) and decode
// from a flat buffer, reading every field. Our accessors use the offsets a
// generator would emit for bench.capnp (checked against libcapnp at start).
// `bench-capnp` runs this and prints ours/libcapnp per case (ratio.py).

#include <benchmark/benchmark.h>
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bench/capnp/bench.capnp.h"
#include "lib/capnp/capnp.hpp"

namespace cc = capos::capnp;

namespace {

constexpr uint32_t kItems = 1000;
constexpr const char kName[] = "hello, capability world";

// ---- Five (2 data words, 1 pointer) ----------------------------------------
// id: u64 @0, count: u32 @2, delta: i16 @6, enabled: bit 112, name: ptr 0.

void encode_five_ours(cc::MessageBuilder& mb, uint64_t i) {
    cc::StructBuilder r = mb.init_root(2, 1).value();
    r.set_data<uint64_t>(0, 42 + i);
    r.set_data<uint32_t>(2, 7);
    r.set_data<int16_t>(6, -3);
    r.set_data<bool>(112, true);
    (void)r.set_text(0, kName);
}

void encode_five_capnp(capnp::MessageBuilder& mb, uint64_t i) {
    Five::Builder r = mb.initRoot<Five>();
    r.setId(42 + i);
    r.setCount(7);
    r.setDelta(-3);
    r.setEnabled(true);
    r.setName(kName);
}

uint64_t decode_five_ours(std::span<const uint8_t> bytes) {
    cc::MessageReader m(bytes);
    auto root = m.root();
    if (!root.ok()) std::abort();
    const cc::StructReader& r = root.value();
    uint64_t sum = r.get_data<uint64_t>(0) + r.get_data<uint32_t>(2) +
                   static_cast<uint64_t>(r.get_data<int16_t>(6)) + r.get_data<bool>(112);
    auto name = r.get_text(0);
    if (!name.ok()) std::abort();
    return sum + name.value().size() + static_cast<uint8_t>(name.value()[0]);
}

uint64_t decode_five_capnp(kj::ArrayPtr<const capnp::word> words) {
    capnp::FlatArrayMessageReader m(words);
    Five::Reader r = m.getRoot<Five>();
    uint64_t sum = r.getId() + r.getCount() + static_cast<uint64_t>(r.getDelta()) + r.getEnabled();
    capnp::Text::Reader name = r.getName();
    return sum + name.size() + static_cast<uint8_t>(name[0]);
}

// ---- Batch of Items (Item: 3 data words) ------------------------------------
// id: u64 @0, value: i32 @2, flag: bit 96, score: f64 @2.

void encode_batch_ours(cc::MessageBuilder& mb) {
    cc::StructBuilder root = mb.init_root(0, 1).value();
    cc::ListBuilder items = root.init_struct_list(0, kItems, 3, 0).value();
    for (uint32_t i = 0; i < kItems; ++i) {
        cc::StructBuilder it = items.struct_element(i);
        it.set_data<uint64_t>(0, i * 3);
        it.set_data<int32_t>(2, -static_cast<int32_t>(i));
        it.set_data<bool>(96, (i & 1) != 0);
        it.set_data<double>(2, i * 0.5);
    }
}

void encode_batch_capnp(capnp::MessageBuilder& mb) {
    auto items = mb.initRoot<Batch>().initItems(kItems);
    for (uint32_t i = 0; i < kItems; ++i) {
        Item::Builder it = items[i];
        it.setId(i * 3);
        it.setValue(-static_cast<int32_t>(i));
        it.setFlag((i & 1) != 0);
        it.setScore(i * 0.5);
    }
}

double decode_batch_ours(std::span<const uint8_t> bytes) {
    cc::MessageReader m(bytes);
    auto root = m.root();
    if (!root.ok()) std::abort();
    auto items = root.value().get_list(0, cc::ElementSize::InlineComposite);
    if (!items.ok()) std::abort();
    const cc::ListReader& l = items.value();
    double sum = 0;
    for (uint32_t i = 0; i < l.size(); ++i) {
        cc::StructReader it = l.get_struct_element(i);
        sum += static_cast<double>(it.get_data<uint64_t>(0)) + it.get_data<int32_t>(2) +
               it.get_data<bool>(96) + it.get_data<double>(2);
    }
    return sum;
}

double decode_batch_capnp(kj::ArrayPtr<const capnp::word> words) {
    capnp::FlatArrayMessageReader m(words);
    double sum = 0;
    for (Item::Reader it : m.getRoot<Batch>().getItems())
        sum += static_cast<double>(it.getId()) + it.getValue() + it.getFlag() + it.getScore();
    return sum;
}

// ---- fixtures -------------------------------------------------------------------

struct Buffers {
    std::vector<cc::Word> ours = std::vector<cc::Word>(8192);
    kj::Array<capnp::word> scratch = kj::heapArray<capnp::word>(8192);
    Buffers() { std::memset(scratch.begin(), 0, scratch.size() * sizeof(capnp::word)); }
};

std::vector<uint8_t> five_bytes() {
    static Buffers b;
    cc::MessageBuilder mb(b.ours);
    encode_five_ours(mb, 0);
    auto s = mb.bytes();
    return {s.begin(), s.end()};
}

std::vector<uint8_t> batch_bytes() {
    static Buffers b;
    cc::MessageBuilder mb(b.ours);
    encode_batch_ours(mb);
    auto s = mb.bytes();
    return {s.begin(), s.end()};
}

kj::Array<capnp::word> to_words(const std::vector<uint8_t>& bytes) {
    auto w = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(w.begin(), bytes.data(), bytes.size());
    return w;
}

// Both encoders must produce the same bytes, and both decoders the same sums.
void check_equivalence() {
    Buffers b;
    auto five_ours = five_bytes();
    {
        capnp::MallocMessageBuilder mb(b.scratch);
        encode_five_capnp(mb, 0);
        auto flat = capnp::messageToFlatArray(mb);
        if (flat.asBytes().size() != five_ours.size() ||
            std::memcmp(flat.asBytes().begin(), five_ours.data(), five_ours.size()) != 0) {
            std::fprintf(stderr, "five: encodings differ\n");
            std::exit(1);
        }
    }
    std::memset(b.scratch.begin(), 0, b.scratch.size() * sizeof(capnp::word));
    auto batch_ours = batch_bytes();
    {
        capnp::MallocMessageBuilder mb(b.scratch);
        encode_batch_capnp(mb);
        auto flat = capnp::messageToFlatArray(mb);
        if (flat.asBytes().size() != batch_ours.size() ||
            std::memcmp(flat.asBytes().begin(), batch_ours.data(), batch_ours.size()) != 0) {
            std::fprintf(stderr, "batch: encodings differ\n");
            std::exit(1);
        }
    }
    auto fw = to_words(five_ours);
    auto bw = to_words(batch_ours);
    if (decode_five_ours(five_ours) != decode_five_capnp(fw) ||
        decode_batch_ours(batch_ours) != decode_batch_capnp(bw)) {
        std::fprintf(stderr, "decoders disagree\n");
        std::exit(1);
    }
}

// ---- benchmarks -------------------------------------------------------------------

void FiveEncode_Ours(benchmark::State& st) {
    Buffers b;
    uint64_t i = 0;
    for (auto _ : st) {
        cc::MessageBuilder mb(b.ours);
        encode_five_ours(mb, i++);
        auto bytes = mb.bytes();
        benchmark::DoNotOptimize(bytes.data());
        benchmark::ClobberMemory();
    }
}

void FiveEncode_Libcapnp(benchmark::State& st) {
    Buffers b;
    uint64_t i = 0;
    for (auto _ : st) {
        capnp::MallocMessageBuilder mb(b.scratch);  // re-zeroes what it used on destruction
        encode_five_capnp(mb, i++);
        auto segs = mb.getSegmentsForOutput();
        benchmark::DoNotOptimize(segs.begin());
        benchmark::ClobberMemory();
    }
}

void FiveDecode_Ours(benchmark::State& st) {
    auto bytes = five_bytes();
    for (auto _ : st) benchmark::DoNotOptimize(decode_five_ours(bytes));
}

void FiveDecode_Libcapnp(benchmark::State& st) {
    auto words = to_words(five_bytes());
    for (auto _ : st) benchmark::DoNotOptimize(decode_five_capnp(words));
}

void ListEncode_Ours(benchmark::State& st) {
    Buffers b;
    for (auto _ : st) {
        cc::MessageBuilder mb(b.ours);
        encode_batch_ours(mb);
        auto bytes = mb.bytes();
        benchmark::DoNotOptimize(bytes.data());
        benchmark::ClobberMemory();
    }
}

void ListEncode_Libcapnp(benchmark::State& st) {
    Buffers b;
    for (auto _ : st) {
        capnp::MallocMessageBuilder mb(b.scratch);
        encode_batch_capnp(mb);
        auto segs = mb.getSegmentsForOutput();
        benchmark::DoNotOptimize(segs.begin());
        benchmark::ClobberMemory();
    }
}

void ListDecode_Ours(benchmark::State& st) {
    auto bytes = batch_bytes();
    for (auto _ : st) benchmark::DoNotOptimize(decode_batch_ours(bytes));
}

void ListDecode_Libcapnp(benchmark::State& st) {
    auto words = to_words(batch_bytes());
    for (auto _ : st) benchmark::DoNotOptimize(decode_batch_capnp(words));
}

BENCHMARK(FiveEncode_Ours);
BENCHMARK(FiveEncode_Libcapnp);
BENCHMARK(FiveDecode_Ours);
BENCHMARK(FiveDecode_Libcapnp);
BENCHMARK(ListEncode_Ours);
BENCHMARK(ListEncode_Libcapnp);
BENCHMARK(ListDecode_Ours);
BENCHMARK(ListDecode_Libcapnp);

}  // namespace

int main(int argc, char** argv) {
    check_equivalence();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
