// capnpc-capos: Cap'n Proto schema -> freestanding C++ over lib/capnp.
//
// generate() turns one requested file of a CodeGeneratorRequest into the
// text of one header. The output depends only on the request (no time, no
// paths beyond the file name given to capnp), so it is deterministic and
// can be pinned by golden files. What the header contains is described in
// docs/schema.md.
#pragma once

#include <capnp/schema.capnp.h>

#include <string>

namespace capos::codegen {

struct Output {
    std::string path;     // relative to the output directory: "<file>.hpp"
    std::string content;  // the header
};

// Throws std::runtime_error with a one-line message (naming the schema
// entity) for schema features the generator does not support: generics,
// interface inheritance.
Output generate(capnp::schema::CodeGeneratorRequest::Reader request,
                capnp::schema::CodeGeneratorRequest::RequestedFile::Reader file);

}  // namespace capos::codegen
