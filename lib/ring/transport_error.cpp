#include "lib/ring/transport_error.hpp"

namespace capos::ring {

abi::TransportError transport_error(Error e) {
    using T = abi::TransportError;
    switch (e) {
    // The ring itself.
    case Error::RingBadSqe: return T::BadSqe;
    case Error::RingBadOpcode: return T::BadOpcode;
    case Error::RingBadBuffer: return T::BadBuffer;
    case Error::RingBufferTooSmall: return T::BufferTooSmall;
    case Error::RingBadTransfer: return T::TransferFailed;
    case Error::RingQueueFull: return T::QueueFull;
    case Error::RingCqFull: return T::QueueFull;
    case Error::RingInterrupted: return T::Interrupted;
    case Error::RingNoSuchCall: return T::NoSuchCall;

    // Capability lookup and transfer.
    case Error::CapStale: return T::BadCapability;
    case Error::CapWrongInterface: return T::WrongInterface;
    case Error::CapTableFull: return T::TransferFailed;
    case Error::CapTransferConflict: return T::TransferFailed;

    // A capability's own exception: the handler serialized a CapException
    // into the result buffer.
    case Error::CapException: return T::ApplicationException;
    // The peer went away before answering. (Where the kernel can write a
    // CapException of type disconnected it reports ApplicationException.)
    case Error::Disconnected: return T::Interrupted;

    // Resources: nothing happened, the caller may retry.
    case Error::OutOfMemory:
    case Error::LimitExceeded:
    case Error::Busy: return T::QueueFull;

    // A result that does not fit the caller's buffer.
    case Error::CapnpBufferTooSmall: return T::BufferTooSmall;

    // Anything else that escapes a handler was caused by what the caller
    // sent: its params did not decode or made no sense.
    case Error::InvalidArgument:
    case Error::OutOfRange:
    case Error::Overflow:
    case Error::NotFound:
    case Error::AlreadyExists:
    case Error::AlreadyAttached:
    case Error::Unsupported:
    case Error::BadMagic:
    case Error::Truncated:
    case Error::Misaligned:
    case Error::Malformed:
    case Error::CapnpBadPointer:
    case Error::CapnpOutOfBounds:
    case Error::CapnpTraversalLimit:
    case Error::CapnpNestingLimit:
    case Error::CapnpBadSegmentTable:
    case Error::CapnpWrongType:
    case Error::CapnpTooManySegments:
    case Error::CapnpMessageTooLarge:
    case Error::CapnpNullCapability:
    case Error::ElfBadHeader:
    case Error::ElfBadSegment:
    case Error::ElfTruncated:
    case Error::ElfBadMagic:
    case Error::ElfBadIdent:
    case Error::ElfWrongMachine:
    case Error::ElfWrongType:
    case Error::ElfBadProgramHeaders:
    case Error::ElfTooManySegments:
    case Error::ElfSegmentOutOfRange:
    case Error::ElfSegmentTooLarge:
    case Error::ElfSegmentOverlap:
    case Error::ElfWritableExecutable:
    case Error::ElfExecutableStack:
    case Error::ElfNotStatic:
    case Error::ElfBadEntry:
    case Error::ElfBadTls:
    case Error::DoubleFree: return T::MalformedParams;
    }
    // Not reached for a valid enumerator; an out-of-range value is the
    // caller's bug and still yields a defined, negative result.
    return T::MalformedParams;
}

}  // namespace capos::ring
