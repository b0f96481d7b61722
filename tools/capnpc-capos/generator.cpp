#include "tools/capnpc-capos/generator.hpp"

#include <capnp/message.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace capos::codegen {
namespace {

namespace schema = capnp::schema;
using Node = schema::Node;
using Field = schema::Field;
using Type = schema::Type;
using Value = schema::Value;

// $Gen.namespace in schema/codegen.capnp.
constexpr uint64_t kNamespaceAnnotation = 0xcab0500000000f01ull;
constexpr const char* kDefaultNamespace = "capos::schema";

[[noreturn]] void unsupported(const std::string& what) {
    throw std::runtime_error("unsupported schema feature: " + what);
}

std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "0x%016llxull", static_cast<unsigned long long>(v));
    return buf;
}

std::string pascal(std::string_view camel) {
    std::string s(camel);
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
}

std::string snake(std::string_view camel) {
    std::string out;
    auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    auto lower = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    for (size_t i = 0; i < camel.size(); ++i) {
        char c = camel[i];
        if (upper(c)) {
            bool after_lower = i > 0 && lower(camel[i - 1]);
            bool acronym_end = i > 0 && upper(camel[i - 1]) && i + 1 < camel.size() && lower(camel[i + 1]);
            if (after_lower || acronym_end) out += '_';
            out += static_cast<char>(c - 'A' + 'a');
        } else {
            out += c;
        }
    }
    return out;
}

const std::set<std::string>& cpp_keywords() {
    static const std::set<std::string> k = {
        "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
        "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept",
        "const", "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await",
        "co_return", "co_yield", "decltype", "default", "delete", "do", "double", "dynamic_cast",
        "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto",
        "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
        "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
        "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
        "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local",
        "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
        "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
        // Names the generated classes use themselves.
        "raw", "as_reader", "which", "read_root", "init_root", "cap_id", "transport", "dispatch"};
    return k;
}

// A field or method name as a C++ member name (snake_case, escaped).
std::string member(std::string_view camel) {
    std::string s = snake(camel);
    if (cpp_keywords().count(s)) s += '_';
    return s;
}

// A nested type name, escaped against the generated member classes.
std::string type_ident(std::string_view name) {
    static const std::set<std::string> reserved = {"Reader", "Builder", "Which", "Client", "Server"};
    std::string s(name);
    if (reserved.count(s)) s += '_';
    return s;
}

std::string c_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u >= 0x7f || c == '?') {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\%03o", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string comment(std::string_view text, const std::string& indent) {
    std::string out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string line(text.substr(start, end - start));
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
        out += indent + (line.empty() ? "//" : "// " + line) + "\n";
        start = end + 1;
    }
    return out;
}

std::string byte_array(const uint8_t* p, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "0x%02x", p[i]);
        if (i) out += (i % 12 == 0) ? ",\n    " : ", ";
        out += buf;
    }
    return out;
}

std::string word_array(const std::vector<uint64_t>& words) {
    std::string out;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i) out += (i % 4 == 0) ? ",\n    " : ", ";
        out += hex(words[i]);
    }
    return out;
}

// The words of a single-segment message whose root pointer (word 0) is `p`,
// as little-endian 64-bit values.
std::vector<uint64_t> flat_words(capnp::AnyPointer::Reader p) {
    capnp::MallocMessageBuilder mb;
    mb.getRoot<capnp::AnyPointer>().set(p);
    auto segs = mb.getSegmentsForOutput();
    if (segs.size() != 1) unsupported("default value larger than one segment");
    auto bytes = segs[0].asBytes();
    std::vector<uint64_t> out(segs[0].size());
    for (size_t i = 0; i < out.size(); ++i)
        for (int b = 7; b >= 0; --b) out[i] = (out[i] << 8) | bytes[i * 8 + static_cast<size_t>(b)];
    return out;
}

struct PrimitiveInfo {
    const char* cpp;    // C++ type
    bool is_float;
};

std::optional<PrimitiveInfo> primitive(Type::Reader t) {
    switch (t.which()) {
    case Type::BOOL: return PrimitiveInfo{"bool", false};
    case Type::INT8: return PrimitiveInfo{"int8_t", false};
    case Type::INT16: return PrimitiveInfo{"int16_t", false};
    case Type::INT32: return PrimitiveInfo{"int32_t", false};
    case Type::INT64: return PrimitiveInfo{"int64_t", false};
    case Type::UINT8: return PrimitiveInfo{"uint8_t", false};
    case Type::UINT16: return PrimitiveInfo{"uint16_t", false};
    case Type::UINT32: return PrimitiveInfo{"uint32_t", false};
    case Type::UINT64: return PrimitiveInfo{"uint64_t", false};
    case Type::FLOAT32: return PrimitiveInfo{"float", true};
    case Type::FLOAT64: return PrimitiveInfo{"double", true};
    default: return std::nullopt;
    }
}

// A data value as a C++ expression of its own type (constants: the value;
// defaults: the XOR mask). Floats as bit patterns.
std::string scalar_literal(Value::Reader v) {
    char buf[64];
    switch (v.which()) {
    case Value::BOOL: return v.getBool() ? "true" : "false";
    case Value::INT8: return "static_cast<int8_t>(" + std::to_string(v.getInt8()) + ")";
    case Value::INT16: return "static_cast<int16_t>(" + std::to_string(v.getInt16()) + ")";
    case Value::INT32: return "static_cast<int32_t>(" + std::to_string(v.getInt32()) + ")";
    case Value::INT64:
        if (v.getInt64() == INT64_MIN) return "static_cast<int64_t>(-9223372036854775807ll - 1)";
        return "static_cast<int64_t>(" + std::to_string(v.getInt64()) + "ll)";
    case Value::UINT8: return "static_cast<uint8_t>(" + std::to_string(v.getUint8()) + "u)";
    case Value::UINT16: return "static_cast<uint16_t>(" + std::to_string(v.getUint16()) + "u)";
    case Value::UINT32: return "static_cast<uint32_t>(" + std::to_string(v.getUint32()) + "u)";
    case Value::UINT64:
        if (v.getUint64() > 0xffffffffull) return "static_cast<uint64_t>(" + hex(v.getUint64()) + ")";
        return "static_cast<uint64_t>(" + std::to_string(v.getUint64()) + "ull)";
    case Value::FLOAT32: {
        float f = v.getFloat32();
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        std::snprintf(buf, sizeof(buf), "std::bit_cast<float>(uint32_t{0x%08xu})", bits);
        return buf;
    }
    case Value::FLOAT64: {
        double d = v.getFloat64();
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        std::snprintf(buf, sizeof(buf), "std::bit_cast<double>(uint64_t{0x%016llxull})",
                      static_cast<unsigned long long>(bits));
        return buf;
    }
    case Value::ENUM: return "static_cast<uint16_t>(" + std::to_string(v.getEnum()) + "u)";
    default: return "";
    }
}

