// Instantiates the capability table and transaction with an opaque
// reference type, so every flavour (kernel flags included) compiles them.
#include "lib/cap/cap_table.hpp"
#include "lib/cap/transfer.hpp"

namespace capos::cap {

template class CapTable<void*>;
template class Transaction<void*>;

}  // namespace capos::cap
