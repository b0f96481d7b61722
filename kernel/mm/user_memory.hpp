// User memory is a distinct type. The kernel reads and writes user memory
// only through these helpers, which check that the range is canonical and
// inside the user half, and turn a fault (unmapped, or not permitted) into
// an error through the exception-fixup table instead of a panic. With SMAP
// on, any other kernel access to user memory faults.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/base/error.hpp"

namespace capos {

// An address in the current process's user half. Never dereferenced directly.
struct UserAddr {
    uint64_t value;
};

// OutOfRange if [addr, addr+len) leaves the user half or wraps.
Result<void> check_user_range(UserAddr addr, size_t len);

// Error::OutOfRange for a range outside the user half (or wrapping),
// Error::NotFound when the copy faults (unmapped, or not permitted); the
// bytes before the faulting page may already have been copied.
Result<void> copy_from_user(void* dst, UserAddr src, size_t len);
Result<void> copy_to_user(UserAddr dst, const void* src, size_t len);

// If `rip` faulted inside a user-copy helper, returns where to resume
// (the helper's error path) and true.
bool user_copy_fixup(uint64_t rip, uint64_t* resume);

}  // namespace capos