bool scalar_is_zero(Value::Reader v) {
    switch (v.which()) {
    case Value::BOOL: return !v.getBool();
    case Value::INT8: return v.getInt8() == 0;
    case Value::INT16: return v.getInt16() == 0;
    case Value::INT32: return v.getInt32() == 0;
    case Value::INT64: return v.getInt64() == 0;
    case Value::UINT8: return v.getUint8() == 0;
    case Value::UINT16: return v.getUint16() == 0;
    case Value::UINT32: return v.getUint32() == 0;
    case Value::UINT64: return v.getUint64() == 0;
    case Value::FLOAT32: {
        float f = v.getFloat32();
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        return bits == 0;
    }
    case Value::FLOAT64: {
        double d = v.getFloat64();
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        return bits == 0;
    }
    case Value::ENUM: return v.getEnum() == 0;
    default: return true;
    }
}

// Accumulated output sections of one header, concatenated in this order.
struct Sections {
    std::string defaults;  // storage for pointer defaults and non-scalar constants
    std::string shells;    // type shells: ids, sizes, enums, nested declarations
    std::string classes;   // Reader/Builder class definitions
    std::string rpc;       // Client/Server class definitions (need complete Readers)
    std::string defs;      // inline member definitions
};

// Per-struct accessor text under construction.
struct StructText {
    std::string reader_decls, builder_decls, defs;
};

class Generator {
public:
    Generator(schema::CodeGeneratorRequest::Reader request,
              schema::CodeGeneratorRequest::RequestedFile::Reader file)
        : request_(request), file_(file) {
        for (auto n : request.getNodes()) nodes_.emplace(n.getId(), n);
        for (auto si : request.getSourceInfo()) docs_.emplace(si.getId(), si);
        for (auto n : request.getNodes())
            if (n.isFile()) name_file(n);
    }

    Output run() {
        Node::Reader file = node(file_.getId());
        ns_ = namespace_of(file);
        collect(file);
        // Top-level enums first: shells of structs may name them in constants.
        for (uint64_t id : order_) {
            Node::Reader n = node(id);
            if (n.isEnum() && n.getScopeId() == file_.getId()) emit_enum(n, "", s_.shells);
        }
        for (uint64_t id : order_) {
            Node::Reader n = node(id);
            if (n.isStruct()) emit_struct(n);
            else if (n.isInterface()) emit_interface(n);
            else if (n.isConst() && n.getScopeId() == file_.getId()) emit_const(n, "", "inline ", s_.shells);
        }

        std::string out;
        std::string name = str(file_.getFilename());
        out += "// Generated by capnpc-capos from " + name + ". Do not edit.\n";
        out += "// Accessors, lists and RPC types: see docs/schema.md.\n";
        out += "#pragma once\n\n";
        out += "#include <bit>\n#include <concepts>\n#include <cstddef>\n#include <cstdint>\n#include <span>\n\n";
        out += "#include \"lib/base/error.hpp\"\n#include \"lib/base/string_view.hpp\"\n";
        out += "#include \"lib/capnp/capnp.hpp\"\n#include \"schema/gen_support.hpp\"\n";
        out += "#include \"schema/rpc.hpp\"\n";
        for (auto& inc : includes_) out += "#include \"" + inc + "\"\n";
        out += "\nnamespace " + ns_ + " {\n\n";
        if (!s_.defaults.empty()) out += "namespace defaults_ {\n" + s_.defaults + "}  // namespace defaults_\n\n";
        out += s_.shells;
        out += s_.classes;
        out += s_.rpc;
        out += s_.defs;
        out += "}  // namespace " + ns_ + "\n";
        return Output{name + ".hpp", out};
    }

private:
    // ---- names -------------------------------------------------------------

    Node::Reader node(uint64_t id) const {
        auto it = nodes_.find(id);
        if (it == nodes_.end()) throw std::runtime_error("request lacks node " + hex(id));
        return it->second;
    }

    static std::string namespace_of(Node::Reader file) {
        for (auto a : file.getAnnotations())
            if (a.getId() == kNamespaceAnnotation) return str(a.getValue().getText());
        return kDefaultNamespace;
    }

    void name_file(Node::Reader file) {
        std::string ns = namespace_of(file);
        for (auto nested : file.getNestedNodes()) {
            std::string local = nested.getName().cStr();
            auto n = nodes_.find(nested.getId());
            if (n == nodes_.end()) continue;
            // Constants keep their schema name for kName spelling.
            name_node(n->second, ns, n->second.isConst() ? local : type_ident(local), file.getId());
        }
    }

    void name_node(Node::Reader n, const std::string& ns, const std::string& rel, uint64_t file) {
        rel_[n.getId()] = rel;
        qual_[n.getId()] = "::" + ns + "::" + rel;
        file_of_[n.getId()] = file;
        if (n.isStruct()) {
            for (auto f : n.getStruct().getFields())
                if (f.isGroup()) {
                    auto g = nodes_.find(f.getGroup().getTypeId());
                    if (g != nodes_.end())
                        name_node(g->second, ns, rel + "::" + type_ident(pascal(f.getName().cStr())), file);
                }
        }
        if (n.isInterface()) {
            for (auto m : n.getInterface().getMethods()) {
                std::string base = rel + "::" + type_ident(pascal(m.getName().cStr()));
                auto p = nodes_.find(m.getParamStructType());
                if (p != nodes_.end() && p->second.getScopeId() == 0) name_node(p->second, ns, base + "Params", file);
                auto r = nodes_.find(m.getResultStructType());
                if (r != nodes_.end() && r->second.getScopeId() == 0) name_node(r->second, ns, base + "Results", file);
            }
        }
        for (auto nested : n.getNestedNodes()) {
            auto c = nodes_.find(nested.getId());
            if (c == nodes_.end()) continue;
            std::string local = nested.getName().cStr();
            name_node(c->second, ns, rel + "::" + (c->second.isConst() ? local : type_ident(local)), file);
        }
    }

