// EntropySource (schema/capos.capnp): random bytes for salts and keys.
//
// Sources, best first, chosen once when the capability is first made:
//   rdseed  RDSEED (the hardware entropy source), each 64-bit word retried
//           up to kRdseedTries times with a pause; a word RDSEED cannot
//           give comes from RDRAND instead.
//   rdrand  RDRAND (the hardware DRBG), up to kRdrandTries tries per word,
//           as Intel's DRNG guide recommends. A word neither gives (a
//           broken or exhausted generator) fails the call with
//           `overloaded`; nothing weak is mixed in silently.
//   weak    neither instruction exists (e.g. QEMU's default qemu64 CPU):
//           a SplitMix64 generator whose state is stirred with the TSC at
//           every word. Predictable to anyone who can estimate the TSC:
//           only good for tests. strong = false in every result, and the
//           kernel logs one warning line when this source is chosen.
// Under QEMU 7.2's TCG, `-cpu max` offers RDRAND but not RDSEED, so the
// source there is rdrand; the default qemu64 CPU has neither. See
// docs/auth.md.
#pragma once

#include "kernel/cap/cap_object.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

inline constexpr uint32_t kEntropyMaxBytes = 256;

class EntropyCap final : public ServedCap<schema::EntropySource> {
public:
    enum class Source : uint8_t { Rdseed, Rdrand, Weak };
    static EntropyCap& instance();
    Source source() const { return source_; }

private:
    explicit EntropyCap(Source s) : source_(s) {}
    void destroy() override {}
    Result<void> get_bytes(schema::EntropySource::GetBytesParams::Reader params,
                           schema::EntropySource::GetBytesResults::Builder results) override;
    Result<uint64_t> word();

    Source source_;
    uint64_t weak_state_ = 0;
};

const char* entropy_source_name(EntropyCap::Source s);

}  // namespace capos
