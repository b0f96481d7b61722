// Cap'n Proto message reader over caller-provided bytes. Freestanding: no
// allocation, no exceptions; every failure is an Error value.
//
//   MessageReader msg(bytes);                 // parses the segment table
//   StructReader root = TRY(msg.root());
//   uint32_t x = root.get_data<uint32_t>(1);  // field at byte offset 4
//   StringView name = TRY(root.get_text(0));
//
// Contracts:
// - The message bytes must outlive the MessageReader, and the MessageReader
//   must outlive every reader obtained from it (readers point into both).
//   The MessageReader is neither copyable nor movable for that reason.
// - Every pointer is bounds-checked against its segment with integer word
//   offsets before any address is formed; arithmetic cannot wrap.
// - Each struct/list dereference is charged to the traversal budget and
//   decrements the nesting budget (ReaderOptions). Re-reading the same
//   pointer charges again (that is what bounds cyclic and overlapping
//   pointers).
// - Accessors of the struct's own data section never fail: a field beyond
//   the data section (an older sender) reads as its default; a pointer index
//   beyond the pointer section reads as null.
// - Data fields are stored XORed with their schema default: pass the default
//   as `default_xor` (as a value of the field's type) to get the real value.
// - Floating-point accessors are templates only instantiated by user and host
//   code; the kernel flavour never sees a float.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"
#include "lib/capnp/wire.hpp"

namespace capos::capnp {

struct ReaderOptions {
    uint64_t traversal_limit_words = kDefaultTraversalLimitWords;
    int32_t nesting_limit = kDefaultNestingLimit;
    uint32_t max_segments = kDefaultMaxSegments;
    uint64_t max_message_words = kDefaultMaxMessageWords;
};

// One segment: `words` words starting at `begin` (any alignment).
struct SegmentView {
    const uint8_t* begin = nullptr;
    uint32_t words = 0;
};

class MessageReader;
class StructReader;
class ListReader;

namespace detail {
// Shared state of every reader: the message (for far pointers and the
// traversal budget; null for trusted single-segment data such as defaults and
// builder views, where far pointers are rejected and nothing is charged), the
// segment holding the object, and the remaining nesting budget for pointers
// found inside the object.
struct ReadContext {
    MessageReader* msg = nullptr;
    SegmentView seg;
    int32_t nesting = 0;
};
}  // namespace detail

// One pointer slot (in a struct's pointer section or a pointer list). A
// default-constructed PointerReader is a null pointer.
class PointerReader {
public:
    PointerReader() = default;
    PointerReader(detail::ReadContext ctx, const uint8_t* slot) : ctx_(ctx), slot_(slot) {}

    bool is_null() const { return slot_ == nullptr || wire::load<Word>(slot_) == 0; }
    // Kind of the object after following far pointers.
    Result<PointerType> type() const;

    // A null pointer reads as `default_value` when given (a single-segment
    // message body without segment table: root pointer at word 0, trusted,
    // static storage), else as an empty struct / empty list.
    Result<StructReader> get_struct(std::span<const Word> default_value = {}) const;
    // `expected` is the schema's element size. Compatible encodings are
    // accepted as the spec allows (struct list read as a primitive or pointer
    // list through the first field, primitive list read as a struct list);
    // Void accepts any list. Bit lists are only readable as Bit or Void.
    Result<ListReader> get_list(ElementSize expected,
                                std::span<const Word> default_value = {}) const;
    // Checks the NUL terminator; the view excludes it. Null -> default_value.
    Result<StringView> get_text(StringView default_value = {}) const;
    Result<std::span<const uint8_t>> get_data_blob(std::span<const uint8_t> default_value = {}) const;
    // The index into the message's capability table. Null is an error
    // (Error::CapnpNullCapability).
    Result<uint32_t> get_capability() const;

    // Raw pointer word (0 when absent). For tests and generic walkers.
    Word raw() const { return slot_ ? wire::load<Word>(slot_) : 0; }

private:
    detail::ReadContext ctx_;
    const uint8_t* slot_ = nullptr;  // null: absent slot, reads as a null pointer
};

// A struct's data and pointer sections. Default-constructed: an empty struct
// whose every field reads as its default.
class StructReader {
public:
    StructReader() = default;
    StructReader(detail::ReadContext ctx, const uint8_t* data, const uint8_t* ptrs,
                 uint32_t data_bits, uint16_t ptr_count)
        : ctx_(ctx), data_(data), ptrs_(ptrs), data_bits_(data_bits), ptr_count_(ptr_count) {}

    // Data field `offset`, counted in units of T (bool: bits). T is bool,
    // [u]int8..64, float or double. Out of the data section -> default_xor.
    template <typename T>
    T get_data(uint32_t offset, T default_xor = T{}) const;

