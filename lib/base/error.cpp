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
    case Error::ElfBadHeader: return "elf: bad header";
    case Error::ElfBadSegment: return "elf: bad segment";
    case Error::DoubleFree: return "double free";
    }
    return "unknown error";
}

}  // namespace capos