    // Fully qualified C++ name of a type node; records the include it needs.
    std::string qual(uint64_t id) {
        Node::Reader n = node(id);
        if (n.getIsGeneric()) unsupported("generic type " + str(n.getDisplayName()));
        auto f = file_of_.find(id);
        if (f == file_of_.end()) throw std::runtime_error("unnamed node " + hex(id));
        if (f->second != file_.getId()) includes_.insert(str(node(f->second).getDisplayName()) + ".hpp");
        return qual_.at(id);
    }

    std::string last_name(uint64_t id) {
        std::string r = rel_.at(id);
        size_t p = r.rfind("::");
        return p == std::string::npos ? r : r.substr(p + 2);
    }

    std::string doc(uint64_t id) const {
        auto it = docs_.find(id);
        return it == docs_.end() ? "" : str(it->second.getDocComment());
    }
    std::string member_doc(uint64_t id, uint32_t index) const {
        auto it = docs_.find(id);
        if (it == docs_.end() || index >= it->second.getMembers().size()) return "";
        return str(it->second.getMembers()[index].getDocComment());
    }

    // The schema spelling of a type, for comments.
    std::string schema_type(Type::Reader t) {
        switch (t.which()) {
        case Type::VOID: return "Void";
        case Type::BOOL: return "Bool";
        case Type::INT8: return "Int8";
        case Type::INT16: return "Int16";
        case Type::INT32: return "Int32";
        case Type::INT64: return "Int64";
        case Type::UINT8: return "UInt8";
        case Type::UINT16: return "UInt16";
        case Type::UINT32: return "UInt32";
        case Type::UINT64: return "UInt64";
        case Type::FLOAT32: return "Float32";
        case Type::FLOAT64: return "Float64";
        case Type::TEXT: return "Text";
        case Type::DATA: return "Data";
        case Type::LIST: return "List(" + schema_type(t.getList().getElementType()) + ")";
        case Type::ENUM: return short_display(t.getEnum().getTypeId());
        case Type::STRUCT: return short_display(t.getStruct().getTypeId());
        case Type::INTERFACE: return short_display(t.getInterface().getTypeId());
        case Type::ANY_POINTER: {
            auto ap = t.getAnyPointer();
            if (!ap.isUnconstrained()) return "AnyPointer";
            switch (ap.getUnconstrained().which()) {
            case Type::AnyPointer::Unconstrained::STRUCT: return "AnyStruct";
            case Type::AnyPointer::Unconstrained::LIST: return "AnyList";
            case Type::AnyPointer::Unconstrained::CAPABILITY: return "Capability";
            default: return "AnyPointer";
            }
        }
        }
        return "?";
    }
    std::string short_display(uint64_t id) {
        Node::Reader n = node(id);
        std::string d = str(n.getDisplayName());
        return d.substr(n.getDisplayNamePrefixLength() > 0 ? d.find(':') + 1 : 0);
    }

    // ---- traversal ---------------------------------------------------------

    void collect(Node::Reader n) {
        if (!n.isFile()) order_.push_back(n.getId());
        if (n.isStruct()) {
            if (n.getIsGeneric()) unsupported("generic struct " + str(n.getDisplayName()));
            for (auto f : n.getStruct().getFields())
                if (f.isGroup()) collect(node(f.getGroup().getTypeId()));
        }
        if (n.isInterface()) {
            if (n.getIsGeneric()) unsupported("generic interface " + str(n.getDisplayName()));
            if (n.getInterface().getSuperclasses().size() > 0)
                unsupported("interface inheritance (" + str(n.getDisplayName()) + ")");
            for (auto m : n.getInterface().getMethods()) {
                if (m.getImplicitParameters().size() > 0)
                    unsupported("generic method " + str(n.getDisplayName()) + "." + str(m.getName()));
                Node::Reader p = node(m.getParamStructType());
                if (p.getScopeId() == 0) collect(p);
                Node::Reader r = node(m.getResultStructType());
                if (r.getScopeId() == 0) collect(r);
            }
        }
        for (auto nested : n.getNestedNodes()) {
            auto c = nodes_.find(nested.getId());
            if (c != nodes_.end()) collect(c->second);
        }
    }

    // Direct children that need a declaration inside `n`'s shell.
    std::vector<uint64_t> nested_types(Node::Reader n) {
        std::vector<uint64_t> out;
        if (n.isStruct())
            for (auto f : n.getStruct().getFields())
                if (f.isGroup()) out.push_back(f.getGroup().getTypeId());
        if (n.isInterface())
            for (auto m : n.getInterface().getMethods()) {
                if (node(m.getParamStructType()).getScopeId() == 0) out.push_back(m.getParamStructType());
                if (node(m.getResultStructType()).getScopeId() == 0) out.push_back(m.getResultStructType());
            }
        for (auto nested : n.getNestedNodes()) {
            auto c = nodes_.find(nested.getId());
            if (c != nodes_.end() && (c->second.isStruct() || c->second.isInterface()))
                out.push_back(nested.getId());
        }
        return out;
    }

    // Nested enums (full definitions) and constants inside a shell.
    void emit_nested_members(Node::Reader n, std::string& out) {
        for (auto nested : n.getNestedNodes()) {
            auto c = nodes_.find(nested.getId());
            if (c == nodes_.end()) continue;
            if (c->second.isEnum()) emit_enum(c->second, "    ", out);
            if (c->second.isConst()) emit_const(c->second, "    ", "static ", out);
        }
    }

    // ---- enums and constants -------------------------------------------------

    void emit_enum(Node::Reader n, const std::string& indent, std::string& out) {
        out += comment(doc(n.getId()), indent);
        out += indent + "enum class " + last_name(n.getId()) + " : uint16_t {\n";
        uint32_t i = 0;
        for (auto e : n.getEnum().getEnumerants()) {
            out += comment(member_doc(n.getId(), i), indent + "    ");
            out += indent + "    " + type_ident(pascal(e.getName().cStr())) + " = " + std::to_string(i) + ",\n";
            ++i;
        }
        out += indent + "};\n\n";
    }

