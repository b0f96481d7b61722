#include "kernel/cap/spawner.hpp"

#include <new>

#include "abi/capset.hpp"
#include "kernel/boot_package.hpp"
#include "kernel/cap/session.hpp"
#include "kernel/ipc/endpoint.hpp"
#include "kernel/log.hpp"
#include "kernel/mm/account.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/proc/process.hpp"
#include "kernel/proc/sched.hpp"
#include "lib/boot/service_graph.hpp"
#include "lib/capnp/builder.hpp"
#include "schema/capos.capnp.hpp"

namespace capos {

// ---------------------------------------------------------------------------
// ProcessHandle

class ProcessHandleCap final : public ServedCap<schema::ProcessHandle> {
public:
    explicit ProcessHandleCap(Process& child) : child_(&child) {
        child.handle = this;
        next_ = g_list;
        if (g_list) g_list->prev_ = this;
        g_list = this;
        ++g_live;
    }


    // The child is being destroyed with `code`.
    void child_gone(int64_t code) {
        child_ = nullptr;
        exited_ = true;
        code_ = code;
        if (waiter_) answer_waiter();
    }

    // A process is being destroyed: if it waits here, forget it.
    void process_gone(Process& p) {
        if (waiter_ == &p) waiter_ = nullptr;
    }

    // The child while it runs (null once it has exited).
    Process* live_child() const {
        return child_ && child_->state != Process::State::Exited ? child_ : nullptr;
    }

    static ProcessHandleCap* list() { return g_list; }
    ProcessHandleCap* next() const { return next_; }
    static uint64_t live() { return g_live; }

private:
    ~ProcessHandleCap() override {
        if (prev_) prev_->next_ = next_;
        else g_list = next_;
        if (next_) next_->prev_ = prev_;
        --g_live;
    }
    // Releasing the handle does not stop the child.
    void destroy() override {
        if (child_) child_->handle = nullptr;
        delete this;
    }

    Result<void> wait(schema::ProcessHandle::WaitParams::Reader,
                      schema::ProcessHandle::WaitResults::Builder results) override {
        if (exited_) {
            results.set_exit_code(code_);
            return {};
        }
        if (waiter_) return Error::Busy;  // one waiter
        waiter_ = ctx().caller;
        waiter_user_data_ = ctx().user_data;
        waiter_result_ = ctx().result_addr;
        waiter_result_len_ = ctx().result_len;
        ctx().defer_external = true;
        return {};
    }

    // Writes WaitResults{exitCode} into the waiter's buffer and posts its CQE.
    void answer_waiter() {
        Process& w = *waiter_;
        waiter_ = nullptr;
        alignas(8) capnp::Word words[8];
        capnp::MessageBuilder msg(words);
        abi::Cqe c{};
        c.user_data = waiter_user_data_;
        auto root = msg.init_root(schema::ProcessHandle::WaitResults::kDataWords,
                                  schema::ProcessHandle::WaitResults::kPointerCount);
        if (!root.ok()) {
            c.result = abi::to_result(abi::TransportError::QueueFull);
        } else {
            schema::ProcessHandle::WaitResults::Builder(root.value()).set_exit_code(code_);
            auto bytes = msg.bytes();
            if (bytes.size() > waiter_result_len_) {
                c.result = abi::to_result(abi::TransportError::BufferTooSmall);
                c.aux = static_cast<uint32_t>(bytes.size());
            } else if (!w.aspace->write_user(waiter_result_, bytes.data(), bytes.size()).ok()) {
                c.result = abi::to_result(abi::TransportError::BadBuffer);
            } else {
                c.result = static_cast<int32_t>(bytes.size());
            }
        }
        if (w.ring && w.ring->post(c).ok()) sched_wake(&w);
    }