    uint32_t data_size_bits() const { return data_bits_; }
    uint32_t data_size_words() const { return data_bits_ / kBitsPerWord; }
    uint16_t pointer_count() const { return ptr_count_; }
    std::span<const uint8_t> data_section() const { return {data_, data_bits_ / 8}; }

    bool has_pointer(uint16_t index) const { return !pointer(index).is_null(); }
    PointerReader pointer(uint16_t index) const {
        if (index >= ptr_count_) return PointerReader();
        return PointerReader(ctx_, ptrs_ + size_t{index} * kBytesPerWord);
    }

    Result<StructReader> get_struct(uint16_t index, std::span<const Word> def = {}) const {
        return pointer(index).get_struct(def);
    }
    Result<ListReader> get_list(uint16_t index, ElementSize expected,
                                std::span<const Word> def = {}) const;
    Result<StringView> get_text(uint16_t index, StringView def = {}) const {
        return pointer(index).get_text(def);
    }
    Result<std::span<const uint8_t>> get_data_blob(uint16_t index,
                                                   std::span<const uint8_t> def = {}) const {
        return pointer(index).get_data_blob(def);
    }
    Result<uint32_t> get_capability(uint16_t index) const { return pointer(index).get_capability(); }

private:
    detail::ReadContext ctx_;
    const uint8_t* data_ = nullptr;
    const uint8_t* ptrs_ = nullptr;
    uint32_t data_bits_ = 0;  // Invariant: a multiple of 8; data_ + data_bits_/8 is in bounds
    uint16_t ptr_count_ = 0;
};

// A list. Elements are laid out every step_bits() bits; each element has
// data_bits() bits of data followed by pointer_count() pointers (the struct
// view of any list). Index out of range reads as zero / empty / null.
class ListReader {
public:
    ListReader() = default;
    ListReader(detail::ReadContext ctx, const uint8_t* base, uint32_t count, uint32_t step_bits,
               uint32_t data_bits, uint16_t ptr_count, ElementSize element_size)
        : ctx_(ctx),
          base_(base),
          count_(count),
          step_bits_(step_bits),
          data_bits_(data_bits),
          ptr_count_(ptr_count),
          element_size_(element_size) {}

    uint32_t size() const { return count_; }
    // The encoding found on the wire (may differ from what was expected).
    ElementSize element_size() const { return element_size_; }
    uint32_t step_bits() const { return step_bits_; }
    uint32_t data_bits() const { return data_bits_; }
    uint16_t pointer_count() const { return ptr_count_; }

    // Primitive element i (the first field of a struct element). T wider than
    // the element's data reads as zero.
    template <typename T>
    T get(uint32_t i) const;

    // Struct element i (any non-bit list can be viewed as a struct list).
    StructReader get_struct_element(uint32_t i) const;
    // Pointer element i: the first pointer of element i.
    PointerReader pointer(uint32_t i) const {
        if (i >= count_ || ptr_count_ == 0) return PointerReader();
        return PointerReader(ctx_, base_ + (uint64_t{i} * step_bits_ + data_bits_) / 8);
    }
    Result<StructReader> get_struct(uint32_t i, std::span<const Word> def = {}) const {
        return pointer(i).get_struct(def);
    }
    Result<ListReader> get_list(uint32_t i, ElementSize expected) const;
    Result<StringView> get_text(uint32_t i) const { return pointer(i).get_text(); }
    Result<std::span<const uint8_t>> get_data_blob(uint32_t i) const {
        return pointer(i).get_data_blob();
    }
    Result<uint32_t> get_capability(uint32_t i) const { return pointer(i).get_capability(); }

    // All elements' bytes, whatever their size.
    std::span<const uint8_t> content_bytes() const {
        return {base_, static_cast<size_t>((uint64_t{count_} * step_bits_ + 7) / 8)};
    }
    // The raw bytes of a Byte list (text, data). Empty for other sizes.
    std::span<const uint8_t> bytes() const {
        if (element_size_ != ElementSize::Byte) return {};
        return {base_, count_};
    }

private:
    detail::ReadContext ctx_;
    const uint8_t* base_ = nullptr;
    uint32_t count_ = 0;
    uint32_t step_bits_ = 0;  // Invariant: count_ * step_bits_ bits lie inside the segment
    uint32_t data_bits_ = 0;  // Invariant: data_bits_ + 64 * ptr_count_ <= step_bits_
    uint16_t ptr_count_ = 0;
    ElementSize element_size_ = ElementSize::Void;
};

// Parses the standard stream framing:
//
//   u32 segment_count - 1 | u32 size[0] | ... | u32 size[n-1] | pad to 8
//   segment 0 words | segment 1 words | ...
//
// Trailing bytes after the last segment are ignored (message_bytes() says
// where the message ends).
class MessageReader {
public:
    explicit MessageReader(std::span<const uint8_t> bytes, ReaderOptions options = {});
    MessageReader(const MessageReader&) = delete;
    MessageReader& operator=(const MessageReader&) = delete;

