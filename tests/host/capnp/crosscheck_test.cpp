// Cross-check lib/capnp against the official implementation (Debian's
// libcapnp 0.9.2), driven generically by test.capnp through libcapnp's schema
// API: random values (rapidcheck) are built by our builder and read by
// libcapnp, and built by libcapnp (often as many small segments, so with far
// and double-far pointers) and read by our reader and deep-copied by our
// builder.

#include <capnp/capability.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "lib/capnp/capnp.hpp"
#include "tests/host/capnp/test.capnp.h"

namespace cc = capos::capnp;
using capnp::DynamicList;
using capnp::DynamicStruct;
using capnp::StructSchema;
using capnp::Type;
using Which = capnp::schema::Type::Which;

namespace {

// 3 properties x kCasesPerProperty >= 10,000 random cases per run.
constexpr int kCasesPerProperty = 3400;

// Unless the caller chose otherwise, run kCasesPerProperty cases per
// property. rapidcheck reads RC_PARAMS lazily at the first check.
[[maybe_unused]] const bool kParamsSet = [] {
    if (!std::getenv("RC_PARAMS")) {
        std::string p = "max_success=" + std::to_string(kCasesPerProperty) + " max_size=40";
        setenv("RC_PARAMS", p.c_str(), 0);
    }
    return true;
}();

// ---- the model -----------------------------------------------------------

struct Val {
    enum class K { Absent, Void, Bool, Int, UInt, F32, F64, Enum, Text, Data, Struct, List, Cap };
    K k = K::Absent;
    bool b = false;
    int64_t i = 0;
    uint64_t u = 0;  // unsigned, enum, or the bits of a float
    std::string s;   // text or data bytes
    std::vector<Val> items;  // list elements, or struct fields by schema index
    int active = -1;         // struct: field index of the active union member
};

constexpr int kCaps = 6;

bool is_pointer_type(Which w) {
    return w == Which::TEXT || w == Which::DATA || w == Which::STRUCT || w == Which::LIST ||
           w == Which::INTERFACE || w == Which::ANY_POINTER;
}

Val gen_struct(StructSchema s, int depth);

Val gen_value(Type t, int depth, bool may_be_absent) {
    Val v;
    if (is_pointer_type(t.which()) && may_be_absent && *rc::gen::inRange(0, 6) == 0) return v;
    switch (t.which()) {
    case Which::VOID: v.k = Val::K::Void; break;
    case Which::BOOL: v.k = Val::K::Bool; v.b = *rc::gen::arbitrary<bool>(); break;
    case Which::INT8: v.k = Val::K::Int; v.i = *rc::gen::arbitrary<int8_t>(); break;
    case Which::INT16: v.k = Val::K::Int; v.i = *rc::gen::arbitrary<int16_t>(); break;
    case Which::INT32: v.k = Val::K::Int; v.i = *rc::gen::arbitrary<int32_t>(); break;
    case Which::INT64: v.k = Val::K::Int; v.i = *rc::gen::arbitrary<int64_t>(); break;
    case Which::UINT8: v.k = Val::K::UInt; v.u = *rc::gen::arbitrary<uint8_t>(); break;
    case Which::UINT16: v.k = Val::K::UInt; v.u = *rc::gen::arbitrary<uint16_t>(); break;
    case Which::UINT32: v.k = Val::K::UInt; v.u = *rc::gen::arbitrary<uint32_t>(); break;
    case Which::UINT64: v.k = Val::K::UInt; v.u = *rc::gen::arbitrary<uint64_t>(); break;
    case Which::FLOAT32: v.k = Val::K::F32; v.u = *rc::gen::arbitrary<uint32_t>(); break;
    case Which::FLOAT64: v.k = Val::K::F64; v.u = *rc::gen::arbitrary<uint64_t>(); break;
    case Which::ENUM:
        // Unknown enumerants are legal on the wire: use any value sometimes.
        v.k = Val::K::Enum;
        v.u = *rc::gen::weightedOneOf<uint16_t>(
            {{4, rc::gen::inRange<uint16_t>(0, static_cast<uint16_t>(t.asEnum().getEnumerants().size()))},
             {1, rc::gen::arbitrary<uint16_t>()}});
        break;
    case Which::TEXT: {
        v.k = Val::K::Text;
        // No NUL inside: libcapnp's Text API is NUL-terminated.
        v.s = *rc::gen::container<std::string>(rc::gen::inRange<char>(1, 127));
        break;
    }
    case Which::DATA: v.k = Val::K::Data; v.s = *rc::gen::arbitrary<std::string>(); break;
    case Which::STRUCT:
        if (depth <= 0) return Val{};
        return gen_struct(t.asStruct(), depth - 1);
    case Which::LIST: {
        if (depth <= 0) return Val{};
        v.k = Val::K::List;
        Type elem = t.asList().getElementType();
        int n = *rc::gen::inRange(0, elem.which() == Which::STRUCT ? 4 : 12);
        // Null capabilities in a list cannot be compared by identity.
        bool elem_absent = elem.which() != Which::INTERFACE;
        for (int i = 0; i < n; ++i) {
            // Struct elements are inline: never absent, whatever the depth.
            if (elem.which() == Which::STRUCT)
                v.items.push_back(gen_struct(elem.asStruct(), depth - 1));
            else
                v.items.push_back(gen_value(elem, depth - 1, elem_absent));
        }
        // List(Void) with many elements: cheap on the wire, charged per element.
        if (elem.which() == Which::VOID && *rc::gen::inRange(0, 4) == 0)
            v.items.resize(*rc::gen::inRange(0, 5000));
        break;
    }
    case Which::INTERFACE: v.k = Val::K::Cap; v.u = *rc::gen::inRange(0, kCaps); break;
    case Which::ANY_POINTER: return Val{};
    }
    return v;
}

Val gen_struct(StructSchema s, int depth) {
    Val v;
    v.k = Val::K::Struct;
    auto fields = s.getFields();
    auto union_fields = s.getUnionFields();
    if (union_fields.size() > 0)
        v.active = union_fields[*rc::gen::inRange<uint32_t>(0, union_fields.size())].getIndex();
    for (auto f : fields) {
        bool in_union = f.getProto().getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT;
        if (in_union && static_cast<int>(f.getIndex()) != v.active) {
            v.items.push_back(Val{});
            continue;
        }
        if (f.getProto().isGroup())
            v.items.push_back(gen_struct(f.getType().asStruct(), depth));
        else
            v.items.push_back(gen_value(f.getType(), depth, true));
    }
    return v;
}

// ---- schema facts ---------------------------------------------------------

cc::ElementSize element_size(Type t) {
    switch (t.which()) {
    case Which::VOID: return cc::ElementSize::Void;
    case Which::BOOL: return cc::ElementSize::Bit;
    case Which::INT8:
    case Which::UINT8: return cc::ElementSize::Byte;
    case Which::INT16:
    case Which::UINT16:
    case Which::ENUM: return cc::ElementSize::TwoBytes;
    case Which::INT32:
    case Which::UINT32:
    case Which::FLOAT32: return cc::ElementSize::FourBytes;
    case Which::INT64:
    case Which::UINT64:
    case Which::FLOAT64: return cc::ElementSize::EightBytes;
    case Which::STRUCT: return cc::ElementSize::InlineComposite;
    default: return cc::ElementSize::Pointer;
    }
}

uint16_t data_words(StructSchema s) { return s.getProto().getStruct().getDataWordCount(); }
uint16_t ptr_count(StructSchema s) { return s.getProto().getStruct().getPointerCount(); }
bool in_union(StructSchema::Field f) {
    return f.getProto().getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT;
}

// A pointer default as a flat single-segment body (root pointer at word 0).
const std::vector<cc::Word>& default_words(StructSchema::Field f) {
    static std::map<std::pair<uint64_t, uint32_t>, std::vector<cc::Word>> cache;
    auto key = std::make_pair(f.getContainingStruct().getProto().getId(), f.getIndex());
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    std::vector<cc::Word> words;
    auto dv = f.getProto().getSlot().getDefaultValue();
    capnp::AnyPointer::Reader ptr;
    bool has = false;
    if (dv.isStruct()) {
        ptr = dv.getStruct();
        has = !ptr.isNull();
    } else if (dv.isList()) {
        ptr = dv.getList();
        has = !ptr.isNull();
    }
    if (has) {
        capnp::MallocMessageBuilder mb(1024);
        mb.getRoot<capnp::AnyPointer>().set(ptr);
        auto segs = mb.getSegmentsForOutput();
        EXPECT_EQ(segs.size(), 1u);
        words.assign(reinterpret_cast<const cc::Word*>(segs[0].begin()),
                     reinterpret_cast<const cc::Word*>(segs[0].end()));
    }
    return cache.emplace(key, std::move(words)).first->second;
}

template <typename T>
T must(capos::Result<T> r, const char* what) {
    if (!r.ok()) RC_FAIL(std::string(what) + ": " + capos::error_name(r.error()));
    return r.release_value();
}
inline void must(capos::Result<void> r, const char* what) {
    if (!r.ok()) RC_FAIL(std::string(what) + ": " + capos::error_name(r.error()));
}

// ---- our builder ------------------------------------------------------------

void build_ours_struct(StructSchema s, cc::StructBuilder b, const Val& v);

void build_ours_list(cc::PointerBuilder p, Type elem, const Val& v) {
    uint32_t n = static_cast<uint32_t>(v.items.size());
    if (elem.which() == Which::STRUCT) {
        StructSchema es = elem.asStruct();
        auto lb = must(p.init_struct_list(n, data_words(es), ptr_count(es)), "init_struct_list");
        for (uint32_t i = 0; i < n; ++i) build_ours_struct(es, lb.struct_element(i), v.items[i]);
        return;
    }
    auto lb = must(p.init_list(element_size(elem), n), "init_list");
    for (uint32_t i = 0; i < n; ++i) {
        const Val& e = v.items[i];
        switch (elem.which()) {
        case Which::VOID: break;
        case Which::BOOL: lb.set<bool>(i, e.b); break;
        case Which::INT8: lb.set<int8_t>(i, static_cast<int8_t>(e.i)); break;
        case Which::INT16: lb.set<int16_t>(i, static_cast<int16_t>(e.i)); break;
        case Which::INT32: lb.set<int32_t>(i, static_cast<int32_t>(e.i)); break;
        case Which::INT64: lb.set<int64_t>(i, e.i); break;
        case Which::UINT8: lb.set<uint8_t>(i, static_cast<uint8_t>(e.u)); break;
        case Which::UINT16:
        case Which::ENUM: lb.set<uint16_t>(i, static_cast<uint16_t>(e.u)); break;
        case Which::UINT32: lb.set<uint32_t>(i, static_cast<uint32_t>(e.u)); break;
        case Which::UINT64: lb.set<uint64_t>(i, e.u); break;
        case Which::FLOAT32: lb.set<float>(i, std::bit_cast<float>(static_cast<uint32_t>(e.u))); break;
        case Which::FLOAT64: lb.set<double>(i, std::bit_cast<double>(e.u)); break;
        case Which::TEXT:
            if (e.k != Val::K::Absent)
                must(lb.set_text(i, capos::StringView(e.s.data(), e.s.size())), "set_text");
            break;
        case Which::DATA:
            if (e.k != Val::K::Absent)
                must(lb.set_data_blob(i, {reinterpret_cast<const uint8_t*>(e.s.data()), e.s.size()}),
                     "set_data_blob");
            break;
        case Which::LIST:
            if (e.k != Val::K::Absent) build_ours_list(lb.pointer(i), elem.asList().getElementType(), e);
            break;
        case Which::INTERFACE:
            if (e.k != Val::K::Absent) must(lb.pointer(i).set_capability(static_cast<uint32_t>(e.u)), "cap");
            break;
        default: RC_FAIL("unexpected list element type");
        }
    }
}

void build_ours_slot(cc::StructBuilder b, StructSchema::Field f, const Val& v) {
    auto slot = f.getProto().getSlot();
    uint32_t off = slot.getOffset();
    auto d = slot.getDefaultValue();
    Type t = f.getType();
    switch (t.which()) {
    case Which::VOID: break;
    case Which::BOOL: b.set_data<bool>(off, v.b, d.getBool()); break;
    case Which::INT8: b.set_data<int8_t>(off, static_cast<int8_t>(v.i), d.getInt8()); break;
    case Which::INT16: b.set_data<int16_t>(off, static_cast<int16_t>(v.i), d.getInt16()); break;
    case Which::INT32: b.set_data<int32_t>(off, static_cast<int32_t>(v.i), d.getInt32()); break;
    case Which::INT64: b.set_data<int64_t>(off, v.i, d.getInt64()); break;
    case Which::UINT8: b.set_data<uint8_t>(off, static_cast<uint8_t>(v.u), d.getUint8()); break;
    case Which::UINT16: b.set_data<uint16_t>(off, static_cast<uint16_t>(v.u), d.getUint16()); break;
    case Which::ENUM: b.set_data<uint16_t>(off, static_cast<uint16_t>(v.u), d.getEnum()); break;
    case Which::UINT32: b.set_data<uint32_t>(off, static_cast<uint32_t>(v.u), d.getUint32()); break;
    case Which::UINT64: b.set_data<uint64_t>(off, v.u, d.getUint64()); break;
    case Which::FLOAT32:
        b.set_data<float>(off, std::bit_cast<float>(static_cast<uint32_t>(v.u)), d.getFloat32());
        break;
    case Which::FLOAT64: b.set_data<double>(off, std::bit_cast<double>(v.u), d.getFloat64()); break;
    case Which::TEXT:
        must(b.set_text(static_cast<uint16_t>(off), capos::StringView(v.s.data(), v.s.size())), "set_text");
        break;
    case Which::DATA:
        must(b.set_data_blob(static_cast<uint16_t>(off),
                             {reinterpret_cast<const uint8_t*>(v.s.data()), v.s.size()}),
             "set_data_blob");
        break;
    case Which::STRUCT: {
        StructSchema cs = t.asStruct();
        auto child = must(b.init_struct(static_cast<uint16_t>(off), data_words(cs), ptr_count(cs)), "init_struct");
        build_ours_struct(cs, child, v);
        break;
    }
    case Which::LIST: build_ours_list(b.pointer(static_cast<uint16_t>(off)), t.asList().getElementType(), v); break;
    case Which::INTERFACE:
        must(b.set_capability(static_cast<uint16_t>(off), static_cast<uint32_t>(v.u)), "set_capability");
        break;
    case Which::ANY_POINTER: break;
    }
}

void build_ours_struct(StructSchema s, cc::StructBuilder b, const Val& v) {
    auto fields = s.getFields();
    for (uint32_t fi = 0; fi < fields.size(); ++fi) {
        auto f = fields[fi];
        const Val& fv = v.items[fi];
        if (in_union(f)) {
            if (static_cast<int>(fi) != v.active) continue;
            b.set_data<uint16_t>(s.getProto().getStruct().getDiscriminantOffset(),
                                 f.getProto().getDiscriminantValue());
        }
        if (fv.k == Val::K::Absent) continue;
        if (f.getProto().isGroup())
            build_ours_struct(f.getType().asStruct(), b, fv);
        else
            build_ours_slot(b, f, fv);
    }
}

// ---- libcapnp's builder -----------------------------------------------------

struct Hooks {
    std::vector<kj::Own<capnp::ClientHook>> hooks;
    Hooks() {
        for (int i = 0; i < kCaps; ++i) hooks.push_back(capnp::newBrokenCap(kj::str("cap ", i)));
    }
    capnp::DynamicCapability::Client client(uint64_t i, capnp::InterfaceSchema schema) {
        return capnp::Capability::Client(hooks[i]->addRef()).castAs<capnp::DynamicCapability>(schema);
    }
};
Hooks& hooks() {
    static Hooks h;
    return h;
}

capnp::DynamicValue::Reader dynamic_of(Type t, const Val& v) {
    switch (t.which()) {
    case Which::VOID: return capnp::VOID;
    case Which::BOOL: return v.b;
    case Which::INT8:
    case Which::INT16:
    case Which::INT32:
    case Which::INT64: return v.i;
    case Which::UINT8:
    case Which::UINT16:
    case Which::UINT32:
    case Which::UINT64: return v.u;
    case Which::FLOAT32: return std::bit_cast<float>(static_cast<uint32_t>(v.u));
    case Which::FLOAT64: return std::bit_cast<double>(v.u);
    case Which::ENUM: return capnp::DynamicEnum(t.asEnum(), static_cast<uint16_t>(v.u));
    case Which::TEXT: return capnp::Text::Reader(v.s.data(), v.s.size());
    case Which::DATA:
        return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(v.s.data()), v.s.size());
    case Which::INTERFACE: return hooks().client(v.u, t.asInterface());
    default: RC_FAIL("not a leaf type");
    }
}

