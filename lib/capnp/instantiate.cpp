// Explicit instantiations of the integer and bool accessors, so that every
// flavour (the kernel's: -mgeneral-regs-only, no SSE) compiles the code paths
// generated readers and builders use. Float and double accessors are left to
// user and host code, which instantiate them on use.
#include "lib/capnp/builder.hpp"
#include "lib/capnp/reader.hpp"

namespace capos::capnp {

#define CAPOS_CAPNP_INSTANTIATE(T)                                                \
    template T StructReader::get_data<T>(uint32_t, T) const;                      \
    template T ListReader::get<T>(uint32_t) const;                                \
    template void StructBuilder::set_data<T>(uint32_t, T, T) const;               \
    template T StructBuilder::get_data<T>(uint32_t, T) const;                     \
    template void ListBuilder::set<T>(uint32_t, T) const;                         \
    template T ListBuilder::get<T>(uint32_t) const;

CAPOS_CAPNP_INSTANTIATE(bool)
CAPOS_CAPNP_INSTANTIATE(int8_t)
CAPOS_CAPNP_INSTANTIATE(uint8_t)
CAPOS_CAPNP_INSTANTIATE(int16_t)
CAPOS_CAPNP_INSTANTIATE(uint16_t)
CAPOS_CAPNP_INSTANTIATE(int32_t)
CAPOS_CAPNP_INSTANTIATE(uint32_t)
CAPOS_CAPNP_INSTANTIATE(int64_t)
CAPOS_CAPNP_INSTANTIATE(uint64_t)

#undef CAPOS_CAPNP_INSTANTIATE

}  // namespace capos::capnp
