#include "lib/boot/service_graph.hpp"

namespace capos::boot {

namespace {

// Scratch layout: dep[grants.size()] (the service a `service` grant imports
// from, else kNoIndex), then state[services.size()] (kUnplaced, kPlaced,
// or kWalk + position on the cycle walk).
constexpr uint32_t kUnplaced = 0;
constexpr uint32_t kPlaced = 1;
constexpr uint32_t kWalk = 2;

struct Checker {
    const ManifestInfo& m;
    const GraphOptions& opt;
    std::span<uint32_t> dep;
    std::span<uint32_t> state;
    GraphError* e;

    bool fail(GraphErrorReason r) {
        e->reason = r;
        return false;
    }

    uint32_t find_binary(StringView name) const {
        for (uint32_t i = 0; i < m.binaries.size(); ++i)
            if (m.binaries[i].name == name) return i;
        return kNoIndex;
    }
    uint32_t find_service(StringView name) const {
        for (uint32_t i = 0; i < m.services.size(); ++i)
            if (m.services[i].name == name) return i;
        return kNoIndex;
    }

    bool check_binaries() {
        for (uint32_t i = 0; i < m.binaries.size(); ++i) {
            e->binary = i;
            const BinaryInfo& b = m.binaries[i];
            if ((e->name_problem = check_name(b.name)) != NameProblem::None) return fail(GraphErrorReason::BinaryName);
            if (find_binary(b.name) != i) return fail(GraphErrorReason::DuplicateBinary);
            if (opt.require_images && b.image_bytes == 0) return fail(GraphErrorReason::BinaryWithoutImage);
        }
        e->binary = kNoIndex;
        if (m.init_binary.empty()) return fail(GraphErrorReason::InitNoBinary);
        if (find_binary(m.init_binary) == kNoIndex) return fail(GraphErrorReason::InitUnknownBinary);
        return true;
    }

    bool check_services() {
        for (uint32_t i = 0; i < m.services.size(); ++i) {
            e->service = i;
            const ServiceInfo& s = m.services[i];
            if ((e->name_problem = check_name(s.name)) != NameProblem::None)
                return fail(GraphErrorReason::ServiceName);
            if (s.name == "init") return fail(GraphErrorReason::ServiceNameReserved);
            if (find_service(s.name) != i) return fail(GraphErrorReason::DuplicateService);
            if (s.binary.empty()) return fail(GraphErrorReason::ServiceNoBinary);
            if (find_binary(s.binary) == kNoIndex) return fail(GraphErrorReason::ServiceUnknownBinary);
            if (s.first_grant > m.grants.size() || s.grant_count > m.grants.size() - s.first_grant)
                return fail(GraphErrorReason::ScratchTooSmall);
        }
        e->service = kNoIndex;
        return true;
    }

    // The first `endpoint` grant of service `s` named `name`, or kNoIndex.
    uint32_t find_export(uint32_t s, StringView name) const {
        const ServiceInfo& svc = m.services[s];
        for (uint32_t g = 0; g < svc.grant_count; ++g) {
            const GrantInfo& gi = m.grants[svc.first_grant + g];
            if (gi.source == static_cast<uint16_t>(GrantSource::Endpoint) && gi.name == name)
                return svc.first_grant + g;
        }
        return kNoIndex;
    }