    Process* child_;
    bool exited_ = false;
    int64_t code_ = 0;
    Process* waiter_ = nullptr;
    uint64_t waiter_user_data_ = 0;
    uint64_t waiter_result_ = 0;
    uint32_t waiter_result_len_ = 0;
    ProcessHandleCap* next_ = nullptr;
    ProcessHandleCap* prev_ = nullptr;
    static inline constinit ProcessHandleCap* g_list = nullptr;
    static inline constinit uint64_t g_live = 0;
};


namespace {

// ---------------------------------------------------------------------------
// ProcessSpawner

// Everything spawn() holds until the child exists: dropped on any failure.
struct Pending {
    CapObject* temps[abi::kCapSetMaxEntries] = {};  // references for the child's CapSet
    uint32_t ntemps = 0;
    CapObject* facets[abi::kCapSetMaxEntries] = {};  // client facets for the caller
    uint32_t grant_of_facet[abi::kCapSetMaxEntries] = {};
    uint32_t nfacets = 0;

    ~Pending() {
        for (uint32_t i = 0; i < ntemps; ++i) temps[i]->release();
        for (uint32_t i = 0; i < nfacets; ++i)
            if (facets[i]) facets[i]->release();
    }
};

// Kernel capabilities spawn mints for a child. BootPackage, SessionBroker
// and TerminalSession are not: a child gets them only as a copy of one its
// parent holds (init passes its own for the manifest's grants).
bool spawner_mints(schema::KernelCap kind) {
    switch (kind) {
    case schema::KernelCap::BootPackage:
    case schema::KernelCap::SessionBroker:
    case schema::KernelCap::Terminal: return false;
    default: return true;
    }
}

class ProcessSpawnerCap final : public ServedCap<schema::ProcessSpawner> {
public:
    bool accepts_transfers() const override { return true; }

private:
    void destroy() override {}

