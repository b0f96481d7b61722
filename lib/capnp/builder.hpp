// Cap'n Proto message builder over a caller-supplied arena of words.
// Freestanding: no allocation; running out of space is
// Error::CapnpBufferTooSmall, never a crash.
//
//   Word buf[64];
//   MessageBuilder msg(buf);
//   StructBuilder root = TRY(msg.init_root(1, 1));
//   root.set_data<uint32_t>(1, 42);
//   TRY(root.set_text(0, "hello"));
//   std::span<const uint8_t> wire = msg.bytes();   // segment table + segment
//
// Layout of the caller's buffer (single segment):
//
//   word 0            word 1          word 2 ...             capacity
//   +----------------+---------------+-----------------------+---------+
//   | segment table  | root pointer  | objects, in the order | unused  |
//   | (0, used)      |               | they were allocated   |         |
//   +----------------+---------------+-----------------------+---------+
//
// so bytes() is a zero-copy view of the front of the buffer.
//
// Contracts:
// - The buffer must outlive the MessageBuilder, and the MessageBuilder every
//   builder obtained from it; it is neither copyable nor movable.
// - Allocated words are zeroed (the buffer may start dirty).
// - Re-initialising a pointer abandons the old object: its words stay in the
//   message. Build each pointer once when the message size matters, and do
//   not re-point a slot away from data that must not be sent.
// - A data write outside the struct's data section, or an index beyond a
//   list, is dropped (reads return the default): generated code never does
//   this, and it must not corrupt memory if it does.
// - Segments hold at most kMaxSegmentWords words so that every near pointer
//   offset fits its 30-bit field; a larger buffer is used only up to that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"
#include "lib/capnp/reader.hpp"
#include "lib/capnp/wire.hpp"

namespace capos::capnp {

class MessageBuilder;
class StructBuilder;
class ListBuilder;

// One pointer slot being built. Default-constructed: an absent slot, every
// operation fails with Error::OutOfRange.
class PointerBuilder {
public:
    PointerBuilder() = default;
    PointerBuilder(MessageBuilder* msg, uint8_t* slot) : msg_(msg), slot_(slot) {}

    bool valid() const { return slot_ != nullptr; }
    bool is_null() const { return slot_ == nullptr || wire::load<Word>(slot_) == 0; }

    Result<StructBuilder> init_struct(uint16_t data_words, uint16_t ptr_count);
    // Non-composite list (Void .. Pointer). InlineComposite: use init_struct_list.
    Result<ListBuilder> init_list(ElementSize element_size, uint32_t count);
    Result<ListBuilder> init_struct_list(uint32_t count, uint16_t data_words, uint16_t ptr_count);
    Result<void> set_text(StringView text);
    // A text of `size` bytes (plus the NUL, already written) to fill in place.
    Result<std::span<char>> init_text(uint32_t size);
    Result<void> set_data_blob(std::span<const uint8_t> bytes);
    Result<std::span<uint8_t>> init_data_blob(uint32_t size);
    Result<void> set_capability(uint32_t cap_index);
    // Deep-copies the object `src` points at (any message, any segments) into
    // this message. The copy is canonical-ish: far pointers are resolved,
    // struct and list sizes are preserved; capabilities keep their index.
    // Bounded by the source's traversal and nesting limits.
    Result<void> set_copy(const PointerReader& src);
    // Makes the pointer null (abandons the old object).
    void clear();

    // An existing struct this pointer refers to, or a new one if null. Errors
    // with CapnpWrongType if it is not a struct of at least these sizes.
    Result<StructBuilder> get_struct(uint16_t data_words, uint16_t ptr_count);

    PointerReader as_reader() const;

private:
    MessageBuilder* msg_ = nullptr;
    uint8_t* slot_ = nullptr;
};

class StructBuilder {
public:
    StructBuilder() = default;
    StructBuilder(MessageBuilder* msg, uint8_t* data, uint8_t* ptrs, uint32_t data_bits,
                  uint16_t ptr_count)
        : msg_(msg), data_(data), ptrs_(ptrs), data_bits_(data_bits), ptr_count_(ptr_count) {}

    // Data field `offset` in units of T (bool: bits); stores value ^ default_xor.
    template <typename T>
    void set_data(uint32_t offset, T value, T default_xor = T{}) const;
    template <typename T>
    T get_data(uint32_t offset, T default_xor = T{}) const;

