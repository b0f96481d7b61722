// mkmanifest: binary SystemManifest + ELF images -> capOS boot package.
//
//   mkmanifest --manifest M.bin [--binary NAME=PATH]... [--no-graph-check] -o OUT.bin
//   mkmanifest --check-package PKG.bin
//
// --no-graph-check skips the service graph checks (lib/boot/service_graph)
// but not decoding: for test packages whose graph init must refuse.
//
// M.bin is the manifest constant compiled by `capnp eval --binary`. Every
// Binary in it gets the ELF image at PATH; the result is validated
// (manifest_check.hpp) and written as a boot package
// (docs/boot-package.md). Errors are one line on stderr,
// "mkmanifest: error: ...", exit status 1; usage errors exit 2.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/mkmanifest/manifest_check.hpp"

namespace {

using capos::mkmanifest::quote;

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "mkmanifest: error: %s\n", message.c_str());
    std::exit(1);
}

[[noreturn]] void usage(const std::string& message) {
    std::fprintf(stderr,
                 "mkmanifest: %s\n"
                 "usage: mkmanifest --manifest M.bin [--binary NAME=PATH]... [--no-graph-check] -o OUT.bin\n"
                 "       mkmanifest --check-package PKG.bin\n",
                 message.c_str());
    std::exit(2);
}

std::optional<std::vector<uint8_t>> read_file(const std::string& path, std::string* why) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *why = std::strerror(errno);
        return std::nullopt;
    }
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        *why = "read error";
        return std::nullopt;
    }
    return data;
}

void write_file(const std::string& path, const std::vector<uint8_t>& data) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) fail("cannot write " + quote(path) + ": " + std::strerror(errno));
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        if (!out) fail("cannot write " + quote(path) + ": " + std::strerror(errno));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        fail("cannot write " + quote(path) + ": " + std::strerror(errno));
}

int check_package(const std::string& path) {
    std::string why;
    auto image = read_file(path, &why);
    if (!image) fail("cannot read " + quote(path) + ": " + why);
    if (auto e = capos::mkmanifest::validate_boot_package(*image)) fail(*e);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string manifest_path, out_path, package_path;
    std::map<std::string, std::string> binary_paths;
    bool check_graph = true;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--manifest") {
            manifest_path = value();
        } else if (arg == "-o" || arg == "--output") {
            out_path = value();
        } else if (arg == "--no-graph-check") {
            check_graph = false;
        } else if (arg == "--check-package") {
            package_path = value();
        } else if (arg == "--binary") {
            std::string spec = value();
            auto eq = spec.find('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
                usage("--binary wants NAME=PATH, got " + quote(spec));
            std::string name = spec.substr(0, eq);
            if (!binary_paths.emplace(name, spec.substr(eq + 1)).second)
                fail("--binary " + quote(name) + " given twice");
        } else {
            usage("unknown argument " + quote(arg));
        }
    }
    if (!package_path.empty()) {
        if (!manifest_path.empty() || !out_path.empty() || !binary_paths.empty())
            usage("--check-package takes no other arguments");
        return check_package(package_path);
    }
    if (manifest_path.empty() || out_path.empty()) usage("--manifest and -o are required");

    std::string why;
    auto bytes = read_file(manifest_path, &why);
    if (!bytes) fail("cannot read manifest " + quote(manifest_path) + ": " + why);
    // Decode problems are reported with the validator's wording.
    if (auto e = capos::mkmanifest::validate_message(*bytes, {.check_graph = check_graph})) fail(*e);

    try {
        kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes->size() / sizeof(capnp::word));
        std::memcpy(words.begin(), bytes->data(), bytes->size());
        capnp::FlatArrayMessageReader reader(words);
        capnp::MallocMessageBuilder builder;
        builder.setRoot(reader.getRoot<capos::host::SystemManifest>());
        auto root = builder.getRoot<capos::host::SystemManifest>();

        std::map<std::string, bool> declared;
        for (auto b : root.getBinaries()) declared[b.getName().cStr()] = false;
        for (auto& [name, path] : binary_paths)
            if (!declared.count(name))
                fail("--binary " + quote(name) + ": unknown binary (not in the manifest's binaries)");
        for (auto b : root.getBinaries()) {
            auto it = binary_paths.find(b.getName().cStr());
            if (it == binary_paths.end()) continue;
            auto elf = read_file(it->second, &why);
            if (!elf) fail("--binary " + quote(it->first) + ": cannot read " + quote(it->second) + ": " + why);
            if (elf->empty()) fail("--binary " + quote(it->first) + ": " + quote(it->second) + " is empty");
            b.setElf(kj::arrayPtr(elf->data(), elf->size()));
        }
        if (auto e = capos::mkmanifest::validate(root.asReader(), {.require_images = true, .check_graph = check_graph}))
            fail(*e);
        std::vector<uint8_t> package = capos::mkmanifest::pack(root.asReader());
        // What we write must pass the same check the target-side reader does.
        if (auto e = capos::mkmanifest::validate_boot_package(package, check_graph)) fail(*e);
        write_file(out_path, package);
    } catch (const kj::Exception& e) {
        fail(std::string("internal: ") + e.getDescription().cStr());
    }
    return 0;
}
