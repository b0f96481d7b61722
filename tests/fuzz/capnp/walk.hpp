// Generic walk over a Cap'n Proto message with lib/capnp's reader: every
// pointer, recursively, reading every data byte and element, within the
// reader's limits. Used by the fuzz target and the malformed-input tests.
// Schema-free: lists are read as found (ElementSize::Void), Byte lists are
// also tried as text. Recursion depth is bounded by the nesting limit.
#pragma once

#include <cstdint>

#include "lib/capnp/reader.hpp"

namespace capos::capnp::testing {

struct WalkStats {
    uint64_t structs = 0;
    uint64_t lists = 0;
    uint64_t capabilities = 0;
    uint64_t texts = 0;
    uint64_t checksum = 0;  // keeps every read observable
};

inline Result<void> walk_pointer(const PointerReader& p, WalkStats& st);

inline void walk_data(std::span<const uint8_t> bytes, WalkStats& st) {
    for (uint8_t b : bytes) st.checksum = st.checksum * 31 + b;
}

inline Result<void> walk_struct(const StructReader& s, WalkStats& st) {
    ++st.structs;
    walk_data(s.data_section(), st);
    for (uint16_t i = 0; i < s.pointer_count(); ++i) TRY(walk_pointer(s.pointer(i), st));
    return {};
}

inline Result<void> walk_list(const ListReader& l, WalkStats& st) {
    ++st.lists;
    switch (l.element_size()) {
    case ElementSize::Void: break;
    case ElementSize::Bit:
        for (uint32_t i = 0; i < l.size(); ++i) st.checksum += l.get<bool>(i);
        break;
    case ElementSize::Byte:
    case ElementSize::TwoBytes:
    case ElementSize::FourBytes:
    case ElementSize::EightBytes:
        for (uint32_t i = 0; i < l.size(); ++i) st.checksum += l.get<uint8_t>(i) + l.get<uint64_t>(i);
        walk_data(l.content_bytes(), st);
        break;
    case ElementSize::Pointer:
        for (uint32_t i = 0; i < l.size(); ++i) TRY(walk_pointer(l.pointer(i), st));
        break;
    case ElementSize::InlineComposite:
        for (uint32_t i = 0; i < l.size(); ++i) TRY(walk_struct(l.get_struct_element(i), st));
        break;
    }
    return {};
}

inline Result<void> walk_pointer(const PointerReader& p, WalkStats& st) {
    PointerType type = TRY(p.type());
    switch (type) {
    case PointerType::Null: return {};
    case PointerType::Capability:
        ++st.capabilities;
        st.checksum += TRY(p.get_capability());
        return {};
    case PointerType::Struct: return walk_struct(TRY(p.get_struct()), st);
    case PointerType::List: {
        ListReader l = TRY(p.get_list(ElementSize::Void));
        if (l.element_size() == ElementSize::Byte) {
            auto text = p.get_text();
            if (text.ok()) {
                ++st.texts;
                walk_data({reinterpret_cast<const uint8_t*>(text.value().data()), text.value().size()}, st);
            }
            auto blob = TRY(p.get_data_blob());
            walk_data(blob, st);
        }
        // The same list seen through every compatible expectation.
        for (ElementSize es : {ElementSize::Bit, ElementSize::Byte, ElementSize::EightBytes,
                               ElementSize::Pointer, ElementSize::InlineComposite}) {
            auto other = p.get_list(es);
            if (other.ok() && es == ElementSize::Pointer) {
                for (uint32_t i = 0; i < other.value().size(); ++i)
                    st.checksum += other.value().pointer(i).raw();
            } else if (other.ok() && es == ElementSize::InlineComposite) {
                for (uint32_t i = 0; i < other.value().size() && i < 64; ++i)
                    walk_data(other.value().get_struct_element(i).data_section(), st);
            }
        }
        return walk_list(l, st);
    }
    }
    return Error::CapnpBadPointer;
}

// Walks the root struct (root pointer as found, not only structs).
inline Result<WalkStats> walk_message(MessageReader& msg) {
    WalkStats st;
    TRY(msg.status());
    TRY(walk_pointer(msg.root_pointer(), st));
    return st;
}

inline bool is_capnp_error(Error e) {
    switch (e) {
    case Error::CapnpBadPointer:
    case Error::CapnpOutOfBounds:
    case Error::CapnpTraversalLimit:
    case Error::CapnpNestingLimit:
    case Error::CapnpBadSegmentTable:
    case Error::CapnpWrongType:
    case Error::CapnpTooManySegments:
    case Error::CapnpMessageTooLarge:
    case Error::CapnpNullCapability: return true;
    default: return false;
    }
}

}  // namespace capos::capnp::testing
