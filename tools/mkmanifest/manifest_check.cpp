#include "tools/mkmanifest/manifest_check.hpp"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include "schema/boot_package.hpp"
#include "tools/mkmanifest/target_decode.hpp"

namespace capos::mkmanifest {

namespace host = capos::host;
using Grant = host::CapGrant;

namespace {

constexpr size_t kNameMax = host::CAP_NAME_MAX_BYTES;

std::string_view view(capnp::Text::Reader t) { return std::string_view(t.cStr(), t.size()); }

std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
    return buf;
}

// Why `name` is not a valid capability, service or binary name, or "".
std::string name_problem(std::string_view name) {
    if (name.empty()) return "name is empty";
    if (name.size() > kNameMax) return "name " + quote(name) + " is longer than " + std::to_string(kNameMax) + " bytes";
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return "name " + quote(name) + " contains a space or non-printable byte";
    }
    return "";
}

struct KernelKind {
    const char* name;
    uint64_t interface_id;
};

std::optional<KernelKind> kernel_kind(host::KernelCap k) {
    switch (k) {
    case host::KernelCap::CONSOLE: return KernelKind{"console", capnp::typeId<host::Console>()};
    case host::KernelCap::TIMER: return KernelKind{"timer", capnp::typeId<host::Timer>()};
    case host::KernelCap::VIRTUAL_MEMORY:
        return KernelKind{"virtualMemory", capnp::typeId<host::VirtualMemory>()};
    case host::KernelCap::FRAME_ALLOCATOR:
        return KernelKind{"frameAllocator", capnp::typeId<host::FrameAllocator>()};
    case host::KernelCap::PROCESS_SPAWNER:
        return KernelKind{"processSpawner", capnp::typeId<host::ProcessSpawner>()};
    case host::KernelCap::BOOT_PACKAGE:
        return KernelKind{"bootPackage", capnp::typeId<host::BootPackage>()};
    }
    return std::nullopt;
}

// One process's identity for messages: "initConfig" or "service 'x'".
struct Checker {
    host::SystemManifest::Reader m;
    CheckOptions opt;
    std::set<std::string, std::less<>> binaries;
    // service name -> (export name -> interface id)
    std::map<std::string, std::map<std::string, uint64_t, std::less<>>, std::less<>> exports;

    std::optional<std::string> run() {
        if (m.getSchemaVersion() != host::MANIFEST_SCHEMA_VERSION)
            return "schema version mismatch: manifest has " + std::to_string(m.getSchemaVersion()) +
                   ", mkmanifest expects " + std::to_string(host::MANIFEST_SCHEMA_VERSION);
        if (auto e = check_binaries()) return e;
        if (auto e = check_init_binary()) return e;
        if (auto e = check_service_names()) return e;
        if (auto e = check_grants("initConfig", m.getInitConfig().getGrants(), true)) return e;
        for (auto s : m.getServices())
            if (auto e = check_grants("service " + quote(view(s.getName())), s.getGrants(), false))
                return e;
        return check_cycles();
    }

    std::optional<std::string> check_binaries() {
        uint32_t i = 0;
        for (auto b : m.getBinaries()) {
            auto name = view(b.getName());
            if (auto p = name_problem(name); !p.empty())
                return "binary #" + std::to_string(i) + ": " + p;
            if (!binaries.emplace(name).second) return "duplicate binary " + quote(name);
            if (opt.require_images && b.getElf().size() == 0)
                return "binary " + quote(name) + " has no image (pass --binary " + std::string(name) +
                       "=PATH)";
            ++i;
        }
        return std::nullopt;
    }

    std::optional<std::string> check_init_binary() {
        auto name = view(m.getInitConfig().getBinary());
        if (name.empty()) return "initConfig: no binary";
        if (!binaries.count(name)) return "initConfig: unknown binary " + quote(name);
        return std::nullopt;
    }

    // Names, binaries and the export table (needed before any grant check).
    std::optional<std::string> check_service_names() {
        uint32_t i = 0;
        for (auto s : m.getServices()) {
            auto name = view(s.getName());
            if (auto p = name_problem(name); !p.empty())
                return "service #" + std::to_string(i) + ": " + p;
            if (name == "init") return "service name 'init' is reserved for initConfig";
            if (exports.count(name)) return "duplicate service name " + quote(name);
            auto& ex = exports[std::string(name)];
            auto bin = view(s.getBinary());
            if (bin.empty()) return "service " + quote(name) + ": no binary";
            if (!binaries.count(bin)) return "service " + quote(name) + ": unknown binary " + quote(bin);
            for (auto g : s.getGrants())
                if (g.getSource().isEndpoint()) ex.emplace(view(g.getName()), g.getInterfaceId());
            ++i;
        }
        return std::nullopt;
    }