    void emit_const(Node::Reader n, const std::string& indent, const std::string& storage, std::string& out) {
        auto c = n.getConst();
        std::string name = last_name(n.getId());
        std::string kname = "k" + pascal(name);
        std::string storage_name = "kConst_" + hex(n.getId()).substr(2, 16);
        out += comment(doc(n.getId()), indent);
        Type::Reader t = c.getType();
        Value::Reader v = c.getValue();
        if (auto p = primitive(t)) {
            out += indent + storage + "constexpr " + p->cpp + " " + kname + " = " + scalar_literal(v) + ";\n\n";
            return;
        }
        switch (t.which()) {
        case Type::VOID: return;
        case Type::ENUM: {
            std::string e = qual(t.getEnum().getTypeId());
            auto enumerants = node(t.getEnum().getTypeId()).getEnum().getEnumerants();
            std::string value = v.getEnum() < enumerants.size()
                                    ? e + "::" + type_ident(pascal(enumerants[v.getEnum()].getName().cStr()))
                                    : "static_cast<" + e + ">(" + std::to_string(v.getEnum()) + ")";
            out += indent + storage + "constexpr " + e + " " + kname + " = " + value + ";\n\n";
            return;
        }
        case Type::TEXT: {
            auto text = v.getText();
            out += indent + storage + "constexpr ::capos::StringView " + kname + "{" +
                   c_string(std::string_view(text.cStr(), text.size())) + ", " + std::to_string(text.size()) +
                   "};\n\n";
            return;
        }
        case Type::DATA: {
            auto data = v.getData();
            if (data.size() == 0) {
                out += indent + storage + "constexpr std::span<const uint8_t> " + kname + "{};\n\n";
                return;
            }
            s_.defaults += "inline constexpr uint8_t " + storage_name + "[] = {\n    " +
                           byte_array(data.begin(), data.size()) + "};\n";
            out += indent + storage + "constexpr std::span<const uint8_t> " + kname + "{defaults_::" +
                   storage_name + "};\n\n";
            return;
        }
        case Type::STRUCT:
        case Type::LIST: {
            auto words = flat_words(t.isStruct() ? v.getStruct() : v.getList());
            s_.defaults += "inline constexpr ::capos::capnp::Word " + storage_name + "[] = {\n    " +
                           word_array(words) + "};\n";
            std::string fn = member(name);
            std::string ret = t.isStruct() ? qual(t.getStruct().getTypeId()) + "::Reader"
                                           : list_type(t.getList().getElementType()) + "::Reader";
            std::string scope = n.getScopeId() == file_.getId() ? "" : rel_.at(n.getScopeId()) + "::";
            out += indent + storage + "auto " + fn + "() -> ::capos::Result<" + ret + ">;\n\n";
            std::string body = t.isStruct()
                                   ? "    return " + ret + "(TRY(::capos::capnp::read_flat_struct(defaults_::" +
                                         storage_name + ")));\n"
                                   : "    return " + list_type(t.getList().getElementType()) +
                                         "::read(::capos::capnp::flat_root_pointer(defaults_::" + storage_name +
                                         "));\n";
            s_.defs += "inline auto " + scope + fn + "() -> ::capos::Result<" + ret + "> {\n" + body + "}\n\n";
            return;
        }
        default: unsupported("constant " + str(n.getDisplayName()) + " of type " + schema_type(t));
        }
    }

    // ---- types -----------------------------------------------------------

    std::string list_type(Type::Reader elem) {
        if (auto p = primitive(elem)) return std::string("::capos::gen::PrimitiveList<") + p->cpp + ">";
        switch (elem.which()) {
        case Type::VOID: return "::capos::gen::VoidList";
        case Type::ENUM: return "::capos::gen::PrimitiveList<" + qual(elem.getEnum().getTypeId()) + ">";
        case Type::TEXT: return "::capos::gen::TextList";
        case Type::DATA: return "::capos::gen::DataList";
        case Type::STRUCT: return "::capos::gen::StructList<" + qual(elem.getStruct().getTypeId()) + ">";
        case Type::INTERFACE: qual(elem.getInterface().getTypeId()); return "::capos::gen::CapabilityList";
        case Type::LIST: return "::capos::gen::ListList<" + list_type(elem.getList().getElementType()) + ">";
        case Type::ANY_POINTER: {
            auto ap = elem.getAnyPointer();
            if (!ap.isUnconstrained()) unsupported("list of generic parameters");
            if (ap.getUnconstrained().isCapability()) return "::capos::gen::CapabilityList";
            return "::capos::gen::AnyPointerList";
        }
        default: break;
        }
        unsupported("list element type " + schema_type(elem));
    }

    bool is_capability(Type::Reader t) {
        if (t.isInterface()) {
            qual(t.getInterface().getTypeId());
            return true;
        }
        return t.isAnyPointer() && t.getAnyPointer().isUnconstrained() &&
               t.getAnyPointer().getUnconstrained().isCapability();
    }

    // ---- structs -----------------------------------------------------------