void build_capnp_struct(StructSchema s, DynamicStruct::Builder b, const Val& v);

// When set, some structs and lists are built as orphans and adopted later:
// an adopted object whose segment has no room left for a landing pad gets a
// double-far pointer, which libcapnp never writes otherwise.
capnp::Orphanage* g_orphanage = nullptr;

void build_capnp_list(DynamicList::Builder l, Type elem, const Val& v) {
    for (uint32_t i = 0; i < v.items.size(); ++i) {
        const Val& e = v.items[i];
        if (elem.which() == Which::STRUCT) {
            build_capnp_struct(elem.asStruct(), l[i].as<DynamicStruct>(), e);
        } else if (elem.which() == Which::LIST) {
            if (e.k != Val::K::Absent)
                build_capnp_list(l.init(i, static_cast<uint32_t>(e.items.size())).as<DynamicList>(),
                                 elem.asList().getElementType(), e);
        } else if (e.k != Val::K::Absent) {
            l.set(i, dynamic_of(elem, e));
        }
    }
}

void build_capnp_struct(StructSchema s, DynamicStruct::Builder b, const Val& v) {
    auto fields = s.getFields();
    for (uint32_t fi = 0; fi < fields.size(); ++fi) {
        auto f = fields[fi];
        const Val& fv = v.items[fi];
        if (in_union(f) && static_cast<int>(fi) != v.active) continue;
        if (fv.k == Val::K::Absent) {
            if (in_union(f)) b.clear(f);  // selects the member, leaves it null
            continue;
        }
        Type t = f.getType();
        if (f.getProto().isGroup()) {
            build_capnp_struct(t.asStruct(), b.init(f).as<DynamicStruct>(), fv);
        } else if (t.which() == Which::STRUCT) {
            if (g_orphanage && *rc::gen::arbitrary<bool>()) {
                auto orphan = g_orphanage->newOrphan(t.asStruct());
                build_capnp_struct(t.asStruct(), orphan.get(), fv);
                b.adopt(f, kj::mv(orphan));
            } else {
                build_capnp_struct(t.asStruct(), b.init(f).as<DynamicStruct>(), fv);
            }
        } else if (t.which() == Which::LIST) {
            uint32_t n = static_cast<uint32_t>(fv.items.size());
            if (g_orphanage && *rc::gen::arbitrary<bool>()) {
                auto orphan = g_orphanage->newOrphan(t.asList(), n);
                build_capnp_list(orphan.get(), t.asList().getElementType(), fv);
                b.adopt(f, kj::mv(orphan));
            } else {
                build_capnp_list(b.init(f, n).as<DynamicList>(), t.asList().getElementType(), fv);
            }
        } else {
            b.set(f, dynamic_of(t, fv));
        }
    }
}

