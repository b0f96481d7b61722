// Cap'n Proto wire format: words, pointer encodings, element sizes, limits.
//
// Spec: https://capnproto.org/encoding.html. Everything is little-endian and
// x86_64 is too, so values are loaded and stored as-is, always through
// __builtin_memcpy so that no typed pointer to message memory is ever formed
// (message bytes may be unaligned and may alias anything).
//
// A pointer is one 64-bit word; A = bits 0-1 selects the kind:
//
//   struct  A=0 | B: 30-bit signed offset (words, from the end of the pointer)
//           | C: 16-bit data section words | D: 16-bit pointer count
//   list    A=1 | B: 30-bit signed offset | C: 3-bit ElementSize
//           | D: 29-bit element count (word count for InlineComposite)
//   far     A=2 | bit 2: double-far | bits 3-31: 29-bit landing pad offset
//           | bits 32-63: segment id
//   other   A=3 | bits 2-31 must be 0 (capability) | bits 32-63: cap index
//
//    63            48 47            32 31                          2 1 0
//   +----------------+----------------+-----------------------------+---+
//   | D (ptrs/count) | C (data/size)  | B (offset, signed, words)   | A |
//   +----------------+----------------+-----------------------------+---+
//
// An all-zero word is the null pointer; a zero-sized struct is therefore
// encoded with offset -1.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace capos::capnp {

static_assert(std::endian::native == std::endian::little, "capnp wire code assumes little-endian");

using Word = uint64_t;

inline constexpr uint32_t kBytesPerWord = 8;
inline constexpr uint32_t kBitsPerWord = 64;

// Element sizes of a list pointer (field C), numbered as on the wire.
enum class ElementSize : uint8_t {
    Void = 0,
    Bit = 1,
    Byte = 2,
    TwoBytes = 3,
    FourBytes = 4,
    EightBytes = 5,
    Pointer = 6,
    InlineComposite = 7,
};

enum class PointerKind : uint8_t { Struct = 0, List = 1, Far = 2, Other = 3 };

// What a (far pointers resolved) pointer refers to.
enum class PointerType : uint8_t { Null, Struct, List, Capability };

// ---- Limits (ReaderOptions defaults). See docs/capnp.md. -----------------

// Words a reader may dereference in total (the official runtime's default:
// 64 MiB). Every struct or list dereference charges its size; a list of
// zero-sized elements charges one word per element, so a list of 2^29 voids
// cannot amplify a tiny message into unbounded work.
inline constexpr uint64_t kDefaultTraversalLimitWords = 8ull * 1024 * 1024;
// Pointer hops from the root pointer to the deepest object read (the root
// struct itself is depth 1).
inline constexpr int32_t kDefaultNestingLimit = 64;
// Segments in one message. Far-pointer lookup is O(1) for the first
// kSegmentCacheSize segments and O(segment id) beyond, so this bounds it too.
inline constexpr uint32_t kDefaultMaxSegments = 512;
// Sum of all segment sizes, in words (64 MiB).
inline constexpr uint64_t kDefaultMaxMessageWords = 8ull * 1024 * 1024;

// Field widths on the wire.
inline constexpr uint32_t kMaxListElements = (1u << 29) - 1;     // D of a list pointer
inline constexpr uint32_t kMaxCompositeElements = (1u << 30) - 1;  // B of a list tag
inline constexpr uint32_t kMaxFarOffset = (1u << 29) - 1;
inline constexpr int32_t kMaxPointerOffset = (1 << 29) - 1;
inline constexpr int32_t kMinPointerOffset = -(1 << 29);

namespace wire {

template <typename T>
inline T load(const uint8_t* p) {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    __builtin_memcpy(&v, p, sizeof(T));
    return v;
}

template <typename T>
inline void store(uint8_t* p, T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    __builtin_memcpy(p, &v, sizeof(T));
}

constexpr PointerKind kind(Word w) { return static_cast<PointerKind>(w & 3); }
// Field B of a struct or list pointer, sign-extended.
constexpr int32_t offset(Word w) { return static_cast<int32_t>(static_cast<uint32_t>(w)) >> 2; }

constexpr uint16_t struct_data_words(Word w) { return static_cast<uint16_t>(w >> 32); }
constexpr uint16_t struct_ptr_count(Word w) { return static_cast<uint16_t>(w >> 48); }

constexpr ElementSize list_element_size(Word w) { return static_cast<ElementSize>((w >> 32) & 7); }
constexpr uint32_t list_count(Word w) { return static_cast<uint32_t>(w >> 35); }
// Element count in an inline-composite tag word (field B, unsigned).
constexpr uint32_t tag_element_count(Word w) { return static_cast<uint32_t>(w) >> 2; }

constexpr bool far_is_double(Word w) { return (w >> 2) & 1; }
constexpr uint32_t far_pad_offset(Word w) { return static_cast<uint32_t>(w) >> 3; }
constexpr uint32_t far_segment(Word w) { return static_cast<uint32_t>(w >> 32); }

constexpr bool is_capability(Word w) { return (w & 0xffffffffu) == 3; }
constexpr uint32_t capability_index(Word w) { return static_cast<uint32_t>(w >> 32); }

constexpr Word make_struct(int32_t off, uint16_t data_words, uint16_t ptr_count) {
    return Word{static_cast<uint32_t>(off) << 2} | (Word{data_words} << 32) | (Word{ptr_count} << 48);
}
constexpr Word make_list(int32_t off, ElementSize es, uint32_t count) {
    return Word{(static_cast<uint32_t>(off) << 2) | 1u} | (Word{static_cast<uint8_t>(es)} << 32) |
           (Word{count} << 35);
}
// The tag word in front of an inline-composite list's elements.
constexpr Word make_tag(uint32_t elements, uint16_t data_words, uint16_t ptr_count) {
    return Word{elements << 2} | (Word{data_words} << 32) | (Word{ptr_count} << 48);
}
constexpr Word make_far(bool double_far, uint32_t pad_offset, uint32_t segment) {
    return Word{(pad_offset << 3) | (double_far ? 4u : 0u) | 2u} | (Word{segment} << 32);
}
constexpr Word make_capability(uint32_t index) { return Word{3} | (Word{index} << 32); }

// Data bits and pointers per element of a non-composite list.
constexpr uint32_t data_bits_per_element(ElementSize es) {
    constexpr uint8_t kBits[8] = {0, 1, 8, 16, 32, 64, 0, 0};
    return kBits[static_cast<uint8_t>(es) & 7];
}
constexpr uint32_t pointers_per_element(ElementSize es) { return es == ElementSize::Pointer ? 1 : 0; }

}  // namespace wire
}  // namespace capos::capnp
