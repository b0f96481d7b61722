// Timer (schema/capos.capnp): the monotonic clock. now() is the TSC scaled
// by a rate measured against the PIT at boot (clock.hpp); sleep(ns)
// completes later, from the caller's own cap_enter, once the clock passes
// the deadline (at most one tick late).
#pragma once

#include "kernel/cap/cap_object.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

class TimerCap final : public ServedCap<schema::Timer> {
public:
    static TimerCap& instance();

private:
    TimerCap() = default;
    void destroy() override {}
    Result<void> now(schema::Timer::NowParams::Reader, schema::Timer::NowResults::Builder results) override;
    Result<void> sleep(schema::Timer::SleepParams::Reader params, schema::Timer::SleepResults::Builder) override;
};

}  // namespace capos