// ---- comparing our reader with libcapnp's -----------------------------------

// Maps one of our capability indexes to the hook libcapnp resolves it to.
using CapResolver = std::function<const capnp::ClientHook*(uint32_t)>;

template <typename T>
auto show(const T& v) {
    if constexpr (std::is_integral_v<T>)
        return +v;
    else
        return v;
}

struct Compare {
    CapResolver caps;
    std::string error;
    std::vector<std::string> path;

    bool fail(const std::string& what) {
        if (error.empty()) {
            std::ostringstream os;
            for (auto& p : path) os << p << '.';
            os << ": " << what;
            error = os.str();
        }
        return false;
    }
    template <typename A, typename B>
    bool eq(const A& a, const B& b, const char* what) {
        if (a == b) return true;
        std::ostringstream os;
        os << what << ": ours " << show(a) << " theirs " << show(b);
        return fail(os.str());
    }
    template <typename T>
    bool eq_float(T a, T b) {
        if (std::isnan(a) && std::isnan(b)) return true;
        if (std::memcmp(&a, &b, sizeof(T)) == 0) return true;
        return fail("float differs");
    }
    template <typename T>
    bool ok(const capos::Result<T>& r, const char* what) {
        if (r.ok()) return true;
        return fail(std::string(what) + ": " + capos::error_name(r.error()));
    }