    // The segment-table verdict (also returned by root()).
    Result<void> status() const {
        if (!ok_) return error_;
        return {};
    }
    Result<StructReader> root();
    PointerReader root_pointer();

    uint32_t segment_count() const { return segment_count_; }
    Result<SegmentView> segment(uint32_t id) const;
    // Bytes from the start of the segment table to the end of the last segment.
    size_t message_bytes() const { return message_bytes_; }
    uint64_t traversal_words_left() const { return traversal_left_; }
    const ReaderOptions& options() const { return options_; }

    // Charges `words` to the traversal budget.
    Result<void> charge(uint64_t words) {
        if (words > traversal_left_) {
            traversal_left_ = 0;
            return Error::CapnpTraversalLimit;
        }
        traversal_left_ -= words;
        return {};
    }

    static constexpr uint32_t kSegmentCacheSize = 16;

private:
    const uint8_t* bytes_ = nullptr;
    size_t message_bytes_ = 0;
    ReaderOptions options_;
    uint64_t traversal_left_ = 0;
    uint32_t segment_count_ = 0;
    uint64_t header_bytes_ = 0;
    // Word offset (from the end of the segment table) of segment i, for the
    // first kSegmentCacheSize segments.
    uint64_t start_cache_[kSegmentCacheSize] = {};
    bool ok_ = false;
    Error error_ = Error::CapnpBadSegmentTable;
};

// Reads a trusted single-segment body (root pointer at word 0, no segment
// table), e.g. a schema default compiled into the program. Far pointers are
// rejected; nothing is charged; nesting uses kDefaultNestingLimit.
Result<StructReader> read_flat_struct(std::span<const Word> words);
PointerReader flat_root_pointer(std::span<const Word> words);

// MessageReader(bytes).root().ok() with the default options: whether
// `bytes` is a message whose root is a readable struct (the kernel's
// framing check of CALL params and RETURN results). The common shape, one
// segment whose root is null or a near struct pointer inside it, is judged
// from three words; anything else goes through the full reader, so the
// verdict is always the reader's (host.capnp, RootStructOk*).
bool root_struct_ok(std::span<const uint8_t> bytes);

// ---- inline definitions ---------------------------------------------------

template <typename T>
inline T StructReader::get_data(uint32_t offset, T default_xor) const {
    if constexpr (std::is_same_v<T, bool>) {
        if (offset >= data_bits_) return default_xor;
        bool bit = (data_[offset / 8] >> (offset % 8)) & 1;
        return bit != default_xor;
    } else if constexpr (std::is_integral_v<T>) {
        if (uint64_t{offset} * sizeof(T) + sizeof(T) > data_bits_ / 8) return default_xor;
        return static_cast<T>(wire::load<T>(data_ + size_t{offset} * sizeof(T)) ^ default_xor);
    } else {
        static_assert(std::is_floating_point_v<T> && (sizeof(T) == 4 || sizeof(T) == 8),
                      "data fields are bool, integers, float or double");
        using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
        Bits d = std::bit_cast<Bits>(default_xor);
        if (uint64_t{offset} * sizeof(T) + sizeof(T) > data_bits_ / 8)
            return default_xor;
        Bits raw = wire::load<Bits>(data_ + size_t{offset} * sizeof(T));
        return std::bit_cast<T>(static_cast<Bits>(raw ^ d));
    }
}

template <typename T>
inline T ListReader::get(uint32_t i) const {
    if (i >= count_) return T{};
    uint64_t bit = uint64_t{i} * step_bits_;
    if constexpr (std::is_same_v<T, bool>) {
        if (data_bits_ == 0) return false;
        return (base_[bit / 8] >> (bit % 8)) & 1;
    } else {
        static_assert(std::is_arithmetic_v<T>, "list elements are bool, integers, float or double");
        if (sizeof(T) * 8 > data_bits_) return T{};
        return wire::load<T>(base_ + bit / 8);
    }
}

inline StructReader ListReader::get_struct_element(uint32_t i) const {
    // Bit lists have no byte-addressable elements: they read as empty structs.
    if (i >= count_ || (step_bits_ % 8) != 0) return StructReader();
    const uint8_t* elem = base_ + uint64_t{i} * (step_bits_ / 8);
    return StructReader(ctx_, elem, elem + data_bits_ / 8, data_bits_, ptr_count_);
}

inline Result<ListReader> StructReader::get_list(uint16_t index, ElementSize expected,
                                                 std::span<const Word> def) const {
    return pointer(index).get_list(expected, def);
}

inline Result<ListReader> ListReader::get_list(uint32_t i, ElementSize expected) const {
    return pointer(i).get_list(expected);
}

}  // namespace capos::capnp
