#include "kernel/cap/entropy.hpp"

#include <new>

#include "kernel/arch/x86_64/random.hpp"
#include "kernel/log.hpp"

namespace capos {

namespace {

// Intel's DRNG software implementation guide: retry RDRAND up to 10 times
// before reporting failure; RDSEED may fail more often (it waits for fresh
// entropy), so it gets more tries with a pause between them.
constexpr int kRdrandTries = 10;
constexpr int kRdseedTries = 100;

alignas(EntropyCap) unsigned char g_entropy_storage[sizeof(EntropyCap)];
EntropyCap* g_entropy = nullptr;

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

}  // namespace

const char* entropy_source_name(EntropyCap::Source s) {
    switch (s) {
    case EntropyCap::Source::Rdseed: return "rdseed";
    case EntropyCap::Source::Rdrand: return "rdrand";
    case EntropyCap::Source::Weak: return "weak";
    }
    return "?";
}

EntropyCap& EntropyCap::instance() {
    if (!g_entropy) {
        Source s = Source::Weak;
        bool rdrand = arch::cpu_has_rdrand();
        bool rdseed = arch::cpu_has_rdseed();
        // RDSEED's fallback for a word it cannot give is RDRAND, so RDSEED
        // alone is not used.
        if (rdseed && rdrand) {
            s = Source::Rdseed;
        } else if (rdrand) {
            s = Source::Rdrand;
        }
        g_entropy = new (g_entropy_storage) EntropyCap(s);
        if (s == Source::Weak) {
            g_entropy->weak_state_ = arch::read_tsc();
            log::warn("entropy: WARNING: the CPU has neither RDSEED nor RDRAND; EntropySource gives weak "
                      "TSC-derived bytes (strong=false), unfit for real credentials");
        } else {
            log::info("entropy: source {}", entropy_source_name(s));
        }
    }
    return *g_entropy;
}

Result<uint64_t> EntropyCap::word() {
    uint64_t v = 0;
    switch (source_) {
    case Source::Rdseed:
        if (arch::rdseed64(&v, kRdseedTries)) return v;
        [[fallthrough]];
    case Source::Rdrand:
        if (arch::rdrand64(&v, kRdrandTries)) return v;
        return Error::Busy;
    case Source::Weak:
        weak_state_ ^= arch::read_tsc();
        return splitmix64(weak_state_);
    }
    return Error::Busy;
}

Result<void> EntropyCap::get_bytes(schema::EntropySource::GetBytesParams::Reader params,
                                   schema::EntropySource::GetBytesResults::Builder results) {
    uint32_t count = params.count();
    if (count == 0 || count > kEntropyMaxBytes) return Error::InvalidArgument;
    // Decode, then perform: draw every word before touching the results, so
    // a hardware failure leaves no partial data.
    uint64_t words[kEntropyMaxBytes / 8];
    uint32_t nwords = (count + 7) / 8;
    for (uint32_t i = 0; i < nwords; ++i) words[i] = TRY(word());
    auto data = TRY(results.init_data(count));
    for (uint32_t i = 0; i < count; ++i) data[i] = static_cast<uint8_t>(words[i / 8] >> (8 * (i % 8)));
    for (uint32_t i = 0; i < nwords; ++i) words[i] = 0;
    results.set_strong(source_ != Source::Weak);
    return {};
}

}  // namespace capos