    // The grants of one process: initConfig (service == kNoIndex) or a service.
    bool check_grants(uint32_t service, uint32_t first, uint32_t count) {
        bool is_init = service == kNoIndex;
        e->service = service;
        for (uint32_t g = 0; g < count; ++g) {
            e->grant = g;
            const GrantInfo& gi = m.grants[first + g];
            dep[first + g] = kNoIndex;
            if ((e->name_problem = check_name(gi.name)) != NameProblem::None)
                return fail(GraphErrorReason::GrantName);
            for (uint32_t h = 0; h < g; ++h)
                if (m.grants[first + h].name == gi.name) return fail(GraphErrorReason::DuplicateGrant);
            e->value = gi.interface_id;
            switch (gi.source) {
            case static_cast<uint16_t>(GrantSource::None): return fail(GraphErrorReason::NoSource);
            case static_cast<uint16_t>(GrantSource::Kernel):
                if (gi.kernel_name.empty()) {
                    e->value = gi.kernel;
                    return fail(GraphErrorReason::UnknownKernelCap);
                }
                if (gi.interface_id != gi.kernel_interface_id) {
                    e->expected = gi.kernel_interface_id;
                    return fail(GraphErrorReason::KernelInterfaceMismatch);
                }
                break;
            case static_cast<uint16_t>(GrantSource::Service): {
                if (is_init) return fail(GraphErrorReason::InitNonKernelSource);
                uint32_t from = find_service(gi.service);
                if (from == kNoIndex) return fail(GraphErrorReason::UnknownService);
                uint32_t ex = find_export(from, gi.export_name);
                if (ex == kNoIndex) return fail(GraphErrorReason::UnknownExport);
                if (gi.interface_id != m.grants[ex].interface_id) {
                    e->expected = m.grants[ex].interface_id;
                    return fail(GraphErrorReason::ExportInterfaceMismatch);
                }
                dep[first + g] = from;
                break;
            }
            case static_cast<uint16_t>(GrantSource::Endpoint):
                if (is_init) return fail(GraphErrorReason::InitNonKernelSource);
                if (gi.interface_id == 0) return fail(GraphErrorReason::EndpointWithoutInterface);
                break;
            case static_cast<uint16_t>(GrantSource::Capability): return fail(GraphErrorReason::CapabilitySource);
            default:
                e->value = gi.source;
                return fail(GraphErrorReason::UnknownSource);
            }
        }
        e->grant = kNoIndex;
        e->service = kNoIndex;
        e->value = 0;
        return true;
    }

    // A service not yet placed that service s imports from, or kNoIndex
    // when all of s's dependencies are placed (s is ready).
    uint32_t first_unplaced_dep(uint32_t s) const {
        const ServiceInfo& svc = m.services[s];
        for (uint32_t g = 0; g < svc.grant_count; ++g) {
            uint32_t d = dep[svc.first_grant + g];
            if (d != kNoIndex && state[d] != kPlaced) return d;
        }
        return kNoIndex;
    }

    // Kahn's algorithm, taking the first ready service in manifest order at
    // each step: O(n^2 g), fine for the tens of services a manifest has.
    bool order_services(std::span<uint32_t> order) {
        uint32_t n = static_cast<uint32_t>(m.services.size());
        for (uint32_t i = 0; i < n; ++i) state[i] = kUnplaced;
        for (uint32_t placed = 0; placed < n; ++placed) {
            uint32_t next = kNoIndex;
            for (uint32_t i = 0; i < n && next == kNoIndex; ++i)
                if (state[i] == kUnplaced && first_unplaced_dep(i) == kNoIndex) next = i;
            if (next == kNoIndex) return report_cycle();
            state[next] = kPlaced;
            order[placed] = next;
        }
        return true;
    }

    // No service is ready: every unplaced service imports from another
    // unplaced one, so following first unplaced dependencies from any of them
    // must revisit a service. The revisited one starts the cycle.
    bool report_cycle() {
        uint32_t n = static_cast<uint32_t>(m.services.size());
        uint32_t cur = 0;
        while (state[cur] == kPlaced) ++cur;
        for (uint32_t pos = 0; state[cur] == kUnplaced; ++pos) {
            state[cur] = kWalk + pos;
            cur = first_unplaced_dep(cur);
            if (cur == kNoIndex || cur >= n) return fail(GraphErrorReason::ScratchTooSmall);  // unreachable
        }
        uint32_t start = cur;
        e->cycle_len = 0;
        do {
            if (e->cycle_len == kMaxCyclePath) {
                e->cycle_truncated = true;
                break;
            }
            e->cycle[e->cycle_len++] = cur;
            cur = first_unplaced_dep(cur);
        } while (cur != start);
        e->service = start;
        return fail(GraphErrorReason::Cycle);
    }
};

StringView name_problem_text(NameProblem p) {
    switch (p) {
    case NameProblem::None: return "";
    case NameProblem::Empty: return "name is empty";
    case NameProblem::TooLong: return "is longer than";
    case NameProblem::BadByte: return "contains a space or non-printable byte";
    }
    return "";
}

void format_name_problem(Sink& sink, NameProblem p, StringView name) {
    if (p == NameProblem::Empty) {
        format(sink, "name is empty");
        return;
    }
    format(sink, "name ");
    format_quoted(sink, name);
    format(sink, " {}", name_problem_text(p));
    if (p == NameProblem::TooLong) format(sink, " {} bytes", kNameMaxBytes);
}

StringView service_name(const ManifestInfo& m, uint32_t s) {
    return s < m.services.size() ? m.services[s].name : StringView("?");
}

// initConfig's or service e.service's grant e.grant.
const GrantInfo* grant_of(const ManifestInfo& m, const GraphError& e) {
    uint32_t first = m.init_first_grant, count = m.init_grant_count;
    if (e.service != kNoIndex) {
        if (e.service >= m.services.size()) return nullptr;
        first = m.services[e.service].first_grant;
        count = m.services[e.service].grant_count;
    }
    if (e.grant >= count || first + e.grant >= m.grants.size()) return nullptr;
    return &m.grants[first + e.grant];
}

void format_who(Sink& sink, const ManifestInfo& m, uint32_t service) {
    if (service == kNoIndex) {
        format(sink, "initConfig");
        return;
    }
    format(sink, "service ");
    format_quoted(sink, service_name(m, service));
}

}  // namespace

NameProblem check_name(StringView name) {
    if (name.empty()) return NameProblem::Empty;
    if (name.size() > kNameMaxBytes) return NameProblem::TooLong;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return NameProblem::BadByte;
    }
    return NameProblem::None;
}

