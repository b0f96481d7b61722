// lib/boot/service_graph: the manifest's service graph checks and start
// order, over plain ManifestInfo descriptions and (service_graph_decode.hpp)
// over manifests built with the generated builders. The exact one-line
// messages of every refusal are also checked through mkmanifest
// (tests/host/codegen/mkmanifest_test.cpp), which uses this code.
#include "lib/boot/service_graph.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "lib/boot/service_graph_decode.hpp"

namespace {

using namespace capos::boot;
namespace schema = capos::schema;

constexpr uint64_t kProto = 0xcab05000aaaa0001;
constexpr uint64_t kConsole = schema::Console::kInterfaceId;

struct G {
    G(std::string n, uint64_t i, GrantSource s, schema::KernelCap k = schema::KernelCap::Console,
      std::string svc = "", std::string exp = "")
        : name(std::move(n)), iid(i), src(s), kernel(k), service(std::move(svc)), export_name(std::move(exp)) {}
    std::string name;
    uint64_t iid = 0;
    GrantSource src = GrantSource::None;
    schema::KernelCap kernel = schema::KernelCap::Console;
    std::string service, export_name;
};

G console_grant() { return {"console", kConsole, GrantSource::Kernel}; }
G export_grant(const std::string& name = "ep", uint64_t iid = kProto) { return {name, iid, GrantSource::Endpoint}; }
G import_grant(const std::string& name, const std::string& service, const std::string& exp = "ep",
               uint64_t iid = kProto) {
    return {name, iid, GrantSource::Service, schema::KernelCap::Console, service, exp};
}

struct S {
    std::string name, binary;
    std::vector<G> grants;
};

struct Desc {
    std::vector<std::pair<std::string, uint64_t>> binaries{{"init", 100}, {"prog", 100}};
    std::string init_binary = "init";
    std::vector<G> init{console_grant()};
    std::vector<S> services;
};

struct Outcome {
    bool ok = false;
    std::vector<uint32_t> order;
    GraphError error;
    std::string message;
};

class StringSink final : public capos::Sink {
public:
    void write(const char* data, size_t len) override { s.append(data, len); }
    std::string s;
};

// A Desc as a ManifestInfo: views into `d` and into the vectors here.
struct Built {
    std::vector<BinaryInfo> binaries;
    std::vector<ServiceInfo> services;
    std::vector<GrantInfo> grants;
    ManifestInfo info;
};

std::unique_ptr<Built> build(const Desc& d) {
    auto b = std::make_unique<Built>();
    auto add = [&](const G& g) {
        GrantInfo gi;
        gi.name = {g.name.data(), g.name.size()};
        gi.interface_id = g.iid;
        gi.source = static_cast<uint16_t>(g.src);
        if (g.src == GrantSource::Kernel) {
            KernelKind k = kernel_kind(g.kernel);
            gi.kernel = static_cast<uint16_t>(g.kernel);
            gi.kernel_name = k.name;
            gi.kernel_interface_id = k.interface_id;
        }
        gi.service = {g.service.data(), g.service.size()};
        gi.export_name = {g.export_name.data(), g.export_name.size()};
        b->grants.push_back(gi);
    };
    for (auto& [n, size] : d.binaries) b->binaries.push_back({{n.data(), n.size()}, size});
    ManifestInfo& m = b->info;
    m.init_binary = {d.init_binary.data(), d.init_binary.size()};
    for (auto& g : d.init) add(g);
    m.init_grant_count = static_cast<uint32_t>(b->grants.size());
    for (auto& s : d.services) {
        ServiceInfo si;
        si.name = {s.name.data(), s.name.size()};
        si.binary = {s.binary.data(), s.binary.size()};
        si.first_grant = static_cast<uint32_t>(b->grants.size());
        for (auto& g : s.grants) add(g);
        si.grant_count = static_cast<uint32_t>(s.grants.size());
        b->services.push_back(si);
    }
    m.binaries = b->binaries;
    m.services = b->services;
    m.grants = b->grants;
    return b;
}

// Validates a Desc; the message of a refusal is formatted.
Outcome run(const Desc& d, GraphOptions opt = {}) {
    auto b = build(d);
    const ManifestInfo& m = b->info;
    Outcome out;
    out.order.assign(m.services.size(), UINT32_MAX);
    std::vector<uint32_t> scratch(scratch_words(m));
    out.ok = validate_service_graph(m, opt, out.order, scratch, &out.error);
    if (!out.ok) {
        StringSink sink;
        format_graph_error(sink, m, out.error);
        out.message = sink.s;
    }
    return out;
}

std::vector<std::string> names(const Desc& d, const std::vector<uint32_t>& order) {
    std::vector<std::string> out;
    for (uint32_t i : order) out.push_back(d.services.at(i).name);
    return out;
}

TEST(ServiceGraph, StartOrderIsTopologicalAndStable) {
    Desc d;
    d.services = {
        {"web", "prog", {import_grant("app", "app"), import_grant("db", "db")}},
        {"app", "prog", {export_grant(), import_grant("log", "log")}},
        {"log", "prog", {console_grant(), export_grant()}},
        {"db", "prog", {export_grant(), import_grant("log", "log")}},
        {"idle", "prog", {}},
    };
    Outcome o = run(d);
    ASSERT_TRUE(o.ok) << o.message;
    // Each step starts the first ready service in manifest order: log (idle
    // is ready too but comes later in the manifest), then app, db, web
    // (once app and db run), and idle last.
    EXPECT_EQ(names(d, o.order), (std::vector<std::string>{"log", "app", "db", "web", "idle"}));
}

TEST(ServiceGraph, NoDependenciesKeepsManifestOrder) {
    Desc d;
    d.services = {{"c", "prog", {}}, {"a", "prog", {export_grant()}}, {"b", "prog", {console_grant()}}};
    Outcome o = run(d);
    ASSERT_TRUE(o.ok) << o.message;
    EXPECT_EQ(o.order, (std::vector<uint32_t>{0, 1, 2}));
    d.services.clear();
    EXPECT_TRUE(run(d).ok);
}

TEST(ServiceGraph, EachRefusalNamesTheCulprit) {
    struct Case {
        const char* what;
        Desc d;
        GraphErrorReason reason;
        std::string message;
    };
    auto with = [](std::vector<S> services) {
        Desc d;
        d.services = std::move(services);
        return d;
    };
    std::vector<Case> cases;
    {
        Desc d;
        d.binaries.push_back({"init", 5});
        cases.push_back({"duplicate binary", d, GraphErrorReason::DuplicateBinary, "duplicate binary 'init'"});
    }
    {
        Desc d;
        d.binaries[1].second = 0;
        cases.push_back({"no image", d, GraphErrorReason::BinaryWithoutImage, "binary 'prog' has no image"});
    }
    {
        Desc d;
        d.binaries.push_back({"bad name", 1});
        cases.push_back({"binary name", d, GraphErrorReason::BinaryName,
                         "binary #2: name 'bad name' contains a space or non-printable byte"});
    }
    {
        Desc d;
        d.init_binary = "ghost";
        cases.push_back(
            {"init binary", d, GraphErrorReason::InitUnknownBinary, "initConfig: unknown binary 'ghost'"});
    }
    cases.push_back({"unknown binary", with({{"x", "nope", {}}}), GraphErrorReason::ServiceUnknownBinary,
                     "service 'x': unknown binary 'nope'"});
    cases.push_back({"no binary", with({{"x", "", {}}}), GraphErrorReason::ServiceNoBinary, "service 'x': no binary"});
    cases.push_back({"duplicate service", with({{"x", "prog", {}}, {"x", "prog", {}}}),
                     GraphErrorReason::DuplicateService, "duplicate service name 'x'"});
    cases.push_back({"reserved", with({{"init", "prog", {}}}), GraphErrorReason::ServiceNameReserved,
                     "service name 'init' is reserved for initConfig"});
    cases.push_back({"long name", with({{std::string(33, 'n'), "prog", {}}}), GraphErrorReason::ServiceName,
                     "service #0: name '" + std::string(33, 'n') + "' is longer than 32 bytes"});
    cases.push_back({"empty grant name", with({{"x", "prog", {{"", kConsole, GrantSource::Kernel}}}}),
                     GraphErrorReason::GrantName, "service 'x': grant #0: name is empty"});
    cases.push_back({"quote escaped", with({{"x", "prog", {{"a\tb'", kConsole, GrantSource::Kernel}}}}),
                     GraphErrorReason::GrantName,
                     "service 'x': grant #0: name 'a\\x09b\\x27' contains a space or non-printable byte"});
    cases.push_back({"duplicate grant", with({{"x", "prog", {console_grant(), console_grant()}}}),
                     GraphErrorReason::DuplicateGrant, "service 'x': duplicate grant name 'console'"});
    cases.push_back({"no source", with({{"x", "prog", {{"g", 1, GrantSource::None}}}}), GraphErrorReason::NoSource,
                     "service 'x': grant 'g': no source"});
    cases.push_back({"kernel mismatch",
                     with({{"x", "prog", {{"console", schema::Timer::kInterfaceId, GrantSource::Kernel}}}}),
                     GraphErrorReason::KernelInterfaceMismatch,
                     "service 'x': grant 'console': interface id 0xcab0500000010002 does not match kernel "
                     "capability 'console' (0xcab0500000010001)"});
    cases.push_back({"unknown kernel kind",
                     with({{"x", "prog", {{"k", 1, GrantSource::Kernel, static_cast<schema::KernelCap>(99)}}}}),
                     GraphErrorReason::UnknownKernelCap, "service 'x': grant 'k': unknown kernel capability 99"});
    cases.push_back({"unknown service", with({{"x", "prog", {import_grant("out", "ghost")}}}),
                     GraphErrorReason::UnknownService, "service 'x': grant 'out': unknown service 'ghost'"});
    cases.push_back({"unknown export",
                     with({{"log", "prog", {export_grant()}}, {"x", "prog", {import_grant("out", "log", "nope")}}}),
                     GraphErrorReason::UnknownExport, "service 'x': grant 'out': service 'log' has no export 'nope'"});
    cases.push_back({"export mismatch",
                     with({{"log", "prog", {export_grant()}}, {"x", "prog", {import_grant("out", "log", "ep", kConsole)}}}),
                     GraphErrorReason::ExportInterfaceMismatch,
                     "service 'x': grant 'out': interface id 0xcab0500000010001 does not match export 'log.ep' "
                     "(0xcab05000aaaa0001)"});
    cases.push_back({"import of a non-export",
                     with({{"log", "prog", {console_grant()}}, {"x", "prog", {import_grant("out", "log", "console")}}}),
                     GraphErrorReason::UnknownExport,
                     "service 'x': grant 'out': service 'log' has no export 'console'"});
    cases.push_back({"endpoint without interface", with({{"x", "prog", {export_grant("ep", 0)}}}),
                     GraphErrorReason::EndpointWithoutInterface,
                     "service 'x': grant 'ep': endpoint grant needs a non-zero interface id"});
    cases.push_back({"capability source", with({{"x", "prog", {{"c", 1, GrantSource::Capability}}}}),
                     GraphErrorReason::CapabilitySource,
                     "service 'x': grant 'c': capability sources are only valid in ProcessSpawner.spawn"});
    cases.push_back({"unknown source", with({{"x", "prog", {{"c", 1, static_cast<GrantSource>(9)}}}}),
                     GraphErrorReason::UnknownSource, "service 'x': grant 'c': unknown source kind 9"});
    {
        Desc d = with({{"log", "prog", {export_grant()}}});
        d.init.push_back(import_grant("log", "log"));
        cases.push_back({"init import", d, GraphErrorReason::InitNonKernelSource,
                         "initConfig: grant 'log': only kernel sources are allowed in initConfig"});
    }
    cases.push_back({"cycle",
                     with({{"a", "prog", {export_grant(), import_grant("b", "b")}},
                           {"b", "prog", {export_grant(), import_grant("c", "c")}},
                           {"c", "prog", {export_grant(), import_grant("a", "a")}}}),
                     GraphErrorReason::Cycle, "dependency cycle: a -> b -> c -> a"});
    cases.push_back({"self cycle", with({{"a", "prog", {export_grant(), import_grant("me", "a")}}}),
                     GraphErrorReason::Cycle, "dependency cycle: a -> a"});
    cases.push_back({"cycle behind a dependent",
                     with({{"x", "prog", {import_grant("a", "a")}},
                           {"a", "prog", {export_grant(), import_grant("b", "b")}},
                           {"b", "prog", {export_grant(), import_grant("a", "a")}}}),
                     GraphErrorReason::Cycle, "dependency cycle: a -> b -> a"});
    for (const Case& c : cases) {
        Outcome o = run(c.d);
        EXPECT_FALSE(o.ok) << c.what;
        EXPECT_EQ(o.error.reason, c.reason) << c.what;
        EXPECT_EQ(o.message, c.message) << c.what;
    }
}

TEST(ServiceGraph, ImagesAreOptionalBeforePacking) {
    Desc d;
    d.binaries[1].second = 0;
    EXPECT_FALSE(run(d).ok);
    EXPECT_TRUE(run(d, {.require_images = false}).ok);
}

TEST(ServiceGraph, StorageTooSmallIsRefusedNotOverrun) {
    Desc d;
    d.services = {{"a", "prog", {}}, {"b", "prog", {}}};
    std::vector<BinaryInfo> bins{{"init", 1}, {"prog", 1}};
    std::vector<ServiceInfo> svcs{{"a", "prog", 0, 0}, {"b", "prog", 0, 0}};
    ManifestInfo m;
    m.init_binary = "init";
    m.binaries = bins;
    m.services = svcs;
    uint32_t order[1];
    uint32_t scratch[2];
    GraphError e;
    EXPECT_FALSE(validate_service_graph(m, {}, order, scratch, &e));
    EXPECT_EQ(e.reason, GraphErrorReason::ScratchTooSmall);
    svcs[1].first_grant = 5;  // grants out of range
    uint32_t order2[2];
    EXPECT_FALSE(validate_service_graph(m, {}, order2, scratch, &e));
    EXPECT_EQ(e.reason, GraphErrorReason::ScratchTooSmall);
}

// Reference: Kahn's algorithm taking the lowest-index ready service.
std::vector<uint32_t> reference_order(const std::vector<std::set<uint32_t>>& deps) {
    std::vector<uint32_t> out;
    std::vector<bool> placed(deps.size());
    while (out.size() < deps.size()) {
        for (uint32_t i = 0; i < deps.size(); ++i) {
            if (placed[i]) continue;
            if (std::all_of(deps[i].begin(), deps[i].end(), [&](uint32_t d) { return placed[d]; })) {
                placed[i] = true;
                out.push_back(i);
                break;
            }
        }
    }
    return out;
}

Desc graph_desc(const std::vector<std::set<uint32_t>>& deps) {
    Desc d;
    for (uint32_t i = 0; i < deps.size(); ++i) {
        S s{"s" + std::to_string(i), "prog", {export_grant()}};
        for (uint32_t j : deps[i]) s.grants.push_back(import_grant("d" + std::to_string(j), "s" + std::to_string(j)));
        d.services.push_back(s);
    }
    return d;
}

// A random DAG: a random topological rank per service; each service
// imports from a random subset of services of lower rank.
std::vector<std::set<uint32_t>> random_dag(uint32_t n) {
    std::vector<uint32_t> rank(n);
    for (uint32_t i = 0; i < n; ++i) rank[i] = i;
    std::vector<uint32_t> perm = *rc::gen::container<std::vector<uint32_t>>(n, rc::gen::arbitrary<uint32_t>());
    std::vector<uint32_t> idx(n);
    for (uint32_t i = 0; i < n; ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return perm[a] < perm[b] || (perm[a] == perm[b] && a < b); });
    for (uint32_t i = 0; i < n; ++i) rank[idx[i]] = i;
    std::vector<std::set<uint32_t>> deps(n);
    for (uint32_t i = 0; i < n; ++i)
        for (uint32_t j = 0; j < n; ++j)
            if (rank[j] < rank[i] && *rc::gen::inRange(0, 4) == 0) deps[i].insert(j);
    return deps;
}