    void emit_struct(Node::Reader n) {
        auto st = n.getStruct();
        uint64_t id = n.getId();
        const std::string& rel = rel_.at(id);
        std::string q = qual_.at(id);
        bool group = st.getIsGroup();

        // Shell.
        std::string& sh = s_.shells;
        sh += comment(doc(id), "");
        sh += "struct " + rel + " {\n";
        sh += "    static constexpr uint64_t kTypeId = " + hex(id) + ";\n";
        if (!group) {
            sh += "    static constexpr uint16_t kDataWords = " + std::to_string(st.getDataWordCount()) + ";\n";
            sh += "    static constexpr uint16_t kPointerCount = " + std::to_string(st.getPointerCount()) + ";\n";
        }
        if (st.getDiscriminantCount() > 0) {
            sh += "\n    enum class Which : uint16_t {\n";
            for (auto f : sorted_fields(n))
                if (f.getDiscriminantValue() != Field::NO_DISCRIMINANT)
                    sh += "        " + type_ident(pascal(f.getName().cStr())) + " = " +
                          std::to_string(f.getDiscriminantValue()) + ",\n";
            sh += "    };\n";
        }
        std::string nested;
        emit_nested_members(n, nested);
        if (!nested.empty()) sh += "\n" + nested;
        else sh += "\n";
        for (uint64_t c : nested_types(n)) sh += "    struct " + last_name(c) + ";\n";
        sh += "    class Reader;\n    class Builder;\n";
        if (!group) {
            sh += "\n    // The root struct of a message.\n";
            sh += "    static auto read_root(::capos::capnp::MessageReader& message) -> ::capos::Result<Reader>;\n";
            sh += "    static auto init_root(::capos::capnp::MessageBuilder& message) -> ::capos::Result<Builder>;\n";
        }
        sh += "};\n\n";

        // Accessors.
        StructText t;
        if (st.getDiscriminantCount() > 0) {
            t.reader_decls += "    auto which() const -> " + q + "::Which;\n";
            t.builder_decls += "    auto which() const -> " + q + "::Which;\n";
            std::string body = "    return static_cast<" + q + "::Which>(s_.get_data<uint16_t>(" +
                               std::to_string(st.getDiscriminantOffset()) + "));\n}\n\n";
            t.defs += "inline auto " + rel + "::Reader::which() const -> " + q + "::Which {\n" + body;
            t.defs += "inline auto " + rel + "::Builder::which() const -> " + q + "::Which {\n" + body;
        }
        // Doc comments are indexed by position in the fields list, which is
        // in ordinal order; accessors are emitted in declaration order.
        for (auto f : sorted_fields(n)) {
            uint32_t member_index = 0;
            for (auto g : st.getFields()) {
                if (g.getCodeOrder() == f.getCodeOrder()) break;
                ++member_index;
            }
            emit_field(n, f, member_index, t);
        }

        std::string& cl = s_.classes;
        cl += "class " + rel + "::Reader {\npublic:\n";
        cl += "    Reader() = default;\n";
        cl += "    explicit Reader(::capos::capnp::StructReader s) : s_(s) {}\n";
        cl += "    ::capos::capnp::StructReader raw() const { return s_; }\n";
        cl += t.reader_decls;
        cl += "\nprivate:\n    ::capos::capnp::StructReader s_;\n};\n\n";
        cl += "class " + rel + "::Builder {\npublic:\n";
        cl += "    Builder() = default;\n";
        cl += "    explicit Builder(::capos::capnp::StructBuilder s) : s_(s) {}\n";
        cl += "    ::capos::capnp::StructBuilder raw() const { return s_; }\n";
        cl += "    Reader as_reader() const { return Reader(s_.as_reader()); }\n";
        cl += t.builder_decls;
        cl += "\nprivate:\n    ::capos::capnp::StructBuilder s_;\n};\n\n";

        if (!group) {
            s_.defs += "inline auto " + rel + "::read_root(::capos::capnp::MessageReader& message) -> ::capos::Result<" +
                       q + "::Reader> {\n    return Reader(TRY(message.root()));\n}\n\n";
            s_.defs += "inline auto " + rel + "::init_root(::capos::capnp::MessageBuilder& message) -> ::capos::Result<" +
                       q + "::Builder> {\n    return Builder(TRY(message.init_root(kDataWords, kPointerCount)));\n}\n\n";
        }
        s_.defs += t.defs;
    }

    std::vector<Field::Reader> sorted_fields(Node::Reader n) {
        std::vector<Field::Reader> f;
        for (auto field : n.getStruct().getFields()) f.push_back(field);
        std::stable_sort(f.begin(), f.end(),
                         [](Field::Reader a, Field::Reader b) { return a.getCodeOrder() < b.getCodeOrder(); });
        return f;
    }

    // Statements that reset every field of group `g` to its default.
    std::string clear_group(Node::Reader g) {
        std::string out;
        auto st = g.getStruct();
        if (st.getDiscriminantCount() > 0)
            out += "    s_.set_data<uint16_t>(" + std::to_string(st.getDiscriminantOffset()) + ", 0);\n";
        for (auto f : sorted_fields(g)) {
            if (f.isGroup()) {
                out += clear_group(node(f.getGroup().getTypeId()));
                continue;
            }
            auto slot = f.getSlot();
            Type::Reader t = slot.getType();
            std::string off = std::to_string(slot.getOffset());
            if (t.isVoid()) continue;
            if (t.isBool()) {
                out += "    s_.set_data<bool>(" + off + ", false);\n";
            } else if (auto p = primitive(t)) {
                std::string raw = p->is_float ? (t.isFloat32() ? "uint32_t" : "uint64_t") : p->cpp;
                out += "    s_.set_data<" + raw + ">(" + off + ", 0);\n";
            } else if (t.isEnum()) {
                out += "    s_.set_data<uint16_t>(" + off + ", 0);\n";
            } else {
                out += "    s_.pointer(" + off + ").clear();\n";
            }
        }
        return out;
    }