size_t scratch_words(const ManifestInfo& m) { return m.grants.size() + m.services.size(); }

bool validate_service_graph(const ManifestInfo& m, const GraphOptions& options, std::span<uint32_t> order,
                            std::span<uint32_t> scratch, GraphError* error) {
    *error = GraphError{};
    if (order.size() < m.services.size() || scratch.size() < scratch_words(m) ||
        m.init_first_grant > m.grants.size() || m.init_grant_count > m.grants.size() - m.init_first_grant) {
        error->reason = GraphErrorReason::ScratchTooSmall;
        return false;
    }
    Checker c{m, options, scratch.subspan(0, m.grants.size()), scratch.subspan(m.grants.size(), m.services.size()),
              error};
    for (auto& d : c.dep) d = kNoIndex;
    if (!c.check_binaries() || !c.check_services()) return false;
    if (!c.check_grants(kNoIndex, m.init_first_grant, m.init_grant_count)) return false;
    for (uint32_t i = 0; i < m.services.size(); ++i)
        if (!c.check_grants(i, m.services[i].first_grant, m.services[i].grant_count)) return false;
    return c.order_services(order);
}

ImportRef resolve_import(const ManifestInfo& m, uint32_t service, uint32_t grant) {
    ImportRef ref;
    if (service >= m.services.size() || grant >= m.services[service].grant_count) return ref;
    const GrantInfo& g = m.grants[m.services[service].first_grant + grant];
    if (g.source != static_cast<uint16_t>(GrantSource::Service)) return ref;
    for (uint32_t s = 0; s < m.services.size(); ++s) {
        if (m.services[s].name != g.service) continue;
        const ServiceInfo& ex = m.services[s];
        uint32_t index = 0;
        for (uint32_t e = 0; e < ex.grant_count; ++e) {
            const GrantInfo& eg = m.grants[ex.first_grant + e];
            if (eg.source != static_cast<uint16_t>(GrantSource::Endpoint)) continue;
            if (eg.name == g.export_name) return ImportRef{s, index};
            ++index;
        }
        return ref;
    }
    return ref;
}

uint32_t first_missing_dependency(const ManifestInfo& m, uint32_t service, std::span<const bool> running) {
    if (service >= m.services.size()) return kNoIndex;
    for (uint32_t g = 0; g < m.services[service].grant_count; ++g) {
        ImportRef ref = resolve_import(m, service, g);
        if (ref.exporter != kNoIndex && (ref.exporter >= running.size() || !running[ref.exporter]))
            return ref.exporter;
    }
    return kNoIndex;
}

void format_quoted(Sink& sink, StringView name) {
    static constexpr char kHex[] = "0123456789abcdef";
    sink.write("'", 1);
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '\'' || c == '\\') {
            char esc[4] = {'\\', 'x', kHex[u >> 4], kHex[u & 15]};
            sink.write(esc, 4);
        } else {
            sink.write(&c, 1);
        }
    }
    sink.write("'", 1);
}

