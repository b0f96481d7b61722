// The one mapping from internal errors to the ring ABI's transport errors
// (abi::TransportError, the negative CQE results).
//
// transport_error.cpp switches over every Error enumerator with no default,
// so -Wall -Werror (-Wswitch) fails the build until a new enumerator is
// classified there. docs/abi.md, "Transport errors", lists the mapping.
#pragma once

#include "abi/ring.hpp"
#include "lib/base/error.hpp"

namespace capos::ring {

abi::TransportError transport_error(Error e);

// The CQE result for an error: always negative.
inline int32_t transport_result(Error e) { return abi::to_result(transport_error(e)); }

}  // namespace capos::ring