    void emit_field(Node::Reader owner, Field::Reader f, uint32_t member_index, StructText& t) {
        auto st = owner.getStruct();
        const std::string& rel = rel_.at(owner.getId());
        std::string name = member(f.getName().cStr());
        bool in_union = f.getDiscriminantValue() != Field::NO_DISCRIMINANT;
        std::string set_disc = in_union ? "    s_.set_data<uint16_t>(" + std::to_string(st.getDiscriminantOffset()) +
                                              ", " + std::to_string(f.getDiscriminantValue()) + ");\n"
                                        : "";
        std::string R = "inline auto " + rel + "::Reader::";
        std::string B = "inline auto " + rel + "::Builder::";
        std::string doc_text = member_doc(owner.getId(), member_index);

        std::string sig = f.getName().cStr();
        if (f.isSlot()) sig += " :" + schema_type(f.getSlot().getType());
        else sig += " :group";
        if (in_union) sig += " (union)";
        t.reader_decls += "\n" + comment(sig, "    ") + comment(doc_text, "    ");
        t.builder_decls += "\n" + comment(sig, "    ");

        if (in_union) {
            std::string which = qual_.at(owner.getId()) + "::Which::" + type_ident(pascal(f.getName().cStr()));
            t.reader_decls += "    bool is_" + name + "() const;\n";
            t.builder_decls += "    bool is_" + name + "() const;\n";
            t.defs += R + "is_" + name + "() const -> bool { return which() == " + which + "; }\n";
            t.defs += B + "is_" + name + "() const -> bool { return which() == " + which + "; }\n";
        }

        if (f.isGroup()) {
            Node::Reader g = node(f.getGroup().getTypeId());
            std::string gq = qual_.at(g.getId());
            t.reader_decls += "    auto " + name + "() const -> " + gq + "::Reader;\n";
            t.builder_decls += "    auto " + name + "() const -> " + gq + "::Builder;\n";
            t.defs += R + name + "() const -> " + gq + "::Reader { return " + gq + "::Reader(s_); }\n";
            t.defs += B + name + "() const -> " + gq + "::Builder { return " + gq + "::Builder(s_); }\n";
            if (in_union) {
                t.builder_decls += "    auto init_" + name + "() const -> " + gq + "::Builder;\n";
                t.defs += B + "init_" + name + "() const -> " + gq + "::Builder {\n" + set_disc + clear_group(g) +
                          "    return " + gq + "::Builder(s_);\n}\n";
            }
            t.defs += "\n";
            return;
        }

        auto slot = f.getSlot();
        Type::Reader type = slot.getType();
        Value::Reader dflt = slot.getDefaultValue();
        std::string off = std::to_string(slot.getOffset());
        std::string field_id = hex(owner.getId()).substr(2, 16) + "_" + std::to_string(member_index);

        if (type.isVoid()) {
            if (in_union) {
                t.builder_decls += "    void set_" + name + "() const;\n";
                t.defs += B + "set_" + name + "() const -> void {\n" + set_disc + "}\n";
            }
            t.defs += "\n";
            return;
        }

        if (auto p = primitive(type)) {
            std::string xor_arg = scalar_is_zero(dflt) ? "" : ", " + scalar_literal(dflt);
            if (p->is_float) {
                // Templates, so that kernel code (no FP registers) never
                // instantiates them.
                std::string T = p->cpp;
                std::string xa = scalar_is_zero(dflt) ? "" : ", " + scalar_literal(dflt);
                std::string get = "    template <typename T = " + T + ">\n    T " + name +
                                  "() const {\n        static_assert(std::is_same_v<T, " + T +
                                  ">);\n        return s_.get_data<T>(" + off + xa + ");\n    }\n";
                t.reader_decls += get;
                t.builder_decls += get;
                t.builder_decls += "    template <typename T = " + T + ">\n    void set_" + name +
                                   "(T value) const {\n        static_assert(std::is_same_v<T, " + T + ">);\n" +
                                   (in_union ? "    " + set_disc : "") + "        s_.set_data<T>(" + off +
                                   ", value" + xa + ");\n    }\n";
                t.defs += "\n";
                return;
            }
            std::string T = p->cpp;
            t.reader_decls += "    " + T + " " + name + "() const;\n";
            t.builder_decls += "    " + T + " " + name + "() const;\n";
            t.builder_decls += "    void set_" + name + "(" + T + " value) const;\n";
            std::string get = "() const -> " + T + " { return s_.get_data<" + T + ">(" + off + xor_arg + "); }\n";
            t.defs += R + name + get + B + name + get;
            t.defs += B + "set_" + name + "(" + T + " value) const -> void {\n" + set_disc + "    s_.set_data<" + T +
                      ">(" + off + ", value" + xor_arg + ");\n}\n\n";
            return;
        }

        if (type.isEnum()) {
            std::string E = qual(type.getEnum().getTypeId());
            std::string xor_arg = dflt.getEnum() == 0 ? "" : ", " + scalar_literal(dflt);
            t.reader_decls += "    " + E + " " + name + "() const;\n";
            t.builder_decls += "    " + E + " " + name + "() const;\n";
            t.builder_decls += "    void set_" + name + "(" + E + " value) const;\n";
            std::string get = "() const -> " + E + " {\n    return static_cast<" + E + ">(s_.get_data<uint16_t>(" + off +
                              xor_arg + "));\n}\n";
            t.defs += R + name + get + B + name + get;
            t.defs += B + "set_" + name + "(" + E + " value) const -> void {\n" + set_disc +
                      "    s_.set_data<uint16_t>(" + off + ", static_cast<uint16_t>(value)" + xor_arg + ");\n}\n\n";
            return;
        }

        // Pointer fields.
        std::string has = "() const -> bool { return s_.has_pointer(" + off + "); }\n";
        t.reader_decls += "    bool has_" + name + "() const;\n";
        t.builder_decls += "    bool has_" + name + "() const;\n";
        t.defs += R + "has_" + name + has + B + "has_" + name + has;

        switch (type.which()) {
        case Type::TEXT: {
            std::string d;
            if (dflt.isText() && dflt.getText().size() > 0) {
                auto text = dflt.getText();
                d = ", ::capos::StringView(" + c_string(std::string_view(text.cStr(), text.size())) + ", " +
                    std::to_string(text.size()) + ")";
            }
            t.reader_decls += "    auto " + name + "() const -> ::capos::Result<::capos::StringView>;\n";
            t.builder_decls += "    auto set_" + name + "(::capos::StringView value) const -> ::capos::Result<void>;\n";
            t.defs += R + name + "() const -> ::capos::Result<::capos::StringView> { return s_.get_text(" + off + d +
                      "); }\n";
            t.defs += B + "set_" + name + "(::capos::StringView value) const -> ::capos::Result<void> {\n" + set_disc +
                      "    return s_.set_text(" + off + ", value);\n}\n\n";
            return;
        }
        case Type::DATA: {
            std::string d;
            if (dflt.isData() && dflt.getData().size() > 0) {
                std::string storage = "kDefault_" + field_id;
                s_.defaults += "inline constexpr uint8_t " + storage + "[] = {\n    " +
                               byte_array(dflt.getData().begin(), dflt.getData().size()) + "};\n";
                d = ", std::span<const uint8_t>(defaults_::" + storage + ")";
            }
            t.reader_decls += "    auto " + name + "() const -> ::capos::Result<std::span<const uint8_t>>;\n";
            t.builder_decls += "    auto set_" + name +
                               "(std::span<const uint8_t> value) const -> ::capos::Result<void>;\n";
            t.builder_decls += "    auto init_" + name + "(uint32_t size) const -> ::capos::Result<std::span<uint8_t>>;\n";
            t.defs += R + name + "() const -> ::capos::Result<std::span<const uint8_t>> { return s_.get_data_blob(" +
                      off + d + "); }\n";
            t.defs += B + "set_" + name + "(std::span<const uint8_t> value) const -> ::capos::Result<void> {\n" +
                      set_disc + "    return s_.set_data_blob(" + off + ", value);\n}\n";
            t.defs += B + "init_" + name + "(uint32_t size) const -> ::capos::Result<std::span<uint8_t>> {\n" +
                      set_disc + "    return s_.pointer(" + off + ").init_data_blob(size);\n}\n\n";
            return;
        }
        case Type::STRUCT: {
            std::string S = qual(type.getStruct().getTypeId());
            std::string d = pointer_default(dflt, dflt.isStruct(), field_id);
            t.reader_decls += "    auto " + name + "() const -> ::capos::Result<" + S + "::Reader>;\n";
            t.builder_decls += "    auto init_" + name + "() const -> ::capos::Result<" + S + "::Builder>;\n";
            t.defs += R + name + "() const -> ::capos::Result<" + S + "::Reader> {\n    return " + S +
                      "::Reader(TRY(s_.get_struct(" + off + d + ")));\n}\n";
            t.defs += B + "init_" + name + "() const -> ::capos::Result<" + S + "::Builder> {\n" + set_disc +
                      "    return " + S + "::Builder(TRY(s_.init_struct(" + off + ", " + S + "::kDataWords, " + S +
                      "::kPointerCount)));\n}\n";
            if (!in_union) {
                t.builder_decls += "    auto " + name + "() const -> ::capos::Result<" + S + "::Builder>;\n";
                t.defs += B + name + "() const -> ::capos::Result<" + S + "::Builder> {\n    return " + S +
                          "::Builder(TRY(s_.pointer(" + off + ").get_struct(" + S + "::kDataWords, " + S +
                          "::kPointerCount)));\n}\n";
            }
            t.defs += "\n";
            return;
        }
        case Type::LIST: {
            std::string L = list_type(type.getList().getElementType());
            std::string d = pointer_default(dflt, dflt.isList(), field_id);
            t.reader_decls += "    auto " + name + "() const -> ::capos::Result<" + L + "::Reader>;\n";
            t.builder_decls += "    auto init_" + name + "(uint32_t count) const -> ::capos::Result<" + L +
                               "::Builder>;\n";
            t.defs += R + name + "() const -> ::capos::Result<" + L + "::Reader> {\n    return " + L +
                      "::read(s_.pointer(" + off + ")" + d + ");\n}\n";
            t.defs += B + "init_" + name + "(uint32_t count) const -> ::capos::Result<" + L + "::Builder> {\n" +
                      set_disc + "    return " + L + "::init(s_.pointer(" + off + "), count);\n}\n\n";
            return;
        }
        case Type::INTERFACE:
        case Type::ANY_POINTER: {
            if (type.isAnyPointer() && !type.getAnyPointer().isUnconstrained())
                unsupported("generic field " + str(owner.getDisplayName()) + "." + str(f.getName()));
            if (is_capability(type)) {
                t.reader_decls += "    // A capability: its index in the message's capability table.\n";
                t.reader_decls += "    auto " + name + "() const -> ::capos::Result<uint32_t>;\n";
                t.builder_decls += "    auto set_" + name + "(uint32_t cap_index) const -> ::capos::Result<void>;\n";
                t.defs += R + name + "() const -> ::capos::Result<uint32_t> { return s_.get_capability(" + off +
                          "); }\n";
                t.defs += B + "set_" + name + "(uint32_t cap_index) const -> ::capos::Result<void> {\n" + set_disc +
                          "    return s_.set_capability(" + off + ", cap_index);\n}\n\n";
                return;
            }
            t.reader_decls += "    auto " + name + "() const -> ::capos::capnp::PointerReader;\n";
            t.defs += R + name + "() const -> ::capos::capnp::PointerReader { return s_.pointer(" + off + "); }\n";
            if (in_union) {
                t.builder_decls += "    auto init_" + name + "() const -> ::capos::capnp::PointerBuilder;\n";
                t.defs += B + "init_" + name + "() const -> ::capos::capnp::PointerBuilder {\n" + set_disc +
                          "    s_.pointer(" + off + ").clear();\n    return s_.pointer(" + off + ");\n}\n\n";
            } else {
                t.builder_decls += "    auto " + name + "() const -> ::capos::capnp::PointerBuilder;\n";
                t.defs += B + name + "() const -> ::capos::capnp::PointerBuilder { return s_.pointer(" + off +
                          "); }\n\n";
            }
            return;
        }
        default: unsupported("field type " + schema_type(type));
        }
    }