RC_GTEST_PROP(ServiceGraph, RandomDagsStartEveryServiceAfterItsDependencies, ()) {
    const uint32_t n = *rc::gen::inRange<uint32_t>(1, 24);
    auto deps = random_dag(n);
    Desc d = graph_desc(deps);
    Outcome o = run(d);
    RC_ASSERT(o.ok);
    std::vector<uint32_t> pos(n, UINT32_MAX);
    for (uint32_t k = 0; k < n; ++k) {
        RC_ASSERT(o.order[k] < n);
        RC_ASSERT(pos[o.order[k]] == UINT32_MAX);  // a permutation
        pos[o.order[k]] = k;
    }
    for (uint32_t i = 0; i < n; ++i)
        for (uint32_t j : deps[i]) RC_ASSERT(pos[j] < pos[i]);
    RC_ASSERT(o.order == reference_order(deps));
}

RC_GTEST_PROP(ServiceGraph, RandomGraphsWithAPlantedCycleAreRefused, ()) {
    const uint32_t n = *rc::gen::inRange<uint32_t>(1, 24);
    auto deps = random_dag(n);
    // Plant a cycle through k distinct services: c0 imports c1, ..., c(k-1) imports c0.
    const uint32_t k = *rc::gen::inRange<uint32_t>(1, n + 1);
    std::vector<uint32_t> all(n);
    for (uint32_t i = 0; i < n; ++i) all[i] = i;
    std::vector<uint32_t> keys = *rc::gen::container<std::vector<uint32_t>>(n, rc::gen::arbitrary<uint32_t>());
    std::sort(all.begin(), all.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b] || (keys[a] == keys[b] && a < b); });
    for (uint32_t i = 0; i < k; ++i) deps[all[i]].insert(all[(i + 1) % k]);
    Desc d = graph_desc(deps);
    Outcome o = run(d);
    RC_ASSERT(!o.ok);
    RC_ASSERT(o.error.reason == GraphErrorReason::Cycle);
    // The reported cycle is a real one: distinct services, each importing
    // from the next, the last from the first.
    const GraphError& e = o.error;
    RC_ASSERT(e.cycle_len >= 1u);
    RC_ASSERT(!e.cycle_truncated || e.cycle_len == kMaxCyclePath);
    std::set<uint32_t> seen(e.cycle, e.cycle + e.cycle_len);
    RC_ASSERT(seen.size() == e.cycle_len);
    for (uint32_t i = 0; i + 1 < e.cycle_len; ++i) RC_ASSERT(deps[e.cycle[i]].count(e.cycle[i + 1]) == 1u);
    if (!e.cycle_truncated) RC_ASSERT(deps[e.cycle[e.cycle_len - 1]].count(e.cycle[0]) == 1u);
    RC_ASSERT(o.message.rfind("dependency cycle: ", 0) == 0u);
}