void format_graph_error(Sink& sink, const ManifestInfo& m, const GraphError& e) {
    using R = GraphErrorReason;
    StringView binary = e.binary < m.binaries.size() ? m.binaries[e.binary].name : StringView("?");
    switch (e.reason) {
    case R::BinaryName:
        format(sink, "binary #{}: ", e.binary);
        format_name_problem(sink, e.name_problem, binary);
        return;
    case R::DuplicateBinary:
        format(sink, "duplicate binary ");
        format_quoted(sink, binary);
        return;
    case R::BinaryWithoutImage:
        format(sink, "binary ");
        format_quoted(sink, binary);
        format(sink, " has no image");
        return;
    case R::InitNoBinary: format(sink, "initConfig: no binary"); return;
    case R::InitUnknownBinary:
        format(sink, "initConfig: unknown binary ");
        format_quoted(sink, m.init_binary);
        return;
    case R::ServiceName:
        format(sink, "service #{}: ", e.service);
        format_name_problem(sink, e.name_problem, service_name(m, e.service));
        return;
    case R::ServiceNameReserved: format(sink, "service name 'init' is reserved for initConfig"); return;
    case R::DuplicateService:
        format(sink, "duplicate service name ");
        format_quoted(sink, service_name(m, e.service));
        return;
    case R::ServiceNoBinary:
        format_who(sink, m, e.service);
        format(sink, ": no binary");
        return;
    case R::ServiceUnknownBinary:
        format_who(sink, m, e.service);
        format(sink, ": unknown binary ");
        format_quoted(sink, e.service < m.services.size() ? m.services[e.service].binary : StringView("?"));
        return;
    case R::Cycle:
        format(sink, "dependency cycle: ");
        for (uint32_t i = 0; i < e.cycle_len; ++i) format(sink, "{} -> ", service_name(m, e.cycle[i]));
        if (e.cycle_truncated) format(sink, "... -> ");
        format(sink, "{}", e.cycle_len ? service_name(m, e.cycle[0]) : StringView("?"));
        return;
    case R::ScratchTooSmall: format(sink, "internal: service graph storage too small"); return;
    default: break;
    }

    // Grant problems: "<who>: ..." naming the grant.
    const GrantInfo* g = grant_of(m, e);
    StringView gname = g ? g->name : StringView("?");
    format_who(sink, m, e.service);
    switch (e.reason) {
    case R::GrantName:
        format(sink, ": grant #{}: ", e.grant);
        format_name_problem(sink, e.name_problem, gname);
        return;
    case R::DuplicateGrant:
        format(sink, ": duplicate grant name ");
        format_quoted(sink, gname);
        return;
    default: break;
    }
    format(sink, ": grant ");
    format_quoted(sink, gname);
    format(sink, ": ");
    switch (e.reason) {
    case R::NoSource: format(sink, "no source"); break;
    case R::UnknownKernelCap: format(sink, "unknown kernel capability {}", e.value); break;
    case R::KernelInterfaceMismatch:
        format(sink, "interface id {:#x} does not match kernel capability '{}' ({:#x})", e.value,
               g ? g->kernel_name : StringView("?"), e.expected);
        break;
    case R::InitNonKernelSource: format(sink, "only kernel sources are allowed in initConfig"); break;
    case R::UnknownService:
        format(sink, "unknown service ");
        format_quoted(sink, g ? g->service : StringView("?"));
        break;
    case R::UnknownExport:
        format(sink, "service ");
        format_quoted(sink, g ? g->service : StringView("?"));
        format(sink, " has no export ");
        format_quoted(sink, g ? g->export_name : StringView("?"));
        break;
    case R::ExportInterfaceMismatch: {
        format(sink, "interface id {:#x} does not match export ", e.value);
        char joined[2 * kNameMaxBytes + 2];  // both names passed check_name
        size_t n = format_to(joined, sizeof(joined), "{}.{}", g ? g->service : StringView("?"),
                             g ? g->export_name : StringView("?"));
        format_quoted(sink, StringView(joined, n));
        format(sink, " ({:#x})", e.expected);
        break;
    }
    case R::EndpointWithoutInterface: format(sink, "endpoint grant needs a non-zero interface id"); break;
    case R::CapabilitySource: format(sink, "capability sources are only valid in ProcessSpawner.spawn"); break;
    case R::UnknownSource: format(sink, "unknown source kind {}", e.value); break;
    default: format(sink, "unknown problem"); break;
    }
}

}  // namespace capos::boot