    bool cap(capos::Result<uint32_t> ours, capnp::DynamicValue::Reader theirs) {
        if (!ok(ours, "capability")) return false;
        auto hook = capnp::ClientHook::from(theirs.as<capnp::DynamicCapability>());
        if (caps(ours.value()) != hook.get()) return fail("capability index resolves elsewhere");
        return true;
    }

    bool text(capos::Result<capos::StringView> ours, capnp::Text::Reader theirs) {
        if (!ok(ours, "text")) return false;
        std::string a(ours.value().data(), ours.value().size());
        std::string b(theirs.cStr(), theirs.size());
        return eq(a, b, "text");
    }
    bool data(capos::Result<std::span<const uint8_t>> ours, capnp::Data::Reader theirs) {
        if (!ok(ours, "data")) return false;
        std::string a(reinterpret_cast<const char*>(ours.value().data()), ours.value().size());
        std::string b(reinterpret_cast<const char*>(theirs.begin()), theirs.size());
        return eq(a, b, "data");
    }

    bool list(const cc::ListReader& ours, DynamicList::Reader theirs, Type elem) {
        if (!eq(ours.size(), theirs.size(), "list size")) return false;
        for (uint32_t i = 0; i < theirs.size(); ++i) {
            path.push_back("[" + std::to_string(i) + "]");
            auto t = theirs[i];
            bool good = true;
            switch (elem.which()) {
            case Which::VOID: break;
            case Which::BOOL: good = eq(ours.get<bool>(i), t.as<bool>(), "bool"); break;
            case Which::INT8: good = eq(ours.get<int8_t>(i), t.as<int8_t>(), "i8"); break;
            case Which::INT16: good = eq(ours.get<int16_t>(i), t.as<int16_t>(), "i16"); break;
            case Which::INT32: good = eq(ours.get<int32_t>(i), t.as<int32_t>(), "i32"); break;
            case Which::INT64: good = eq(ours.get<int64_t>(i), t.as<int64_t>(), "i64"); break;
            case Which::UINT8: good = eq(ours.get<uint8_t>(i), t.as<uint8_t>(), "u8"); break;
            case Which::UINT16: good = eq(ours.get<uint16_t>(i), t.as<uint16_t>(), "u16"); break;
            case Which::UINT32: good = eq(ours.get<uint32_t>(i), t.as<uint32_t>(), "u32"); break;
            case Which::UINT64: good = eq(ours.get<uint64_t>(i), t.as<uint64_t>(), "u64"); break;
            case Which::FLOAT32: good = eq_float(ours.get<float>(i), t.as<float>()); break;
            case Which::FLOAT64: good = eq_float(ours.get<double>(i), t.as<double>()); break;
            case Which::ENUM:
                good = eq(ours.get<uint16_t>(i), t.as<capnp::DynamicEnum>().getRaw(), "enum");
                break;
            case Which::TEXT: good = text(ours.get_text(i), t.as<capnp::Text>()); break;
            case Which::DATA: good = data(ours.get_data_blob(i), t.as<capnp::Data>()); break;
            case Which::STRUCT:
                good = structs(ours.get_struct_element(i), t.as<DynamicStruct>(), elem.asStruct());
                break;
            case Which::LIST: {
                Type inner = elem.asList().getElementType();
                auto l = ours.get_list(i, element_size(inner));
                good = ok(l, "list") && list(l.value(), t.as<DynamicList>(), inner);
                break;
            }
            case Which::INTERFACE: good = cap(ours.get_capability(i), t); break;
            case Which::ANY_POINTER: break;
            }
            path.pop_back();
            if (!good) return false;
        }
        return true;
    }