    // ", std::span<const Word>(defaults_::kDefault_...)" for a non-null
    // struct or list default, else "".
    std::string pointer_default(Value::Reader dflt, bool right_kind, const std::string& field_id) {
        if (!right_kind) return "";
        capnp::AnyPointer::Reader p = dflt.isStruct() ? dflt.getStruct() : dflt.getList();
        if (p.isNull()) return "";
        auto words = flat_words(p);
        std::string storage = "kDefault_" + field_id;
        s_.defaults += "inline constexpr ::capos::capnp::Word " + storage + "[] = {\n    " +
                       word_array(words) + "};\n";
        return ", std::span<const ::capos::capnp::Word>(defaults_::" + storage + ")";
    }

    // ---- interfaces --------------------------------------------------------

    struct MethodInfo {
        std::string name;      // C++ member name
        std::string constant;  // kMethodFoo
        std::string P, R;      // params / results struct types (qualified)
        std::string signature; // schema spelling, for comments
        std::string doc;
        bool simple;           // all params are scalars, text, data or capabilities
        std::string conv_params, conv_body;
    };

    MethodInfo method_info(Node::Reader iface, schema::Method::Reader m, uint32_t index) {
        MethodInfo mi;
        mi.name = member(m.getName().cStr());
        mi.constant = "kMethod" + pascal(m.getName().cStr());
        mi.P = qual(m.getParamStructType());
        mi.R = qual(m.getResultStructType());
        mi.doc = member_doc(iface.getId(), index);
        Node::Reader pn = node(m.getParamStructType());
        Node::Reader rn = node(m.getResultStructType());
        auto fields_sig = [&](Node::Reader s) {
            if (s.getScopeId() != 0) return short_display(s.getId());
            std::string out = "(";
            bool first = true;
            for (auto f : sorted_fields(s)) {
                if (!first) out += ", ";
                first = false;
                out += str(f.getName()) + " :" + (f.isSlot() ? schema_type(f.getSlot().getType()) : "group");
            }
            return out + ")";
        };
        mi.signature = str(m.getName()) + " @" + std::to_string(index) + " " + fields_sig(pn) + " -> " + fields_sig(rn);
        mi.simple = pn.getScopeId() == 0;
        for (auto f : sorted_fields(pn)) {
            if (!mi.simple) break;
            if (f.isGroup() || f.getDiscriminantValue() != Field::NO_DISCRIMINANT) {
                mi.simple = false;
                break;
            }
            Type::Reader t = f.getSlot().getType();
            std::string arg = member(f.getName().cStr());
            std::string setter = "params_.set_" + arg + "(" + arg + ")";
            if (auto p = primitive(t); p && !p->is_float) {
                mi.conv_params += ", " + std::string(p->cpp) + " " + arg;
                mi.conv_body += "        " + setter + ";\n";
            } else if (t.isEnum()) {
                mi.conv_params += ", " + qual(t.getEnum().getTypeId()) + " " + arg;
                mi.conv_body += "        " + setter + ";\n";
            } else if (t.isText()) {
                mi.conv_params += ", ::capos::StringView " + arg;
                mi.conv_body += "        TRY(" + setter + ");\n";
            } else if (t.isData()) {
                mi.conv_params += ", std::span<const uint8_t> " + arg;
                mi.conv_body += "        TRY(" + setter + ");\n";
            } else if (is_capability(t)) {
                mi.conv_params += ", uint32_t " + arg;
                mi.conv_body += "        TRY(" + setter + ");\n";
            } else {
                mi.simple = false;
            }
        }
        return mi;
    }

