#include "user/rt/capset.hpp"

#include <new>

#include "user/rt/rt.hpp"

namespace capos::rt {

Result<const abi::CapSetEntry*> CapSet::find(StringView name) const {
    if (page_ == nullptr) return Error::NotFound;
    abi::CapSetView view(page_);
    if (!view.valid()) return Error::Malformed;
    const abi::CapSetEntry* e = view.find(name.data(), name.size());
    if (e == nullptr) return Error::NotFound;
    return e;
}

Result<abi::CapId> CapSet::lookup(StringView name, uint64_t interface_id) const {
    const abi::CapSetEntry* e = TRY(find(name));
    if (e->interface_id != interface_id) return Error::CapWrongInterface;
    return e->cap_id;
}

namespace {
alignas(CapSet) unsigned char g_capset_storage[sizeof(CapSet)];
constinit CapSet* g_capset = nullptr;
}  // namespace

const CapSet& capset() {
    if (g_capset == nullptr) g_capset = new (g_capset_storage) CapSet(start_info().capset());
    return *g_capset;
}

}  // namespace capos::rt
