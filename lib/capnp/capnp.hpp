// Freestanding Cap'n Proto: reader and builder. See docs/capnp.md.
#pragma once

#include "lib/capnp/builder.hpp"
#include "lib/capnp/reader.hpp"
#include "lib/capnp/wire.hpp"
