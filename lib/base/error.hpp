// capOS: the one internal error type, Result<T> and TRY.
//
// Errors are values. Every fallible function returns Result<T> (or
// Result<void>), and callers propagate with TRY(expr). The mapping from
// Error to the ring ABI's transport error codes lives in one function
// (added with the ring) compiled with -Werror=switch.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

namespace capos {

enum class Error : unsigned short {
    // Generic
    InvalidArgument = 1,
    OutOfMemory,
    OutOfRange,
    Overflow,
    NotFound,
    AlreadyExists,
    Unsupported,
    LimitExceeded,
    Busy,
    // Boot information
    BadMagic,
    Truncated,
    Misaligned,
    Malformed,
    // Cap'n Proto wire format
    CapnpBadPointer,
    CapnpOutOfBounds,
    CapnpTraversalLimit,
    CapnpNestingLimit,
    CapnpBadSegmentTable,
    CapnpWrongType,
    CapnpBufferTooSmall,
    CapnpTooManySegments,
    CapnpMessageTooLarge,
    CapnpNullCapability,
    // ELF
    ElfBadHeader,
    ElfBadSegment,
    ElfTruncated,
    ElfBadMagic,
    ElfBadIdent,
    ElfWrongMachine,
    ElfWrongType,
    ElfBadProgramHeaders,
    ElfTooManySegments,
    ElfSegmentOutOfRange,
    ElfSegmentTooLarge,
    ElfSegmentOverlap,
    ElfWritableExecutable,
    ElfExecutableStack,
    ElfNotStatic,
    ElfBadEntry,
    ElfBadTls,
    // Frames and heap
    DoubleFree,
    // Capability table and transfers
    CapStale,
    CapWrongInterface,
    CapTableFull,
    CapTransferConflict,
    // Capability ring
    RingBadSqe,
    RingBadOpcode,
    RingBadBuffer,
    RingBufferTooSmall,
    RingBadTransfer,
    RingQueueFull,
    RingCqFull,
    RingInterrupted,
    RingNoSuchCall,
    // Capability calls (schema/rpc.hpp)
    CapException,
    Disconnected,
    // Sessions
    AlreadyAttached,
};

// A short, stable, human-readable name. Never contains addresses or secrets.
const char* error_name(Error e);

template <typename T>
class [[nodiscard]] Result {
public:
    Result(const T& value) : has_value_(true) { new (&storage_) T(value); }
    Result(T&& value) : has_value_(true) { new (&storage_) T(std::move(value)); }
    Result(Error error) : has_value_(false), error_(error) {}

    Result(const Result& other) : has_value_(other.has_value_), error_(other.error_) {
        if (has_value_) new (&storage_) T(*other.ptr());
    }
    Result(Result&& other) : has_value_(other.has_value_), error_(other.error_) {
        if (has_value_) new (&storage_) T(std::move(*other.ptr()));
    }
    Result& operator=(const Result&) = delete;
    Result& operator=(Result&&) = delete;
    ~Result() {
        if (has_value_) ptr()->~T();
    }

    bool ok() const { return has_value_; }
    explicit operator bool() const { return has_value_; }
    Error error() const { return error_; }

    T& value() & { return *ptr(); }
    const T& value() const& { return *ptr(); }
    T&& value() && { return std::move(*ptr()); }
    T release_value() { return std::move(*ptr()); }

    T value_or(T fallback) const { return has_value_ ? *ptr() : fallback; }

private:
    T* ptr() { return std::launder(reinterpret_cast<T*>(&storage_)); }
    const T* ptr() const { return std::launder(reinterpret_cast<const T*>(&storage_)); }

    alignas(T) unsigned char storage_[sizeof(T)];
    bool has_value_;
    Error error_ = Error::InvalidArgument;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() : has_value_(true) {}
    Result(Error error) : has_value_(false), error_(error) {}

    bool ok() const { return has_value_; }
    explicit operator bool() const { return has_value_; }
    Error error() const { return error_; }
    void value() const {}
    void release_value() const {}

private:
    bool has_value_;
    Error error_ = Error::InvalidArgument;
};

}  // namespace capos

// Propagate an error to the caller, or yield the value.
// Usage: auto x = TRY(parse(...));   TRY(check(...));
#define TRY(expr)                                          \
    ({                                                     \
        auto _capos_try_result = (expr);                   \
        if (!_capos_try_result.ok())                       \
            return _capos_try_result.error();              \
        _capos_try_result.release_value();                 \
    })