// Spawning helpers: imports resolve to the exporter's position in spawn's
// `exports` (its endpoint grants in order), and services whose
// dependencies did not start are held back, transitively.
TEST(ServiceGraph, ImportsResolveToTheExportersSpawnExports) {
    Desc d;
    d.services = {
        {"app", "prog", {export_grant("http"), import_grant("log", "log", "log"), import_grant("audit", "log", "audit")}},
        {"log", "prog", {console_grant(), export_grant("log"), export_grant("audit")}},
    };
    ASSERT_TRUE(run(d).ok) << run(d).message;
    auto b = build(d);
    const ManifestInfo& m = b->info;
    ImportRef log = resolve_import(m, 0, 1);
    EXPECT_EQ(log.exporter, 1u);
    EXPECT_EQ(log.export_index, 0u);  // the console grant is not an export
    ImportRef audit = resolve_import(m, 0, 2);
    EXPECT_EQ(audit.exporter, 1u);
    EXPECT_EQ(audit.export_index, 1u);
    EXPECT_EQ(resolve_import(m, 0, 0).exporter, kNoIndex);  // an export, not an import
    EXPECT_EQ(resolve_import(m, 1, 9).exporter, kNoIndex);
    EXPECT_EQ(resolve_import(m, 7, 0).exporter, kNoIndex);

    bool running[2] = {false, false};
    EXPECT_EQ(first_missing_dependency(m, 0, running), 1u);
    EXPECT_EQ(first_missing_dependency(m, 1, running), kNoIndex);
    running[1] = true;
    EXPECT_EQ(first_missing_dependency(m, 0, running), kNoIndex);
}