    bool slot(const cc::StructReader& ours, DynamicStruct::Reader theirs, StructSchema::Field f) {
        auto s = f.getProto().getSlot();
        uint32_t off = s.getOffset();
        uint16_t pi = static_cast<uint16_t>(off);
        auto d = s.getDefaultValue();
        auto t = theirs.get(f);
        Type type = f.getType();
        switch (type.which()) {
        case Which::VOID: return true;
        case Which::BOOL: return eq(ours.get_data<bool>(off, d.getBool()), t.as<bool>(), "bool");
        case Which::INT8: return eq(ours.get_data<int8_t>(off, d.getInt8()), t.as<int8_t>(), "i8");
        case Which::INT16: return eq(ours.get_data<int16_t>(off, d.getInt16()), t.as<int16_t>(), "i16");
        case Which::INT32: return eq(ours.get_data<int32_t>(off, d.getInt32()), t.as<int32_t>(), "i32");
        case Which::INT64: return eq(ours.get_data<int64_t>(off, d.getInt64()), t.as<int64_t>(), "i64");
        case Which::UINT8: return eq(ours.get_data<uint8_t>(off, d.getUint8()), t.as<uint8_t>(), "u8");
        case Which::UINT16:
            return eq(ours.get_data<uint16_t>(off, d.getUint16()), t.as<uint16_t>(), "u16");
        case Which::UINT32:
            return eq(ours.get_data<uint32_t>(off, d.getUint32()), t.as<uint32_t>(), "u32");
        case Which::UINT64:
            return eq(ours.get_data<uint64_t>(off, d.getUint64()), t.as<uint64_t>(), "u64");
        case Which::FLOAT32: return eq_float(ours.get_data<float>(off, d.getFloat32()), t.as<float>());
        case Which::FLOAT64: return eq_float(ours.get_data<double>(off, d.getFloat64()), t.as<double>());
        case Which::ENUM:
            return eq(ours.get_data<uint16_t>(off, d.getEnum()), t.as<capnp::DynamicEnum>().getRaw(), "enum");
        case Which::TEXT: {
            auto dt = d.getText();
            return text(ours.get_text(pi, capos::StringView(dt.cStr(), dt.size())), t.as<capnp::Text>());
        }
        case Which::DATA: {
            auto dd = d.getData();
            return data(ours.get_data_blob(pi, {dd.begin(), dd.size()}), t.as<capnp::Data>());
        }
        case Which::STRUCT: {
            if (!theirs.has(f)) {
                // Both read the default; a recursive type's null default would
                // otherwise be compared forever.
                if (!eq(ours.has_pointer(pi), false, "null struct")) return false;
                if (default_words(f).empty()) return true;
            }
            auto r = ours.get_struct(pi, default_words(f));
            return ok(r, "struct") && structs(r.value(), t.as<DynamicStruct>(), type.asStruct());
        }
        case Which::LIST: {
            Type elem = type.asList().getElementType();
            auto r = ours.get_list(pi, element_size(elem), default_words(f));
            return ok(r, "list") && list(r.value(), t.as<DynamicList>(), elem);
        }
        case Which::INTERFACE:
            if (!theirs.has(f)) return eq(ours.has_pointer(pi), false, "null capability");
            return cap(ours.get_capability(pi), t);
        case Which::ANY_POINTER: return true;
        }
        return fail("unknown type");
    }