    uint32_t data_size_words() const { return data_bits_ / kBitsPerWord; }
    uint16_t pointer_count() const { return ptr_count_; }
    std::span<uint8_t> data_section() const { return {data_, data_bits_ / 8}; }

    PointerBuilder pointer(uint16_t index) const {
        if (index >= ptr_count_) return PointerBuilder();
        return PointerBuilder(msg_, ptrs_ + size_t{index} * kBytesPerWord);
    }
    bool has_pointer(uint16_t index) const { return !pointer(index).is_null(); }

    Result<StructBuilder> init_struct(uint16_t index, uint16_t data_words, uint16_t ptr_count) const {
        return pointer(index).init_struct(data_words, ptr_count);
    }
    Result<ListBuilder> init_list(uint16_t index, ElementSize element_size, uint32_t count) const;
    Result<ListBuilder> init_struct_list(uint16_t index, uint32_t count, uint16_t data_words,
                                         uint16_t ptr_count) const;
    Result<void> set_text(uint16_t index, StringView text) const {
        return pointer(index).set_text(text);
    }
    Result<void> set_data_blob(uint16_t index, std::span<const uint8_t> bytes) const {
        return pointer(index).set_data_blob(bytes);
    }
    Result<void> set_capability(uint16_t index, uint32_t cap_index) const {
        return pointer(index).set_capability(cap_index);
    }

    StructReader as_reader() const;

private:
    MessageBuilder* msg_ = nullptr;
    uint8_t* data_ = nullptr;
    uint8_t* ptrs_ = nullptr;
    uint32_t data_bits_ = 0;  // Invariant: a multiple of 64
    uint16_t ptr_count_ = 0;
};

class ListBuilder {
public:
    ListBuilder() = default;
    ListBuilder(MessageBuilder* msg, uint8_t* base, uint32_t count, uint32_t step_bits,
                uint32_t data_bits, uint16_t ptr_count, ElementSize element_size)
        : msg_(msg),
          base_(base),
          count_(count),
          step_bits_(step_bits),
          data_bits_(data_bits),
          ptr_count_(ptr_count),
          element_size_(element_size) {}

    uint32_t size() const { return count_; }
    ElementSize element_size() const { return element_size_; }
    // All elements' bytes (the text or data bytes of a Byte list).
    std::span<uint8_t> content_bytes() const {
        return {base_, static_cast<size_t>((uint64_t{count_} * step_bits_ + 7) / 8)};
    }

    // Primitive element i; T must not be wider than the element.
    template <typename T>
    void set(uint32_t i, T value) const;
    template <typename T>
    T get(uint32_t i) const;

    StructBuilder struct_element(uint32_t i) const;
    PointerBuilder pointer(uint32_t i) const {
        if (i >= count_ || ptr_count_ == 0) return PointerBuilder();
        return PointerBuilder(msg_, base_ + (uint64_t{i} * step_bits_ + data_bits_) / 8);
    }
    Result<void> set_text(uint32_t i, StringView text) const { return pointer(i).set_text(text); }
    Result<void> set_data_blob(uint32_t i, std::span<const uint8_t> bytes) const {
        return pointer(i).set_data_blob(bytes);
    }

    ListReader as_reader() const;

private:
    MessageBuilder* msg_ = nullptr;
    uint8_t* base_ = nullptr;
    uint32_t count_ = 0;
    uint32_t step_bits_ = 0;
    uint32_t data_bits_ = 0;
    uint16_t ptr_count_ = 0;
    ElementSize element_size_ = ElementSize::Void;
};

class MessageBuilder {
public:
    static constexpr uint32_t kMaxSegmentWords = (1u << 29) - 1;

    // `buffer` needs at least 2 words (segment table + root pointer); with
    // less, every init fails with CapnpBufferTooSmall and bytes() is empty.
    explicit MessageBuilder(std::span<Word> buffer);
    MessageBuilder(const MessageBuilder&) = delete;
    MessageBuilder& operator=(const MessageBuilder&) = delete;

    Result<StructBuilder> init_root(uint16_t data_words, uint16_t ptr_count);
    PointerBuilder root_pointer();