RC_GTEST_PROP(ServiceGraph, ServicesDependingOnAFailedOneAreHeldBackTransitively, ()) {
    const uint32_t n = *rc::gen::inRange<uint32_t>(1, 20);
    auto deps = random_dag(n);
    std::vector<bool> fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
    Desc d = graph_desc(deps);
    auto b = build(d);
    const ManifestInfo& m = b->info;
    std::vector<uint32_t> order(n), scratch(scratch_words(m));
    GraphError e;
    RC_ASSERT(validate_service_graph(m, {}, order, scratch, &e));
    // init's loop: a service starts when its dependencies run and its own
    // spawn does not fail.
    std::unique_ptr<bool[]> running(new bool[n]());
    for (uint32_t s : order) {
        if (first_missing_dependency(m, s, std::span<const bool>(running.get(), n)) != kNoIndex) continue;
        running[s] = !fails[s];
    }
    // Reference: s runs iff neither s nor anything it reaches failed.
    for (uint32_t s = 0; s < n; ++s) {
        std::vector<uint32_t> stack{s};
        std::set<uint32_t> seen{s};
        bool blocked = false;
        while (!stack.empty()) {
            uint32_t x = stack.back();
            stack.pop_back();
            if (fails[x]) blocked = true;
            for (uint32_t y : deps[x])
                if (seen.insert(y).second) stack.push_back(y);
        }
        RC_ASSERT(running[s] == !blocked);
    }
}