    bool structs(const cc::StructReader& ours, DynamicStruct::Reader theirs, StructSchema s) {
        if (s.getUnionFields().size() > 0) {
            KJ_IF_MAYBE(w, theirs.which()) {
                if (!eq(ours.get_data<uint16_t>(s.getProto().getStruct().getDiscriminantOffset()),
                        w->getProto().getDiscriminantValue(), "discriminant"))
                    return false;
            }
        }
        for (auto f : s.getFields()) {
            if (in_union(f)) {
                auto w = theirs.which();
                if (w == nullptr || KJ_ASSERT_NONNULL(w) != f) continue;
            }
            path.push_back(f.getProto().getName().cStr());
            bool good = f.getProto().isGroup()
                            ? structs(ours, theirs.get(f).as<DynamicStruct>(), f.getType().asStruct())
                            : slot(ours, theirs, f);
            path.pop_back();
            if (!good) return false;
        }
        return true;
    }
};

std::vector<cc::Word>& our_buffer() {
    static std::vector<cc::Word> buf(1 << 20);
    return buf;
}

kj::Array<kj::Maybe<kj::Own<capnp::ClientHook>>> reader_cap_table() {
    auto b = kj::heapArrayBuilder<kj::Maybe<kj::Own<capnp::ClientHook>>>(kCaps);
    for (int i = 0; i < kCaps; ++i) b.add(hooks().hooks[i]->addRef());
    return b.finish();
}