    // The serialized message: segment table + segment 0. Valid until the next
    // allocation (it is a view of the buffer's front).
    std::span<const uint8_t> bytes();
    // Segment 0 alone (no table), for handing to other readers.
    std::span<const Word> segment() const { return {seg_, used_}; }
    uint32_t used_words() const { return used_; }
    uint32_t capacity_words() const { return capacity_; }

    // Allocates `words` zeroed words; Error::CapnpBufferTooSmall when full.
    Result<uint8_t*> allocate(uint64_t words);
    // A reader context over the segment as built so far.
    detail::ReadContext read_context() const;
    // Word index of `p` (which must point into the segment).
    uint32_t word_index(const uint8_t* p) const {
        return static_cast<uint32_t>((p - reinterpret_cast<const uint8_t*>(seg_)) / kBytesPerWord);
    }

private:
    Word* header_ = nullptr;
    Word* seg_ = nullptr;
    uint32_t capacity_ = 0;  // words available in seg_
    uint32_t used_ = 0;      // Invariant: used_ <= capacity_; [0, used_) is the segment
};

// ---- inline definitions ---------------------------------------------------

template <typename T>
inline void StructBuilder::set_data(uint32_t offset, T value, T default_xor) const {
    if constexpr (std::is_same_v<T, bool>) {
        if (offset >= data_bits_) return;
        uint8_t& b = data_[offset / 8];
        uint8_t mask = static_cast<uint8_t>(1u << (offset % 8));
        if (value != default_xor)
            b = static_cast<uint8_t>(b | mask);
        else
            b = static_cast<uint8_t>(b & ~mask);
    } else if constexpr (std::is_integral_v<T>) {
        if (uint64_t{offset} * sizeof(T) + sizeof(T) > data_bits_ / 8) return;
        wire::store<T>(data_ + size_t{offset} * sizeof(T), static_cast<T>(value ^ default_xor));
    } else {
        static_assert(std::is_floating_point_v<T> && (sizeof(T) == 4 || sizeof(T) == 8),
                      "data fields are bool, integers, float or double");
        using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
        if (uint64_t{offset} * sizeof(T) + sizeof(T) > data_bits_ / 8) return;
        Bits raw = std::bit_cast<Bits>(value) ^ std::bit_cast<Bits>(default_xor);
        wire::store<Bits>(data_ + size_t{offset} * sizeof(T), raw);
    }
}

template <typename T>
inline T StructBuilder::get_data(uint32_t offset, T default_xor) const {
    return StructReader(detail::ReadContext{}, data_, ptrs_, data_bits_, 0).get_data<T>(offset, default_xor);
}

template <typename T>
inline void ListBuilder::set(uint32_t i, T value) const {
    if (i >= count_) return;
    uint64_t bit = uint64_t{i} * step_bits_;
    if constexpr (std::is_same_v<T, bool>) {
        if (data_bits_ == 0) return;
        uint8_t& b = base_[bit / 8];
        uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
        b = value ? static_cast<uint8_t>(b | mask) : static_cast<uint8_t>(b & ~mask);
    } else {
        static_assert(std::is_arithmetic_v<T>, "list elements are bool, integers, float or double");
        if (sizeof(T) * 8 > data_bits_) return;
        wire::store<T>(base_ + bit / 8, value);
    }
}

template <typename T>
inline T ListBuilder::get(uint32_t i) const {
    return ListReader(detail::ReadContext{}, base_, count_, step_bits_, data_bits_, 0, element_size_)
        .get<T>(i);
}

inline StructBuilder ListBuilder::struct_element(uint32_t i) const {
    if (i >= count_ || (step_bits_ % 8) != 0) return StructBuilder();
    uint8_t* elem = base_ + uint64_t{i} * (step_bits_ / 8);
    return StructBuilder(msg_, elem, elem + data_bits_ / 8, data_bits_, ptr_count_);
}

inline Result<ListBuilder> StructBuilder::init_list(uint16_t index, ElementSize element_size,
                                                    uint32_t count) const {
    return pointer(index).init_list(element_size, count);
}

inline Result<ListBuilder> StructBuilder::init_struct_list(uint16_t index, uint32_t count,
                                                           uint16_t data_words,
                                                           uint16_t ptr_count) const {
    return pointer(index).init_struct_list(count, data_words, ptr_count);
}

}  // namespace capos::capnp