    void emit_interface(Node::Reader n) {
        uint64_t id = n.getId();
        const std::string& rel = rel_.at(id);
        std::string q = qual_.at(id);
        std::vector<MethodInfo> methods;
        uint32_t index = 0;
        for (auto m : n.getInterface().getMethods()) methods.push_back(method_info(n, m, index++));

        std::string& sh = s_.shells;
        sh += comment(doc(id), "");
        sh += "struct " + rel + " {\n";
        sh += "    static constexpr uint64_t kInterfaceId = " + hex(id) + ";\n";
        for (size_t i = 0; i < methods.size(); ++i)
            sh += "    static constexpr uint16_t " + methods[i].constant + " = " + std::to_string(i) + ";\n";
        std::string nested;
        emit_nested_members(n, nested);
        sh += "\n" + nested;
        for (uint64_t c : nested_types(n)) sh += "    struct " + last_name(c) + ";\n";
        sh += "    class Client;\n    class Server;\n};\n\n";

        // Client.
        std::string& cl = s_.rpc;
        cl += "// Typed calls on a " + last_name(id) + " capability through an rpc::Transport.\n";
        cl += "class " + rel + "::Client {\npublic:\n";
        cl += "    Client(::capos::rpc::Transport& transport, uint32_t cap_id) : transport_(&transport), cap_id_(cap_id) {}\n";
        cl += "    uint32_t cap_id() const { return cap_id_; }\n";
        cl += "    ::capos::rpc::Transport& transport() const { return *transport_; }\n";
        for (auto& m : methods) {
            cl += "\n" + comment(m.signature, "    ") + comment(m.doc, "    ");
            if (m.simple)
                cl += "    auto " + m.name + "(::capos::rpc::CallBuffers& buffers_" + m.conv_params +
                      ") const -> ::capos::Result<" + m.R + "::Reader>;\n";
            cl += "    template <typename Fill>\n        requires std::invocable<Fill&, " + m.P + "::Builder>\n";
            cl += "    auto " + m.name + "(::capos::rpc::CallBuffers& buffers_, Fill&& fill_) const -> ::capos::Result<" +
                  m.R + "::Reader> {\n";
            cl += "        return ::capos::rpc::call<" + m.P + ", " + m.R + ">(*transport_, cap_id_, kInterfaceId, " +
                  q + "::" + m.constant + ", buffers_, fill_);\n    }\n";
        }
        cl += "\nprivate:\n    ::capos::rpc::Transport* transport_;\n    uint32_t cap_id_;\n};\n\n";

        // Server.
        cl += "// Dispatch skeleton for a " + last_name(id) +
              " implementation: override the handlers it offers;\n// the others raise `unimplemented`.\n";
        cl += "class " + rel + "::Server {\npublic:\n";
        cl += "    static constexpr uint64_t kInterfaceId = " + q + "::kInterfaceId;\n\n";
        cl += "    // Decodes `params_`, runs the handler for `method_` and leaves the results or\n"
              "    // a CapException at the front of `scratch_` (schema/rpc.hpp).\n";
        cl += "    auto dispatch(uint16_t method_, std::span<const uint8_t> params_,\n"
              "                  std::span<::capos::capnp::Word> scratch_) -> ::capos::Result<::capos::rpc::Reply>;\n";
        cl += "\nprotected:\n    Server() = default;\n    Server(const Server&) = default;\n    ~Server() = default;\n";
        for (auto& m : methods) {
            cl += "\n" + comment(m.signature, "    ");
            cl += "    virtual auto " + m.name + "(" + m.P + "::Reader params, " + m.R +
                  "::Builder results) -> ::capos::Result<void>;\n";
        }
        cl += "};\n\n";

        std::string& d = s_.defs;
        for (auto& m : methods) {
            if (m.simple) {
                d += "inline auto " + rel + "::Client::" + m.name + "(::capos::rpc::CallBuffers& buffers_" +
                     m.conv_params + ") const -> ::capos::Result<" + m.R + "::Reader> {\n";
                d += "    return " + m.name + "(buffers_, [&](" + m.P + "::Builder params_) -> ::capos::Result<void> {\n";
                if (m.conv_body.empty()) d += "        (void)params_;\n";
                d += m.conv_body + "        return {};\n    });\n}\n\n";
            }
            d += "inline auto " + rel + "::Server::" + m.name + "(" + m.P + "::Reader, " + m.R +
                 "::Builder) -> ::capos::Result<void> {\n    return ::capos::Error::Unsupported;\n}\n\n";
        }
        d += "inline auto " + rel + "::Server::dispatch(uint16_t method_, std::span<const uint8_t> params_,\n"
             "        std::span<::capos::capnp::Word> scratch_) -> ::capos::Result<::capos::rpc::Reply> {\n";
        if (methods.empty()) {
            d += "    (void)method_;\n    (void)params_;\n    return ::capos::rpc::unimplemented(scratch_);\n}\n\n";
            return;
        }
        d += "    switch (method_) {\n";
        for (auto& m : methods) {
            d += "    case " + q + "::" + m.constant + ":\n";
            d += "        return ::capos::rpc::serve<" + m.P + ", " + m.R + ">(params_, scratch_,\n";
            d += "            [this](" + m.P + "::Reader p, " + m.R + "::Builder r) { return this->" + m.name +
                 "(p, r); });\n";
        }
        d += "    default:\n        return ::capos::rpc::unimplemented(scratch_);\n    }\n}\n\n";
    }

    schema::CodeGeneratorRequest::Reader request_;
    schema::CodeGeneratorRequest::RequestedFile::Reader file_;
    std::map<uint64_t, Node::Reader> nodes_;
    std::map<uint64_t, Node::SourceInfo::Reader> docs_;
    std::map<uint64_t, std::string> rel_;   // name relative to the file's namespace
    std::map<uint64_t, std::string> qual_;  // fully qualified name
    std::map<uint64_t, uint64_t> file_of_;
    std::set<std::string> includes_;
    std::vector<uint64_t> order_;
    std::string ns_;
    Sections s_;
};

}  // namespace

Output generate(schema::CodeGeneratorRequest::Reader request,
                schema::CodeGeneratorRequest::RequestedFile::Reader file) {
    return Generator(request, file).run();
}

}  // namespace capos::codegen