    std::optional<std::string> check_grants(const std::string& who, capnp::List<Grant>::Reader grants,
                                            bool is_init) {
        std::set<std::string, std::less<>> seen;
        uint32_t i = 0;
        for (auto g : grants) {
            auto name = view(g.getName());
            if (auto p = name_problem(name); !p.empty())
                return who + ": grant #" + std::to_string(i) + ": " + p;
            if (!seen.emplace(name).second) return who + ": duplicate grant name " + quote(name);
            std::string at = who + ": grant " + quote(name);
            uint64_t want = g.getInterfaceId();
            auto src = g.getSource();
            switch (src.which()) {
            case Grant::Source::NONE: return at + ": no source";
            case Grant::Source::KERNEL: {
                auto k = kernel_kind(src.getKernel());
                if (!k)
                    return at + ": unknown kernel capability " +
                           std::to_string(static_cast<unsigned>(src.getKernel()));
                if (want != k->interface_id)
                    return at + ": interface id " + hex(want) + " does not match kernel capability '" +
                           k->name + "' (" + hex(k->interface_id) + ")";
                break;
            }
            case Grant::Source::SERVICE: {
                if (is_init) return at + ": only kernel sources are allowed in initConfig";
                auto ref = src.getService();
                auto svc = view(ref.getService());
                auto exp = view(ref.getExportName());
                auto it = exports.find(svc);
                if (it == exports.end()) return at + ": unknown service " + quote(svc);
                auto e = it->second.find(exp);
                if (e == it->second.end())
                    return at + ": service " + quote(svc) + " has no export " + quote(exp);
                if (want != e->second)
                    return at + ": interface id " + hex(want) + " does not match export " +
                           quote(std::string(svc) + "." + std::string(exp)) + " (" + hex(e->second) + ")";
                break;
            }
            case Grant::Source::ENDPOINT:
                if (is_init) return at + ": only kernel sources are allowed in initConfig";
                if (want == 0) return at + ": endpoint grant needs a non-zero interface id";
                break;
            case Grant::Source::CAPABILITY:
                return at + ": capability sources are only valid in ProcessSpawner.spawn";
            default:
                return at + ": unknown source kind " + std::to_string(static_cast<unsigned>(src.which()));
            }
            ++i;
        }
        return std::nullopt;
    }

    // Depth-first search over service -> imported service edges, services
    // and edges in manifest order; the first back edge found is reported.
    std::optional<std::string> check_cycles() {
        std::vector<std::string> names;
        std::map<std::string, size_t, std::less<>> index;
        for (auto s : m.getServices()) {
            index.emplace(view(s.getName()), names.size());
            names.emplace_back(view(s.getName()));
        }
        std::vector<std::vector<size_t>> edges(names.size());
        size_t i = 0;
        for (auto s : m.getServices()) {
            for (auto g : s.getGrants())
                if (g.getSource().isService())
                    edges[i].push_back(index.find(view(g.getSource().getService().getService()))->second);
            ++i;
        }
        enum Color { White, Grey, Black };
        std::vector<Color> color(names.size(), White);
        std::vector<size_t> stack;
        // Iterative DFS: each frame is (node, next edge index).
        for (size_t root = 0; root < names.size(); ++root) {
            if (color[root] != White) continue;
            std::vector<std::pair<size_t, size_t>> frames{{root, 0}};
            color[root] = Grey;
            stack.assign(1, root);
            while (!frames.empty()) {
                auto& [node, next] = frames.back();
                if (next == edges[node].size()) {
                    color[node] = Black;
                    frames.pop_back();
                    stack.pop_back();
                    continue;
                }
                size_t to = edges[node][next++];
                if (color[to] == Grey) {
                    std::string path;
                    size_t from = 0;
                    while (stack[from] != to) ++from;
                    for (size_t k = from; k < stack.size(); ++k) path += names[stack[k]] + " -> ";
                    return "dependency cycle: " + path + names[to];
                }
                if (color[to] == White) {
                    color[to] = Grey;
                    stack.push_back(to);
                    frames.emplace_back(to, 0);
                }
            }
        }
        return std::nullopt;
    }
};

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
    Checker c{manifest, options, {}, {}};
    return c.run();
}

std::optional<std::string> validate_message(std::span<const uint8_t> bytes, const CheckOptions& options) {
    if (bytes.size() % sizeof(capnp::word) != 0)
        return "manifest message is " + std::to_string(bytes.size()) + " bytes, not a multiple of 8";
    kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    if (!bytes.empty()) std::memcpy(words.begin(), bytes.data(), bytes.size());
    try {
        // The limits lib/capnp applies by default (lib/capnp/wire.hpp), so
        // that what passes here also decodes on the target.
        capnp::ReaderOptions ro;
        ro.traversalLimitInWords = 8 * 1024 * 1024;
        ro.nestingLimit = 64;
        capnp::FlatArrayMessageReader reader(words, ro);
        if (auto e = validate(reader.getRoot<host::SystemManifest>(), options)) return e;
    } catch (const kj::Exception& e) {
        return "malformed manifest message: " + one_line(e.getDescription().cStr());
    }
    if (auto e = target_decode_problem(bytes)) return "manifest does not decode on the target: " + *e;
    return std::nullopt;
}

std::optional<std::string> validate_boot_package(std::span<const uint8_t> image) {
    auto msg = capos::boot_package::manifest_of(image);
    if (!msg) return std::string("bad boot package: ") + capos::error_name(msg.error());
    return validate_message(msg.value(), CheckOptions{.require_images = true});
}

std::vector<uint8_t> pack(host::SystemManifest::Reader manifest) {
    kj::Array<capnp::word> canonical = capnp::AnyStruct::Reader(manifest).canonicalize();
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