// Through the generated readers: a manifest built with the generated
// builders decodes into the same graph.
TEST(ServiceGraphDecode, ManifestFromTheGeneratedBuilders) {
    capos::capnp::Word buf[2048];
    capos::capnp::MessageBuilder mb(buf);
    auto must = [](auto r) {
        EXPECT_TRUE(r.ok());
        return r.release_value();
    };
    auto m = must(schema::SystemManifest::init_root(mb));
    m.set_schema_version(schema::kManifestSchemaVersion);
    auto bins = must(m.init_binaries(2));
    const uint8_t elf[] = {0x7f, 'E', 'L', 'F'};
    must(bins[0].set_name("init"));
    must(bins[0].set_elf(elf));
    must(bins[1].set_name("prog"));
    must(bins[1].set_elf(elf));
    auto init = must(m.init_init_config());
    must(init.set_binary("init"));
    auto ig = must(init.init_grants(1));
    must(ig[0].set_name("boot"));
    ig[0].set_interface_id(schema::BootPackage::kInterfaceId);
    ig[0].source().set_kernel(schema::KernelCap::BootPackage);
    auto services = must(m.init_services(2));
    must(services[0].set_name("app"));
    must(services[0].set_binary("prog"));
    auto ag = must(services[0].init_grants(1));
    must(ag[0].set_name("out"));
    ag[0].set_interface_id(kProto);
    auto ref = must(ag[0].source().init_service());
    must(ref.set_service("log"));
    must(ref.set_export_name("log"));
    must(services[1].set_name("log"));
    must(services[1].set_binary("prog"));
    auto lg = must(services[1].init_grants(2));
    must(lg[0].set_name("log"));
    lg[0].set_interface_id(kProto);
    lg[0].source().set_endpoint();
    must(lg[1].set_name("console"));
    lg[1].set_interface_id(kConsole);
    lg[1].source().set_kernel(schema::KernelCap::Console);

    auto bytes = mb.bytes();
    capos::capnp::MessageReader reader(bytes);
    auto root = must(schema::SystemManifest::read_root(reader));
    ManifestCounts n = must(count_manifest(root));
    EXPECT_EQ(n.binaries, 2u);
    EXPECT_EQ(n.services, 2u);
    EXPECT_EQ(n.grants, 4u);
    std::vector<BinaryInfo> b(n.binaries);
    std::vector<ServiceInfo> s(n.services);
    std::vector<GrantInfo> g(n.grants);
    ManifestInfo info = must(decode_manifest(root, {b, s, g}));
    EXPECT_EQ(info.binaries[1].image_bytes, 4u);
    EXPECT_EQ(info.init_grant_count, 1u);
    EXPECT_EQ(info.grants[0].kernel_name, capos::StringView("bootPackage"));
    EXPECT_EQ(info.services[1].grant_count, 2u);
    std::vector<uint32_t> order(2), scratch(scratch_words(info));
    GraphError e;
    ASSERT_TRUE(validate_service_graph(info, {}, order, scratch, &e));
    EXPECT_EQ(order, (std::vector<uint32_t>{1, 0}));

    // Too little storage, and a version this code does not speak.
    std::vector<GrantInfo> small(3);
    EXPECT_EQ(decode_manifest(root, {b, s, small}).error(), capos::Error::LimitExceeded);
    m.set_schema_version(2);
    auto bytes2 = mb.bytes();
    capos::capnp::MessageReader reader2(bytes2);
    auto root2 = must(schema::SystemManifest::read_root(reader2));
    EXPECT_EQ(decode_manifest(root2, {b, s, g}).error(), capos::Error::Unsupported);
}

}  // namespace