// A reader's table holding the hooks a builder's table injected, in order.
kj::Array<kj::Maybe<kj::Own<capnp::ClientHook>>> cap_table_of(capnp::BuilderCapabilityTable& t) {
    auto entries = t.getTable();
    auto b = kj::heapArrayBuilder<kj::Maybe<kj::Own<capnp::ClientHook>>>(entries.size());
    for (auto& e : entries) {
        KJ_IF_MAYBE(h, e) {
            b.add((*h)->addRef());
        } else {
            b.add(nullptr);
        }
    }
    return b.finish();
}

kj::ArrayPtr<const capnp::word> as_capnp_words(std::span<const uint8_t> bytes) {
    return {reinterpret_cast<const capnp::word*>(bytes.data()), bytes.size() / sizeof(capnp::word)};
}

// Whether a multi-segment message holds a double-far pointer word (a scan
// of every word: data that happens to look like one counts too).
bool has_double_far(std::span<const uint8_t> bytes) {
    cc::MessageReader m(bytes, cc::ReaderOptions{1ull << 30, 64, 1u << 20, 1ull << 30});
    if (m.segment_count() < 2) return false;
    for (uint32_t s = 0; s < m.segment_count(); ++s) {
        auto seg = m.segment(s).value();
        for (uint32_t i = 0; i < seg.words; ++i) {
            cc::Word w = cc::wire::load<cc::Word>(seg.begin + i * 8);
            if (cc::wire::kind(w) == cc::PointerKind::Far && cc::wire::far_is_double(w) &&
                cc::wire::far_segment(w) < m.segment_count())
                return true;
        }
    }
    return false;
}

std::string dump(DynamicStruct::Reader r) { return kj::str(r).cStr(); }

}  // namespace

// Our builder -> bytes -> libcapnp reads exactly what libcapnp itself would
// have built from the same values; our reader agrees with libcapnp on them.
TEST(CapnpCrossCheck, OursBuiltLibcapnpReads) {
    EXPECT_TRUE(rc::check([] {
        StructSchema schema = capnp::Schema::from<All>();
        Val v = gen_struct(schema, 4);

        cc::MessageBuilder ours(our_buffer());
        auto root = must(ours.init_root(data_words(schema), ptr_count(schema)), "init_root");
        build_ours_struct(schema, root, v);
        std::span<const uint8_t> bytes = ours.bytes();

        capnp::ReaderOptions opts;
        opts.traversalLimitInWords = 1ull << 30;
        capnp::FlatArrayMessageReader theirs(as_capnp_words(bytes), opts);
        capnp::ReaderCapabilityTable table(reader_cap_table());
        DynamicStruct::Reader tr = capnp::toDynamic(table.imbue(theirs.getRoot<All>()));

        capnp::MallocMessageBuilder ref;
        capnp::BuilderCapabilityTable ref_table;
        build_capnp_struct(schema, capnp::toDynamic(ref_table.imbue(ref.initRoot<All>())), v);
        RC_ASSERT(dump(tr) == dump(ref_table.imbue(ref.getRoot<All>()).asReader()));

        cc::ReaderOptions ropts;
        ropts.traversal_limit_words = 1ull << 30;
        cc::MessageReader mr(bytes, ropts);
        auto our_root = must(mr.root(), "root");
        Compare cmp{[](uint32_t i) { return i < kCaps ? hooks().hooks[i].get() : nullptr; }, {}, {}};
        cmp.structs(our_root, tr, schema);
        RC_ASSERT(cmp.error == "");
        // The capability index we wrote is the one libcapnp resolves.
        if (v.items[schema.getFieldByName("cap").getIndex()].k == Val::K::Cap) {
            auto hook = capnp::ClientHook::from(tr.get("cap").as<capnp::DynamicCapability>());
            RC_ASSERT(hook.get() == hooks().hooks[v.items[schema.getFieldByName("cap").getIndex()].u].get());
        }
    }));
}

