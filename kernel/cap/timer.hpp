// Timer (schema/capos.capnp): the monotonic clock. now() is the TSC scaled
// by a rate measured against the PIT at boot (clock.hpp); sleep(ns)
// completes later, from the caller's own cap_enter, once the clock passes
// the deadline (at most one tick late).
#pragma once

#include "kernel/cap/cap_object.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

class TimerCap final : public CapObject, private schema::Timer::Server {
public:
    static TimerCap& instance();

    uint64_t interface_id() const override { return schema::Timer::kInterfaceId; }
    Result<rpc::Reply> call(uint16_t method, std::span<const uint8_t> params,
                            std::span<capnp::Word> scratch, CallContext& ctx) override;

private:
    TimerCap() = default;
    void destroy() override {}
    Result<void> now(schema::Timer::NowParams::Reader, schema::Timer::NowResults::Builder results) override;
    Result<void> sleep(schema::Timer::SleepParams::Reader params, schema::Timer::SleepResults::Builder) override;
    CallContext* ctx_ = nullptr;  // the call being served (one CPU, one call at a time)
};

}  // namespace capos
