#include "lib/capnp/reader.hpp"

#include "lib/base/checked.hpp"

namespace capos::capnp {
namespace {

using detail::ReadContext;

// An object's location once far pointers are followed: its segment, the word
// offset of its first word inside that segment (not yet range-checked: the
// caller checks it together with the object's size), and the word that
// describes the object (the pointer itself, a landing pad or a double-far
// tag).
struct Target {
    SegmentView seg;
    int64_t offset;
    Word tag;
};

// `slot` lies inside ctx.seg and holds the non-null word `w`.
Result<Target> resolve(const ReadContext& ctx, const uint8_t* slot, Word w) {
    if (wire::kind(w) != PointerKind::Far) {
        int64_t pos = (slot - ctx.seg.begin) / kBytesPerWord;
        return Target{ctx.seg, pos + 1 + wire::offset(w), w};
    }
    if (ctx.msg == nullptr) return Error::CapnpBadPointer;
    SegmentView pad_seg = TRY(ctx.msg->segment(wire::far_segment(w)));
    uint32_t pad = wire::far_pad_offset(w);
    bool double_far = wire::far_is_double(w);
    if (!range_within<uint64_t>(pad, double_far ? 2 : 1, pad_seg.words))
        return Error::CapnpOutOfBounds;
    const uint8_t* pad_ptr = pad_seg.begin + uint64_t{pad} * kBytesPerWord;
    Word landing = wire::load<Word>(pad_ptr);
    if (!double_far) {
        // A single-far landing pad is an ordinary pointer, relative to itself.
        if (wire::kind(landing) == PointerKind::Far) return Error::CapnpBadPointer;
        return Target{pad_seg, int64_t{pad} + 1 + wire::offset(landing), landing};
    }
    // Double-far: a single far pointer to the object's first word, then a tag
    // saying what the object is.
    Word tag = wire::load<Word>(pad_ptr + kBytesPerWord);
    if (wire::kind(landing) != PointerKind::Far || wire::far_is_double(landing))
        return Error::CapnpBadPointer;
    PointerKind tk = wire::kind(tag);
    if (tk != PointerKind::Struct && tk != PointerKind::List) return Error::CapnpBadPointer;
    SegmentView obj_seg = TRY(ctx.msg->segment(wire::far_segment(landing)));
    return Target{obj_seg, int64_t{wire::far_pad_offset(landing)}, tag};
}

bool in_segment(const Target& t, uint64_t words) {
    return t.offset >= 0 && range_within<uint64_t>(static_cast<uint64_t>(t.offset), words, t.seg.words);
}

const uint8_t* address(const Target& t) {
    return t.seg.begin + static_cast<uint64_t>(t.offset) * kBytesPerWord;
}

// The context for an object found in `seg` by dereferencing a pointer from
// `ctx`: charges `words` and spends one level of nesting.
Result<ReadContext> enter(const ReadContext& ctx, SegmentView seg, uint64_t words) {
    if (ctx.msg != nullptr) TRY(ctx.msg->charge(words));
    return ReadContext{ctx.msg, seg, ctx.nesting - 1};
}

Result<StructReader> read_struct(const ReadContext& ctx, const uint8_t* slot, Word w) {
    if (ctx.nesting <= 0) return Error::CapnpNestingLimit;
    Target t = TRY(resolve(ctx, slot, w));
    if (wire::kind(t.tag) != PointerKind::Struct) return Error::CapnpWrongType;
    uint16_t data_words = wire::struct_data_words(t.tag);
    uint16_t ptr_count = wire::struct_ptr_count(t.tag);
    uint64_t size = uint64_t{data_words} + ptr_count;
    if (!in_segment(t, size)) return Error::CapnpOutOfBounds;
    ReadContext inner = TRY(enter(ctx, t.seg, size));
    const uint8_t* obj = address(t);
    return StructReader(inner, obj, obj + size_t{data_words} * kBytesPerWord,
                        uint32_t{data_words} * kBitsPerWord, ptr_count);
}

bool is_primitive(ElementSize es) {
    return es >= ElementSize::Byte && es <= ElementSize::EightBytes;
}

Result<ListReader> read_list(const ReadContext& ctx, const uint8_t* slot, Word w,
                             ElementSize expected) {
    if (ctx.nesting <= 0) return Error::CapnpNestingLimit;
    Target t = TRY(resolve(ctx, slot, w));
    if (wire::kind(t.tag) != PointerKind::List) return Error::CapnpWrongType;
    ElementSize es = wire::list_element_size(t.tag);

    if (es == ElementSize::InlineComposite) {
        uint32_t word_count = wire::list_count(t.tag);
        if (!in_segment(t, uint64_t{word_count} + 1)) return Error::CapnpOutOfBounds;
        const uint8_t* tag_ptr = address(t);
        Word tag = wire::load<Word>(tag_ptr);
        if (wire::kind(tag) != PointerKind::Struct) return Error::CapnpBadPointer;
        uint32_t count = wire::tag_element_count(tag);
        uint16_t data_words = wire::struct_data_words(tag);
        uint16_t ptr_count = wire::struct_ptr_count(tag);
        uint64_t per_element = uint64_t{data_words} + ptr_count;
        // 30-bit count times 17-bit size: no overflow in 64 bits.
        if (uint64_t{count} * per_element > word_count) return Error::CapnpOutOfBounds;
        switch (expected) {
        case ElementSize::Void:
        case ElementSize::InlineComposite: break;
        case ElementSize::Bit: return Error::CapnpWrongType;
        case ElementSize::Byte:
        case ElementSize::TwoBytes:
        case ElementSize::FourBytes:
        case ElementSize::EightBytes:
            if (data_words == 0) return Error::CapnpWrongType;
            break;
        case ElementSize::Pointer:
            if (ptr_count == 0) return Error::CapnpWrongType;
            break;
        }
        // Zero-sized elements are charged one word each.
        uint64_t charge = 1 + (word_count > count ? word_count : count);
        ReadContext inner = TRY(enter(ctx, t.seg, charge));
        return ListReader(inner, tag_ptr + kBytesPerWord, count,
                          static_cast<uint32_t>(per_element * kBitsPerWord),
                          uint32_t{data_words} * kBitsPerWord, ptr_count, es);
    }

    uint32_t count = wire::list_count(t.tag);
    uint32_t data_bits = wire::data_bits_per_element(es);
    uint32_t ptrs = wire::pointers_per_element(es);
    uint32_t step = data_bits + ptrs * kBitsPerWord;
    uint64_t words = (uint64_t{count} * step + kBitsPerWord - 1) / kBitsPerWord;
    if (!in_segment(t, words)) return Error::CapnpOutOfBounds;
    bool compatible = false;
    switch (expected) {
    case ElementSize::Void: compatible = true; break;
    case ElementSize::Bit: compatible = es == ElementSize::Bit; break;
    case ElementSize::Byte:
    case ElementSize::TwoBytes:
    case ElementSize::FourBytes:
    case ElementSize::EightBytes:
        compatible = is_primitive(es) && data_bits >= wire::data_bits_per_element(expected);
        break;
    case ElementSize::Pointer: compatible = es == ElementSize::Pointer; break;
    case ElementSize::InlineComposite: compatible = es != ElementSize::Bit; break;
    }
    if (!compatible) return Error::CapnpWrongType;
    ReadContext inner = TRY(enter(ctx, t.seg, es == ElementSize::Void ? count : words));
    return ListReader(inner, address(t), count, step, data_bits, static_cast<uint16_t>(ptrs), es);
}

Result<ListReader> read_byte_list(const ReadContext& ctx, const uint8_t* slot, Word w) {
    ListReader list = TRY(read_list(ctx, slot, w, ElementSize::Byte));
    if (list.element_size() != ElementSize::Byte) return Error::CapnpWrongType;
    return list;
}

}  // namespace

// ---- PointerReader --------------------------------------------------------

Result<PointerType> PointerReader::type() const {
    Word w = raw();
    if (w == 0) return PointerType::Null;
    Target t = TRY(resolve(ctx_, slot_, w));
    switch (wire::kind(t.tag)) {
    case PointerKind::Struct: return PointerType::Struct;
    case PointerKind::List: return PointerType::List;
    case PointerKind::Other:
        if (!wire::is_capability(t.tag)) return Error::CapnpBadPointer;
        return PointerType::Capability;
    case PointerKind::Far: break;
    }
    return Error::CapnpBadPointer;
}

Result<StructReader> PointerReader::get_struct(std::span<const Word> default_value) const {
    Word w = raw();
    if (w == 0) {
        if (default_value.empty()) return StructReader();
        return read_flat_struct(default_value);
    }
    return read_struct(ctx_, slot_, w);
}

Result<ListReader> PointerReader::get_list(ElementSize expected,
                                           std::span<const Word> default_value) const {
    Word w = raw();
    if (w == 0) {
        if (default_value.empty()) return ListReader(ReadContext{}, nullptr, 0, 0, 0, 0, expected);
        return flat_root_pointer(default_value).get_list(expected);
    }
    return read_list(ctx_, slot_, w, expected);
}

Result<StringView> PointerReader::get_text(StringView default_value) const {
    Word w = raw();
    if (w == 0) return default_value;
    ListReader list = TRY(read_byte_list(ctx_, slot_, w));
    std::span<const uint8_t> b = list.bytes();
    // Non-null text holds at least its NUL terminator.
    if (b.empty() || b[b.size() - 1] != 0) return Error::CapnpBadPointer;
    return StringView(reinterpret_cast<const char*>(b.data()), b.size() - 1);
}

Result<std::span<const uint8_t>> PointerReader::get_data_blob(
    std::span<const uint8_t> default_value) const {
    Word w = raw();
    if (w == 0) return default_value;
    ListReader list = TRY(read_byte_list(ctx_, slot_, w));
    return list.bytes();
}

Result<uint32_t> PointerReader::get_capability() const {
    Word w = raw();
    if (w == 0) return Error::CapnpNullCapability;
    Word tag = w;
    if (wire::kind(w) == PointerKind::Far) {
        Target t = TRY(resolve(ctx_, slot_, w));
        tag = t.tag;
    }
    if (wire::kind(tag) != PointerKind::Other) return Error::CapnpWrongType;
    if (!wire::is_capability(tag)) return Error::CapnpBadPointer;
    return wire::capability_index(tag);
}

// ---- MessageReader --------------------------------------------------------

MessageReader::MessageReader(std::span<const uint8_t> bytes, ReaderOptions options)
    : bytes_(bytes.data()), options_(options), traversal_left_(options.traversal_limit_words) {
    // Table: u32 (count - 1), count x u32 sizes, padded to a word.
    if (bytes.size() < 8) {
        error_ = Error::CapnpBadSegmentTable;
        return;
    }
    uint64_t count = uint64_t{wire::load<uint32_t>(bytes_)} + 1;
    if (count > options_.max_segments) {
        error_ = Error::CapnpTooManySegments;
        return;
    }
    uint64_t header = (4 + 4 * count + 7) / 8 * 8;
    if (header > bytes.size()) {
        error_ = Error::CapnpBadSegmentTable;
        return;
    }
    uint64_t total = 0;  // at most 2^32 sizes below 2^32: no overflow
    for (uint64_t i = 0; i < count; ++i) {
        if (i < kSegmentCacheSize) start_cache_[i] = total;
        total += wire::load<uint32_t>(bytes_ + 4 + 4 * i);
    }
    if (total > options_.max_message_words) {
        error_ = Error::CapnpMessageTooLarge;
        return;
    }
    if (total > (bytes.size() - header) / kBytesPerWord) {
        error_ = Error::CapnpBadSegmentTable;
        return;
    }
    segment_count_ = static_cast<uint32_t>(count);
    header_bytes_ = header;
    message_bytes_ = header + total * kBytesPerWord;
    ok_ = true;
}

Result<SegmentView> MessageReader::segment(uint32_t id) const {
    if (!ok_ || id >= segment_count_) return Error::CapnpOutOfBounds;
    uint64_t start;
    if (id < kSegmentCacheSize) {
        start = start_cache_[id];
    } else {
        // Invariant: ok_ means the whole table was summed without overflow.
        start = start_cache_[kSegmentCacheSize - 1];
        for (uint32_t i = kSegmentCacheSize - 1; i < id; ++i)
            start += wire::load<uint32_t>(bytes_ + 4 + 4 * uint64_t{i});
    }
    uint32_t words = wire::load<uint32_t>(bytes_ + 4 + 4 * uint64_t{id});
    return SegmentView{bytes_ + header_bytes_ + start * kBytesPerWord, words};
}

PointerReader MessageReader::root_pointer() {
    auto seg = segment(0);
    if (!seg.ok() || seg.value().words == 0) return PointerReader();
    return PointerReader(ReadContext{this, seg.value(), options_.nesting_limit}, seg.value().begin);
}

Result<StructReader> MessageReader::root() {
    TRY(status());
    SegmentView seg = TRY(segment(0));
    if (seg.words == 0) return Error::CapnpOutOfBounds;
    return PointerReader(ReadContext{this, seg, options_.nesting_limit}, seg.begin).get_struct();
}

bool root_struct_ok(std::span<const uint8_t> bytes) {
    if (bytes.size() >= 16 && wire::load<uint32_t>(bytes.data()) == 0) {
        // One segment of `words` words right after the 8-byte table.
        uint64_t words = wire::load<uint32_t>(bytes.data() + 4);
        if (words >= 1 && words <= (bytes.size() - 8) / kBytesPerWord && words <= kDefaultMaxMessageWords) {
            Word p = wire::load<Word>(bytes.data() + 8);
            if (p == 0) return true;  // null root: the empty struct
            if ((p & 3) == 0) {       // near struct pointer at word 0
                int64_t offset = static_cast<int32_t>(static_cast<uint32_t>(p)) >> 2;
                uint64_t size = ((p >> 32) & 0xFFFF) + (p >> 48);
                int64_t start = 1 + offset;
                if (start >= 0 && static_cast<uint64_t>(start) + size <= words) return true;
            }
        }
    }
    MessageReader reader(bytes);
    return reader.root().ok();
}

// ---- trusted flat data ----------------------------------------------------

PointerReader flat_root_pointer(std::span<const Word> words) {
    if (words.empty() || words.size() > UINT32_MAX) return PointerReader();
    SegmentView seg{reinterpret_cast<const uint8_t*>(words.data()), static_cast<uint32_t>(words.size())};
    return PointerReader(ReadContext{nullptr, seg, kDefaultNestingLimit}, seg.begin);
}

Result<StructReader> read_flat_struct(std::span<const Word> words) {
    return flat_root_pointer(words).get_struct();
}

}  // namespace capos::capnp
