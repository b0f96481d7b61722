#include "lib/base/error.hpp"

namespace capos {

const char* error_name(Error e) {
    switch (e) {
    case Error::InvalidArgument: return "invalid argument";
    case Error::OutOfMemory: return "out of memory";
    case Error::OutOfRange: return "out of range";
    case Error::Overflow: return "arithmetic overflow";
    case Error::NotFound: return "not found";
    case Error::AlreadyExists: return "already exists";
    case Error::Unsupported: return "unsupported";
    case Error::LimitExceeded: return "limit exceeded";
    case Error::Busy: return "busy";
    case Error::BadMagic: return "bad magic";
    case Error::Truncated: return "truncated";
    case Error::Misaligned: return "misaligned";
    case Error::Malformed: return "malformed";
    case Error::CapnpBadPointer: return "capnp: bad pointer";
    case Error::CapnpOutOfBounds: return "capnp: pointer out of bounds";
    case Error::CapnpTraversalLimit: return "capnp: traversal limit exceeded";
    case Error::CapnpNestingLimit: return "capnp: nesting limit exceeded";
    case Error::CapnpBadSegmentTable: return "capnp: bad segment table";
    case Error::CapnpWrongType: return "capnp: wrong pointer type";
    case Error::CapnpBufferTooSmall: return "capnp: buffer too small";
    case Error::CapnpTooManySegments: return "capnp: too many segments";
    case Error::CapnpMessageTooLarge: return "capnp: message too large";
    case Error::CapnpNullCapability: return "capnp: null capability";
    case Error::ElfBadHeader: return "elf: bad header";
    case Error::ElfBadSegment: return "elf: bad segment";
    case Error::ElfTruncated: return "elf: truncated";
    case Error::ElfBadMagic: return "elf: bad magic";
    case Error::ElfBadIdent: return "elf: unsupported class, encoding, version or ABI";
    case Error::ElfWrongMachine: return "elf: not an x86_64 binary";
    case Error::ElfWrongType: return "elf: not a static executable";
    case Error::ElfBadProgramHeaders: return "elf: bad program header table";
    case Error::ElfTooManySegments: return "elf: too many program headers";
    case Error::ElfSegmentOutOfRange: return "elf: segment outside the user range";
    case Error::ElfSegmentTooLarge: return "elf: segment too large";
    case Error::ElfSegmentOverlap: return "elf: overlapping segments";
    case Error::ElfWritableExecutable: return "elf: writable and executable segment";
    case Error::ElfExecutableStack: return "elf: executable stack requested";
    case Error::ElfNotStatic: return "elf: dynamic linking requested";
    case Error::ElfBadEntry: return "elf: entry point not in an executable segment";
    case Error::ElfBadTls: return "elf: bad TLS segment";
    case Error::DoubleFree: return "double free";
    case Error::CapStale: return "cap: bad or stale capability id";
    case Error::CapWrongInterface: return "cap: wrong interface";
    case Error::CapTableFull: return "cap: capability table full";
    case Error::CapTransferConflict: return "cap: conflicting transfer of one capability";
    case Error::RingBadSqe: return "ring: bad SQE";
    case Error::RingBadOpcode: return "ring: bad opcode";
    case Error::RingBadBuffer: return "ring: bad buffer";
    case Error::RingBufferTooSmall: return "ring: buffer too small";
    case Error::RingBadTransfer: return "ring: bad transfer descriptor";
    case Error::RingQueueFull: return "ring: queue full";
    case Error::RingCqFull: return "ring: completion queue full";
    case Error::RingInterrupted: return "ring: interrupted";
    case Error::RingNoSuchCall: return "ring: no such call";
    case Error::CapException: return "the capability raised an exception";
    case Error::Disconnected: return "disconnected";
    case Error::AlreadyAttached: return "process already has a session";
    }
    return "unknown error";
}

}  // namespace capos
