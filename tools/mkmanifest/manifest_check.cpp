#include "tools/mkmanifest/manifest_check.hpp"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstdio>
#include <cstring>
#include <string_view>

#include "lib/base/format.hpp"
#include "lib/boot/service_graph.hpp"
#include "lib/boot/service_graph_decode.hpp"
#include "schema/boot_package.hpp"
#include "tools/mkmanifest/target_decode.hpp"

namespace capos::mkmanifest {

namespace host = capos::host;

namespace {

// Collects formatted output (lib/base/format.hpp) into a std::string.
class StringSink final : public capos::Sink {
public:
    void write(const char* data, size_t len) override { text.append(data, len); }
    std::string text;
};

// The manifest as one framed message (segment table + canonical segment),
// the form the target's reader takes.
std::vector<capos::capnp::Word> framed(host::SystemManifest::Reader manifest) {
    kj::Array<::capnp::word> canonical = ::capnp::AnyStruct::Reader(manifest).canonicalize();
    std::vector<capos::capnp::Word> out(1 + canonical.size());
    uint32_t table[2] = {0, static_cast<uint32_t>(canonical.size())};
    std::memcpy(out.data(), table, sizeof(table));
    if (canonical.size()) std::memcpy(out.data() + 1, canonical.begin(), canonical.asBytes().size());
    return out;
}

// The service graph checks (lib/boot/service_graph.hpp, shared with init)
// over the target's decoding of the manifest message `bytes`.
std::optional<std::string> check_graph(std::span<const uint8_t> bytes, const CheckOptions& opt) {
    capos::capnp::MessageReader reader(bytes);
    auto fail = [](capos::Error e) { return std::string("manifest does not decode on the target: ") + capos::error_name(e); };
    auto root = capos::schema::SystemManifest::read_root(reader);
    if (!root) return fail(root.error());
    auto counts = capos::boot::count_manifest(root.value());
    if (!counts) return fail(counts.error());
    std::vector<capos::boot::BinaryInfo> binaries(counts.value().binaries);
    std::vector<capos::boot::ServiceInfo> services(counts.value().services);
    std::vector<capos::boot::GrantInfo> grants(counts.value().grants);
    auto info = capos::boot::decode_manifest(root.value(), {binaries, services, grants});
    if (!info) return fail(info.error());
    if (!opt.check_graph) return std::nullopt;
    const capos::boot::ManifestInfo& m = info.value();
    std::vector<uint32_t> order(m.services.size()), scratch(capos::boot::scratch_words(m));
    capos::boot::GraphError e;
    if (capos::boot::validate_service_graph(m, {.require_images = opt.require_images}, order, scratch, &e))
        return std::nullopt;
    StringSink sink;
    capos::boot::format_graph_error(sink, m, e);
    if (e.reason == capos::boot::GraphErrorReason::BinaryWithoutImage && e.binary < m.binaries.size()) {
        capos::StringView name = m.binaries[e.binary].name;
        sink.text += " (pass --binary " + std::string(name.data(), name.size()) + "=PATH)";
    }
    return sink.text;
}

std::string one_line(const char* text) {
    std::string s(text);
    for (auto& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

}  // namespace

std::string quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '\'' || c == '\\') {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "'";
}

std::optional<std::string> validate(host::SystemManifest::Reader manifest, const CheckOptions& options) {
    if (manifest.getSchemaVersion() != host::MANIFEST_SCHEMA_VERSION)
        return "schema version mismatch: manifest has " + std::to_string(manifest.getSchemaVersion()) +
               ", mkmanifest expects " + std::to_string(host::MANIFEST_SCHEMA_VERSION);
    std::vector<capos::capnp::Word> words = framed(manifest);
    return check_graph(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(words.data()),
                                                words.size() * sizeof(capos::capnp::Word)),
                       options);
}

std::optional<std::string> validate_message(std::span<const uint8_t> bytes, const CheckOptions& options) {
    if (bytes.size() % sizeof(::capnp::word) != 0)
        return "manifest message is " + std::to_string(bytes.size()) + " bytes, not a multiple of 8";
    kj::Array<::capnp::word> words = kj::heapArray<::capnp::word>(bytes.size() / sizeof(::capnp::word));
    if (!bytes.empty()) std::memcpy(words.begin(), bytes.data(), bytes.size());
    try {
        // The limits lib/capnp applies by default (lib/capnp/wire.hpp), so
        // that what passes here also decodes on the target.
        ::capnp::ReaderOptions ro;
        ro.traversalLimitInWords = 8 * 1024 * 1024;
        ro.nestingLimit = 64;
        ::capnp::FlatArrayMessageReader reader(words, ro);
        auto manifest = reader.getRoot<host::SystemManifest>();
        if (manifest.getSchemaVersion() != host::MANIFEST_SCHEMA_VERSION)
            return "schema version mismatch: manifest has " + std::to_string(manifest.getSchemaVersion()) +
                   ", mkmanifest expects " + std::to_string(host::MANIFEST_SCHEMA_VERSION);
        // The target's reader first: it is the stricter one (it refuses a
        // zero-length list pointing outside its segment, which libcapnp
        // reads), and its message names the field.
        if (auto e = target_decode_problem(bytes)) return "manifest does not decode on the target: " + *e;
        (void)manifest.totalSize();  // walks every pointer: throws on what libcapnp cannot read
    } catch (const kj::Exception& e) {
        return "malformed manifest message: " + one_line(e.getDescription().cStr());
    }
    return check_graph(bytes, options);
}

std::optional<std::string> validate_boot_package(std::span<const uint8_t> image, bool check_graph) {
    auto msg = capos::boot_package::manifest_of(image);
    if (!msg) return std::string("bad boot package: ") + capos::error_name(msg.error());
    return validate_message(msg.value(), CheckOptions{.require_images = true, .check_graph = check_graph});
}

std::vector<uint8_t> pack(host::SystemManifest::Reader manifest) {
    kj::Array<::capnp::word> canonical = ::capnp::AnyStruct::Reader(manifest).canonicalize();
    // Standard framing of a one-segment message: segment count - 1, size.
    uint32_t table[2] = {0, static_cast<uint32_t>(canonical.size())};
    uint64_t message_bytes = sizeof(table) + canonical.asBytes().size();
    auto header = capos::boot_package::make_header(message_bytes);
    std::vector<uint8_t> out(sizeof(header) + message_bytes);
    std::memcpy(out.data(), &header, sizeof(header));
    std::memcpy(out.data() + sizeof(header), table, sizeof(table));
    std::memcpy(out.data() + sizeof(header) + sizeof(table), canonical.asBytes().begin(),
                canonical.asBytes().size());
    return out;
}

}  // namespace capos::mkmanifest
