// Instantiates the ring templates with the production access policy, so
// every flavour (kernel flags included) compiles them and every abi/ header.
#include "abi/capset.hpp"
#include "abi/layout.hpp"
#include "abi/syscall.hpp"
#include "lib/ring/kernel_ring.hpp"
#include "lib/ring/user_ring.hpp"

namespace capos::ring {

template class KernelRing<SharedAccess>;
template class UserRing<SharedAccess>;

}  // namespace capos::ring