// libcapnp builds (often multi-segment) -> our reader reads the same values,
// and our deep copy of it into one segment reads back identically in libcapnp.
TEST(CapnpCrossCheck, LibcapnpBuiltOursReads) {
    EXPECT_TRUE(rc::check([] {
        StructSchema schema = capnp::Schema::from<All>();
        Val v = gen_struct(schema, 4);
        uint32_t first = *rc::gen::element<uint32_t>(1, 2, 3, 5, 8, 16, 64, 1024);
        auto strategy = *rc::gen::element(capnp::AllocationStrategy::FIXED_SIZE,
                                          capnp::AllocationStrategy::GROW_HEURISTICALLY);
        capnp::MallocMessageBuilder mb(first, strategy);
        capnp::BuilderCapabilityTable btable;
        All::Builder typed_root = btable.imbue(mb.initRoot<All>());
        capnp::Orphanage orphanage = capnp::Orphanage::getForMessageContaining(typed_root);
        g_orphanage = &orphanage;
        build_capnp_struct(schema, capnp::toDynamic(typed_root), v);
        g_orphanage = nullptr;
        kj::Array<capnp::word> flat = capnp::messageToFlatArray(mb);
        std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(flat.begin()),
                                       flat.size() * sizeof(capnp::word));
        RC_TAG(mb.getSegmentsForOutput().size() > 1 ? "multi-segment" : "one segment");
        RC_TAG(has_double_far(bytes) ? "double-far" : "no double-far");

        capnp::ReaderOptions opts;
        opts.traversalLimitInWords = 1ull << 30;
        capnp::FlatArrayMessageReader theirs(flat, opts);
        std::vector<const capnp::ClientHook*> idx_to_hook;
        for (auto& e : btable.getTable()) {
            KJ_IF_MAYBE(h, e) {
                idx_to_hook.push_back(h->get());
            } else {
                idx_to_hook.push_back(nullptr);
            }
        }
        capnp::ReaderCapabilityTable table(cap_table_of(btable));
        DynamicStruct::Reader tr = capnp::toDynamic(table.imbue(theirs.getRoot<All>()));

        cc::ReaderOptions ropts;
        ropts.traversal_limit_words = 1ull << 30;
        ropts.max_segments = 1u << 20;
        cc::MessageReader mr(bytes, ropts);
        RC_ASSERT(mr.segment_count() == mb.getSegmentsForOutput().size());
        auto our_root = must(mr.root(), "root");
        CapResolver resolver = [&](uint32_t i) -> const capnp::ClientHook* {
            return i < idx_to_hook.size() ? idx_to_hook[i] : nullptr;
        };
        Compare cmp{resolver, {}, {}};
        cmp.structs(our_root, tr, schema);
        RC_ASSERT(cmp.error == "");

        // Deep copy into one segment of ours; libcapnp reads the same values.
        cc::MessageBuilder copy(our_buffer());
        must(copy.root_pointer().set_copy(mr.root_pointer()), "set_copy");
        capnp::FlatArrayMessageReader copied(as_capnp_words(copy.bytes()), opts);
        capnp::ReaderCapabilityTable copy_table(cap_table_of(btable));
        RC_ASSERT(dump(copy_table.imbue(copied.getRoot<All>())) == dump(tr));
    }));
}

// Both our builder and our reader, no libcapnp in the loop except as the
// schema: what we write we read back, through as_reader() and through bytes.
TEST(CapnpCrossCheck, OursRoundTrip) {
    EXPECT_TRUE(rc::check([] {
        StructSchema schema = capnp::Schema::from<All>();
        Val v = gen_struct(schema, 4);
        cc::MessageBuilder ours(our_buffer());
        auto root = must(ours.init_root(data_words(schema), ptr_count(schema)), "init_root");
        build_ours_struct(schema, root, v);

        capnp::ReaderOptions opts;
        opts.traversalLimitInWords = 1ull << 30;
        capnp::FlatArrayMessageReader theirs(as_capnp_words(ours.bytes()), opts);
        capnp::ReaderCapabilityTable table(reader_cap_table());
        DynamicStruct::Reader tr = capnp::toDynamic(table.imbue(theirs.getRoot<All>()));
        Compare cmp{[](uint32_t i) { return i < kCaps ? hooks().hooks[i].get() : nullptr; }, {}, {}};
        cmp.structs(root.as_reader(), tr, schema);
        RC_ASSERT(cmp.error == "");
    }));
}
