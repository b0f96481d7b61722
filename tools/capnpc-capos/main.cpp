// capnpc-capos: a `capnp compile` plugin.
//
//   capnp compile -o/path/to/capnpc-capos:OUTDIR [--src-prefix=DIR] -I DIR file.capnp
//
// capnp runs the plugin in OUTDIR with the CodeGeneratorRequest on stdin;
// for each requested file.capnp it writes OUTDIR/file.capnp.hpp (the path
// is the file name capnp reports, so --src-prefix controls it).

#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tools/capnpc-capos/generator.hpp"

int main() {
    try {
        capnp::ReaderOptions options;
        options.traversalLimitInWords = 1ull << 30;
        capnp::StreamFdMessageReader message(0, options);
        auto request = message.getRoot<capnp::schema::CodeGeneratorRequest>();
        for (auto file : request.getRequestedFiles()) {
            capos::codegen::Output out = capos::codegen::generate(request, file);
            std::filesystem::path path(out.path);
            if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
            std::ofstream f(path, std::ios::binary | std::ios::trunc);
            f << out.content;
            if (!f) {
                std::fprintf(stderr, "capnpc-capos: cannot write %s\n", out.path.c_str());
                return 1;
            }
        }
    } catch (const kj::Exception& e) {
        std::fprintf(stderr, "capnpc-capos: %s\n", e.getDescription().cStr());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "capnpc-capos: %s\n", e.what());
        return 1;
    }
    return 0;
}