    Result<void> spawn(schema::ProcessSpawner::SpawnParams::Reader params,
                       schema::ProcessSpawner::SpawnResults::Builder results) override {
        Process& caller = *ctx().caller;
        StringView name = TRY(params.name());
        if (name.empty() || name.size() >= kProcessNameMax) return Error::InvalidArgument;
        StringView binary = TRY(params.binary_name());
        std::span<const uint8_t> elf;
        if (!boot_package_binary(binary, &elf).ok()) return Error::InvalidArgument;
        auto grants = TRY(params.grants());
        if (grants.size() > abi::kCapSetMaxEntries) return Error::InvalidArgument;

        // Decode every grant before anything is created.
        Pending pending;
        InitialCap caps[abi::kCapSetMaxEntries];
        for (uint32_t g = 0; g < grants.size(); ++g) {
            auto grant = grants[g];
            StringView gname = TRY(grant.name());
            if (boot::check_name(gname) != boot::NameProblem::None) return Error::InvalidArgument;
            for (uint32_t k = 0; k < g; ++k)
                if (caps[k].name == gname) return Error::InvalidArgument;  // duplicate name
            uint64_t iid = grant.interface_id();
            auto source = grant.source();
            CapObject* obj = nullptr;
            bool own_vm = false;
            bool own_session = false;
            if (source.is_kernel()) {
                // The manifest's kinds, except those that carry authority
                // beyond the spawner's: the caller passes its own copy of
                // those (a `capability` source).
                if (!spawner_mints(source.kernel())) return Error::InvalidArgument;
                KernelCapSource k = kernel_cap_source(source.kernel());
                if (k.interface_id == 0 || k.interface_id != iid) return Error::InvalidArgument;
                obj = k.object;
                own_vm = k.own_virtual_memory;
                own_session = k.own_session;
                if (obj) {
                    obj->retain();
                    pending.temps[pending.ntemps++] = obj;
                }
            } else if (source.is_capability()) {
                uint32_t index = TRY(source.capability());
                if (index >= ctx().in_count) return Error::InvalidArgument;
                obj = ctx().in_caps[index];
                if (obj->interface_id() != iid) return Error::InvalidArgument;
                obj->retain();
                pending.temps[pending.ntemps++] = obj;
            } else if (source.is_endpoint()) {
                obj = TRY(endpoint_create());
                pending.temps[pending.ntemps++] = obj;
                auto facet = endpoint_client(*obj, iid);
                if (!facet.ok()) return Error::InvalidArgument;  // not a usable protocol id
                pending.grant_of_facet[pending.nfacets] = g;
                pending.facets[pending.nfacets++] = facet.value();
            } else {
                return Error::InvalidArgument;  // none, or a manifest-only `service` source
            }
            caps[g] = InitialCap{gname, obj, own_vm, own_session};
        }

        // The caller must be able to take the handle and every facet, so that
        // no capability is dropped after the child exists.
        uint32_t returned = 1 + pending.nfacets;
        if (caller.caps.free_slots() < returned ||
            caller.account->ledger().available(mm::Charge::CapSlots) < returned)
            return Error::LimitExceeded;

        auto profile = TRY(params.profile());
        mm::Limits requested{profile.cap_slots(), profile.frames(), profile.mapped_pages()};
        mm::Limits limits = mm::resolve_limits(requested, kDefaultLimits, caller.account->ledger().limits());
        // The child's session: the caller's, or one a SessionBroker created.
        Session* session = caller.session;
        if (params.has_session()) {
            uint32_t si = TRY(params.session());
            if (si >= ctx().in_count) return Error::InvalidArgument;
            session = session_selectable(*ctx().in_caps[si]);
            if (!session) return Error::InvalidArgument;
        }
        elf::Rejection why;
        auto child = process_create(name, elf.data(), elf.size(), &why,
                                    std::span<const InitialCap>(caps, grants.size()), limits, session);
        if (!child.ok()) {
            if (!why.empty()) log::info("spawn '{}': binary '{}' refused: {}", name, binary, why.c_str());
            Error e = child.error();
            return e == Error::OutOfMemory || e == Error::LimitExceeded ? e : Error::InvalidArgument;
        }
        Process* p = child.value();
        auto* handle = new (std::nothrow) ProcessHandleCap(*p);
        if (!handle) {
            process_destroy(p);
            return Error::OutOfMemory;
        }
        // From here the kernel starts the child only if the caller receives
        // the results (ring_dispatch: start_after_commit).
        ctx().start_after_commit = p;
        auto index = ctx().return_cap(handle);
        if (!index.ok()) {
            handle->release();
            return index.error();
        }
        TRY(results.set_handle(index.value()));
        auto exports = TRY(results.init_exports(pending.nfacets));
        for (uint32_t i = 0; i < pending.nfacets; ++i) {
            auto grant = grants[pending.grant_of_facet[i]];
            auto e = exports[i];
            TRY(e.set_name(TRY(grant.name())));
            e.set_interface_id(grant.interface_id());
            auto fi = TRY(ctx().return_cap(pending.facets[i]));
            pending.facets[i] = nullptr;  // ctx holds it now
            TRY(e.set_cap(fi));
        }
        return {};
    }

};

alignas(ProcessSpawnerCap) unsigned char g_spawner_storage[sizeof(ProcessSpawnerCap)];
ProcessSpawnerCap* g_spawner = nullptr;

}  // namespace

CapObject& process_spawner() {
    if (!g_spawner) g_spawner = new (g_spawner_storage) ProcessSpawnerCap();
    return *g_spawner;
}

void process_handles_process_gone(Process& p) {
    if (p.handle) {
        p.handle->child_gone(p.exit_code);
        p.handle = nullptr;
    }
    for (ProcessHandleCap* h = ProcessHandleCap::list(); h; h = h->next()) h->process_gone(p);
}

Process* process_handle_child(CapObject& handle) {
    return static_cast<ProcessHandleCap&>(handle).live_child();
}

uint64_t process_handles_live() { return ProcessHandleCap::live(); }

}  // namespace capos
