#include "lib/capnp/builder.hpp"

#include "lib/base/checked.hpp"

namespace capos::capnp {
namespace {

// Offset field of a near pointer at `slot` to an object starting at `target`.
// Invariant: both lie in one segment of at most kMaxSegmentWords words, so
// the result fits the 30-bit signed field.
int32_t near_offset(const uint8_t* slot, const uint8_t* target) {
    return static_cast<int32_t>((target - slot) / static_cast<ptrdiff_t>(kBytesPerWord) - 1);
}

}  // namespace

// ---- MessageBuilder -------------------------------------------------------

MessageBuilder::MessageBuilder(std::span<Word> buffer) {
    if (buffer.size() < 2) return;
    header_ = buffer.data();
    seg_ = buffer.data() + 1;
    size_t avail = buffer.size() - 1;
    capacity_ = avail > kMaxSegmentWords ? kMaxSegmentWords : static_cast<uint32_t>(avail);
    seg_[0] = 0;  // the root pointer, null until init_root
    used_ = 1;
}

Result<uint8_t*> MessageBuilder::allocate(uint64_t words) {
    if (words > capacity_ - used_) return Error::CapnpBufferTooSmall;
    uint8_t* p = reinterpret_cast<uint8_t*>(seg_ + used_);
    __builtin_memset(p, 0, words * kBytesPerWord);
    used_ += static_cast<uint32_t>(words);
    return p;
}

PointerBuilder MessageBuilder::root_pointer() {
    if (capacity_ == 0) return PointerBuilder();
    return PointerBuilder(this, reinterpret_cast<uint8_t*>(seg_));
}

Result<StructBuilder> MessageBuilder::init_root(uint16_t data_words, uint16_t ptr_count) {
    if (capacity_ == 0) return Error::CapnpBufferTooSmall;
    return root_pointer().init_struct(data_words, ptr_count);
}

std::span<const uint8_t> MessageBuilder::bytes() {
    if (capacity_ == 0) return {};
    // One segment: (count - 1) = 0, then its size.
    *header_ = Word{used_} << 32;
    return {reinterpret_cast<const uint8_t*>(header_), (size_t{used_} + 1) * kBytesPerWord};
}

detail::ReadContext MessageBuilder::read_context() const {
    return detail::ReadContext{
        nullptr, SegmentView{reinterpret_cast<const uint8_t*>(seg_), used_}, kDefaultNestingLimit};
}

// ---- PointerBuilder -------------------------------------------------------

Result<StructBuilder> PointerBuilder::init_struct(uint16_t data_words, uint16_t ptr_count) {
    if (!slot_) return Error::OutOfRange;
    uint64_t words = uint64_t{data_words} + ptr_count;
    uint8_t* obj = TRY(msg_->allocate(words));
    // A zero-sized struct takes offset -1 so that the pointer is not null.
    int32_t off = words == 0 ? -1 : near_offset(slot_, obj);
    wire::store<Word>(slot_, wire::make_struct(off, data_words, ptr_count));
    return StructBuilder(msg_, obj, obj + size_t{data_words} * kBytesPerWord,
                         uint32_t{data_words} * kBitsPerWord, ptr_count);
}

Result<ListBuilder> PointerBuilder::init_list(ElementSize element_size, uint32_t count) {
    if (!slot_) return Error::OutOfRange;
    if (element_size == ElementSize::InlineComposite) return Error::InvalidArgument;
    if (count > kMaxListElements) return Error::OutOfRange;
    uint32_t data_bits = wire::data_bits_per_element(element_size);
    uint32_t ptrs = wire::pointers_per_element(element_size);
    uint32_t step = data_bits + ptrs * kBitsPerWord;
    uint64_t words = (uint64_t{count} * step + kBitsPerWord - 1) / kBitsPerWord;
    uint8_t* obj = TRY(msg_->allocate(words));
    wire::store<Word>(slot_, wire::make_list(near_offset(slot_, obj), element_size, count));
    return ListBuilder(msg_, obj, count, step, data_bits, static_cast<uint16_t>(ptrs), element_size);
}

Result<ListBuilder> PointerBuilder::init_struct_list(uint32_t count, uint16_t data_words,
                                                     uint16_t ptr_count) {
    if (!slot_) return Error::OutOfRange;
    uint64_t per_element = uint64_t{data_words} + ptr_count;
    uint64_t words = uint64_t{count} * per_element;
    if (count > kMaxCompositeElements || words > kMaxListElements) return Error::OutOfRange;
    uint8_t* tag = TRY(msg_->allocate(words + 1));
    wire::store<Word>(tag, wire::make_tag(count, data_words, ptr_count));
    wire::store<Word>(slot_, wire::make_list(near_offset(slot_, tag), ElementSize::InlineComposite,
                                             static_cast<uint32_t>(words)));
    return ListBuilder(msg_, tag + kBytesPerWord, count,
                       static_cast<uint32_t>(per_element * kBitsPerWord),
                       uint32_t{data_words} * kBitsPerWord, ptr_count, ElementSize::InlineComposite);
}

Result<std::span<char>> PointerBuilder::init_text(uint32_t size) {
    if (size >= kMaxListElements) return Error::OutOfRange;
    ListBuilder list = TRY(init_list(ElementSize::Byte, size + 1));
    // The NUL is already there: allocations are zeroed.
    return std::span<char>(reinterpret_cast<char*>(list.content_bytes().data()), size);
}

Result<void> PointerBuilder::set_text(StringView text) {
    if (text.size() >= kMaxListElements) return Error::OutOfRange;
    std::span<char> dst = TRY(init_text(static_cast<uint32_t>(text.size())));
    if (!dst.empty()) __builtin_memcpy(dst.data(), text.data(), dst.size());
    return {};
}

Result<std::span<uint8_t>> PointerBuilder::init_data_blob(uint32_t size) {
    ListBuilder list = TRY(init_list(ElementSize::Byte, size));
    return list.content_bytes();
}

Result<void> PointerBuilder::set_data_blob(std::span<const uint8_t> bytes) {
    if (bytes.size() > kMaxListElements) return Error::OutOfRange;
    std::span<uint8_t> dst = TRY(init_data_blob(static_cast<uint32_t>(bytes.size())));
    if (!dst.empty()) __builtin_memcpy(dst.data(), bytes.data(), dst.size());
    return {};
}

Result<void> PointerBuilder::set_capability(uint32_t cap_index) {
    if (!slot_) return Error::OutOfRange;
    wire::store<Word>(slot_, wire::make_capability(cap_index));
    return {};
}

void PointerBuilder::clear() {
    if (slot_) wire::store<Word>(slot_, 0);
}

Result<StructBuilder> PointerBuilder::get_struct(uint16_t data_words, uint16_t ptr_count) {
    if (!slot_) return Error::OutOfRange;
    Word w = wire::load<Word>(slot_);
    if (w == 0) return init_struct(data_words, ptr_count);
    // This builder only ever writes near pointers into its one segment, but
    // the slot may have been filled by hand: check it like a reader would.
    if (wire::kind(w) != PointerKind::Struct) return Error::CapnpWrongType;
    uint16_t have_data = wire::struct_data_words(w);
    uint16_t have_ptrs = wire::struct_ptr_count(w);
    if (have_data < data_words || have_ptrs < ptr_count) return Error::CapnpWrongType;
    int64_t target = int64_t{msg_->word_index(slot_)} + 1 + wire::offset(w);
    if (target < 0 || !range_within<uint64_t>(static_cast<uint64_t>(target),
                                              uint64_t{have_data} + have_ptrs, msg_->used_words()))
        return Error::CapnpOutOfBounds;
    uint8_t* obj = slot_ + (target - msg_->word_index(slot_)) * static_cast<int64_t>(kBytesPerWord);
    return StructBuilder(msg_, obj, obj + size_t{have_data} * kBytesPerWord,
                         uint32_t{have_data} * kBitsPerWord, have_ptrs);
}

PointerReader PointerBuilder::as_reader() const {
    if (!slot_) return PointerReader();
    return PointerReader(msg_->read_context(), slot_);
}

// ---- deep copy ------------------------------------------------------------

namespace {

Result<void> copy_struct_body(MessageBuilder* msg, const StructReader& src, const StructBuilder& dst);

Result<void> copy_pointer(MessageBuilder* msg, PointerBuilder dst, const PointerReader& src) {
    PointerType type = TRY(src.type());
    switch (type) {
    case PointerType::Null: dst.clear(); return {};
    case PointerType::Capability: return dst.set_capability(TRY(src.get_capability()));
    case PointerType::Struct: {
        StructReader s = TRY(src.get_struct());
        StructBuilder b = TRY(dst.init_struct(static_cast<uint16_t>(s.data_size_words()), s.pointer_count()));
        return copy_struct_body(msg, s, b);
    }
    case PointerType::List: {
        ListReader l = TRY(src.get_list(ElementSize::Void));
        ElementSize es = l.element_size();
        if (es == ElementSize::InlineComposite) {
            uint16_t data_words = static_cast<uint16_t>(l.data_bits() / kBitsPerWord);
            ListBuilder b = TRY(dst.init_struct_list(l.size(), data_words, l.pointer_count()));
            for (uint32_t i = 0; i < l.size(); ++i)
                TRY(copy_struct_body(msg, l.get_struct_element(i), b.struct_element(i)));
            return {};
        }
        ListBuilder b = TRY(dst.init_list(es, l.size()));
        if (es == ElementSize::Pointer) {
            for (uint32_t i = 0; i < l.size(); ++i) TRY(copy_pointer(msg, b.pointer(i), l.pointer(i)));
            return {};
        }
        // Primitive elements: the same bits, masked past the last bit element.
        std::span<const uint8_t> from = l.content_bytes();
        std::span<uint8_t> to = b.content_bytes();
        if (!from.empty()) __builtin_memcpy(to.data(), from.data(), from.size());
        uint64_t bits = uint64_t{l.size()} * l.step_bits();
        if (bits % 8 != 0) to[to.size() - 1] &= static_cast<uint8_t>((1u << (bits % 8)) - 1);
        return {};
    }
    }
    return Error::CapnpBadPointer;
}

Result<void> copy_struct_body(MessageBuilder* msg, const StructReader& src, const StructBuilder& dst) {
    std::span<const uint8_t> data = src.data_section();
    if (!data.empty()) __builtin_memcpy(dst.data_section().data(), data.data(), data.size());
    for (uint16_t i = 0; i < src.pointer_count(); ++i)
        TRY(copy_pointer(msg, dst.pointer(i), src.pointer(i)));
    return {};
}

}  // namespace

Result<void> PointerBuilder::set_copy(const PointerReader& src) {
    if (!slot_) return Error::OutOfRange;
    return copy_pointer(msg_, *this, src);
}

// ---- as_reader ------------------------------------------------------------

StructReader StructBuilder::as_reader() const {
    if (!msg_) return StructReader();
    return StructReader(msg_->read_context(), data_, ptrs_, data_bits_, ptr_count_);
}

ListReader ListBuilder::as_reader() const {
    if (!msg_) return ListReader();
    return ListReader(msg_->read_context(), base_, count_, step_bits_, data_bits_, ptr_count_,
                      element_size_);
}

}  // namespace capos::capnp
