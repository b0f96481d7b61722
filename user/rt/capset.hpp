// The capabilities a process starts with: the read-only CapSet page the
// kernel mapped at abi::kCapSetAddress (RDX at entry), read through
// abi::CapSetView (docs/abi.md 12).
//
//   const rt::CapSet& caps = rt::capset();
//   abi::CapId id = TRY(caps.lookup("console", schema::Console::kInterfaceId));
//   schema::Console::Client console = TRY(caps.client<schema::Console>("console", transport));
//
// lookup() is the typed lookup: a name that is present with another
// interface is an error (CapWrongInterface), never a capability of the
// wrong type.
#pragma once

#include <cstdint>

#include "abi/capset.hpp"
#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"
#include "schema/rpc.hpp"

namespace capos::rt {

class CapSet {
public:
    // `page`: the CapSet page, or nullptr when the process has none.
    explicit CapSet(const abi::CapSetHeader* page) : page_(page) {}

    // A page was passed and its header is valid.
    bool valid() const { return page_ != nullptr && abi::CapSetView(page_).valid(); }
    // Entries (0 without a valid page).
    uint32_t count() const { return valid() ? abi::CapSetView(page_).count() : 0; }
    // Precondition: i < count().
    const abi::CapSetEntry& entry(uint32_t i) const { return abi::CapSetView(page_).entry(i); }

    // The entry named exactly `name`. Errors: NotFound (no page, or no such
    // name); Malformed (the page's header is not a valid CapSet header).
    Result<const abi::CapSetEntry*> find(StringView name) const;

    // The id of the capability named `name`, which must implement
    // `interface_id`. Errors: find()'s; CapWrongInterface when the entry
    // records another interface.
    Result<abi::CapId> lookup(StringView name, uint64_t interface_id) const;

    // A generated client (I::Client) for the capability named `name` of
    // interface I, calling through `transport`. Errors: lookup()'s.
    template <typename I>
    Result<typename I::Client> client(StringView name, rpc::Transport& transport) const {
        abi::CapId id = TRY(lookup(name, I::kInterfaceId));
        return typename I::Client(transport, id);
    }

private:
    const abi::CapSetHeader* page_;
};

// The process's CapSet (from StartInfo::capset()).
const CapSet& capset();

}  // namespace capos::rt
