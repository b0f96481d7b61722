// The generated header for the real schema (schema/capos.capnp.hpp):
// ids agree with libcapnp's, and manifests, spawn params and exceptions
// round-trip between our generated code and libcapnp's.

#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include "schema/capos.capnp.h"
#include "schema/capos.capnp.hpp"
#include "schema/rpc.hpp"
#include "tests/host/codegen/test_util.hpp"
#include "tools/mkmanifest/manifest_check.hpp"

namespace ours = capos::schema;
namespace theirs = capos::host;
using codegen_test::sv;
using codegen_test::words_of;

namespace {

std::string str(::capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

template <typename Ours, typename Theirs>
void expect_same_interface(uint64_t constant) {
    EXPECT_EQ(Ours::kInterfaceId, ::capnp::typeId<Theirs>());
    EXPECT_EQ(Ours::kInterfaceId, constant);
    EXPECT_EQ(Ours::Server::kInterfaceId, Ours::kInterfaceId);
}

}  // namespace

TEST(Schema, InterfaceIdsAgreeWithLibcapnpAndConstants) {
    expect_same_interface<ours::Console, theirs::Console>(ours::kConsoleInterfaceId);
    expect_same_interface<ours::Timer, theirs::Timer>(ours::kTimerInterfaceId);
    expect_same_interface<ours::VirtualMemory, theirs::VirtualMemory>(ours::kVirtualMemoryInterfaceId);
    expect_same_interface<ours::FrameAllocator, theirs::FrameAllocator>(ours::kFrameAllocatorInterfaceId);
    expect_same_interface<ours::MemoryObject, theirs::MemoryObject>(ours::kMemoryObjectInterfaceId);
    expect_same_interface<ours::Endpoint, theirs::Endpoint>(ours::kEndpointInterfaceId);
    expect_same_interface<ours::ProcessSpawner, theirs::ProcessSpawner>(ours::kProcessSpawnerInterfaceId);
    expect_same_interface<ours::ProcessHandle, theirs::ProcessHandle>(ours::kProcessHandleInterfaceId);
    expect_same_interface<ours::BootPackage, theirs::BootPackage>(ours::kBootPackageInterfaceId);
    EXPECT_EQ(ours::SystemManifest::kTypeId, ::capnp::typeId<theirs::SystemManifest>());
    EXPECT_EQ(ours::CapGrant::kTypeId, ::capnp::typeId<theirs::CapGrant>());
    EXPECT_EQ(ours::kManifestSchemaVersion, theirs::MANIFEST_SCHEMA_VERSION);
}

TEST(Schema, MethodOrdinalsAreTheSchemaOrdinals) {
    static_assert(ours::Console::kMethodWrite == 0);
    static_assert(ours::Console::kMethodWriteLine == 1);
    static_assert(ours::Timer::kMethodNow == 0 && ours::Timer::kMethodSleep == 1);
    static_assert(ours::VirtualMemory::kMethodMap == 0 && ours::VirtualMemory::kMethodDecommit == 5 &&
                  ours::VirtualMemory::kMethodUsage == 6);
    static_assert(ours::Endpoint::kMethodMintClient == 0 && ours::Endpoint::kMethodRevoke == 1);
    static_assert(ours::FrameAllocator::kMethodAllocate == 0);
    static_assert(ours::MemoryObject::kMethodInfo == 0 && ours::MemoryObject::kMethodUnmap == 2);
    static_assert(ours::ProcessSpawner::kMethodSpawn == 0);
    static_assert(ours::ProcessHandle::kMethodWait == 0);
    static_assert(ours::BootPackage::kMethodManifestSize == 0 && ours::BootPackage::kMethodReadManifest == 1);
    auto methods = ::capnp::Schema::from<theirs::VirtualMemory>().getMethods();
    ASSERT_EQ(methods.size(), 7u);
    EXPECT_EQ(str(methods[ours::VirtualMemory::kMethodCommit].getProto().getName()), "commit");
    EXPECT_EQ(str(methods[ours::VirtualMemory::kMethodUsage].getProto().getName()), "usage");
    auto endpoint = ::capnp::Schema::from<theirs::Endpoint>().getMethods();
    ASSERT_EQ(endpoint.size(), 2u);
    EXPECT_EQ(str(endpoint[ours::Endpoint::kMethodRevoke].getProto().getName()), "revoke");
}

TEST(Schema, ExceptionKindsMatchTheSchemaEnum) {
    using K = capos::rpc::ExceptionKind;
    EXPECT_EQ(uint16_t(K::Failed), uint16_t(ours::ExceptionType::Failed));
    EXPECT_EQ(uint16_t(K::Overloaded), uint16_t(ours::ExceptionType::Overloaded));
    EXPECT_EQ(uint16_t(K::Disconnected), uint16_t(ours::ExceptionType::Disconnected));
    EXPECT_EQ(uint16_t(K::Unimplemented), uint16_t(ours::ExceptionType::Unimplemented));
    EXPECT_EQ(uint16_t(K::InvalidArgument), uint16_t(ours::ExceptionType::InvalidArgument));
    EXPECT_EQ(uint16_t(K::InvalidArgument), uint16_t(theirs::ExceptionType::INVALID_ARGUMENT));
    EXPECT_EQ(ours::CapException::kDataWords, 1);
    EXPECT_EQ(ours::CapException::kPointerCount, 1);
}

TEST(Schema, RpcExceptionEncodingIsACapException) {
    capos::capnp::Word buf[16];
    auto reply = MUST(capos::rpc::write_exception(buf, capos::rpc::ExceptionKind::Overloaded, "no frames"));
    EXPECT_TRUE(reply.exception);
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(buf), reply.bytes);
    auto words = words_of(bytes);
    ::capnp::FlatArrayMessageReader reader(words);
    auto e = reader.getRoot<theirs::CapException>();
    EXPECT_EQ(e.getType(), theirs::ExceptionType::OVERLOADED);
    EXPECT_EQ(str(e.getMessage()), "no frames");
    // And through our generated reader.
    capos::capnp::MessageReader ours_reader(bytes);
    auto o = MUST(ours::CapException::read_root(ours_reader));
    EXPECT_EQ(o.type(), ours::ExceptionType::Overloaded);
    EXPECT_EQ(sv(MUST(o.message())), "no frames");
}

TEST(Schema, ManifestBuiltByOursReadsInLibcapnpAndValidates) {
    capos::capnp::Word buf[1024];
    capos::capnp::MessageBuilder mb(buf);
    auto m = MUST(ours::SystemManifest::init_root(mb));
    m.set_schema_version(ours::kManifestSchemaVersion);
    auto bins = MUST(m.init_binaries(2));
    MUST(bins[0].set_name("init"));
    const uint8_t elf[] = {0x7f, 'E', 'L', 'F'};
    MUST(bins[0].set_elf(elf));
    MUST(bins[1].set_name("logger"));
    MUST(bins[1].set_elf(elf));
    auto init = MUST(m.init_init_config());
    MUST(init.set_binary("init"));
    auto ig = MUST(init.init_grants(1));
    MUST(ig[0].set_name("console"));
    ig[0].set_interface_id(ours::Console::kInterfaceId);
    ig[0].source().set_kernel(ours::KernelCap::Console);
    auto profile = MUST(init.init_profile());
    profile.set_cap_slots(64);
    profile.set_frames(1024);
    auto services = MUST(m.init_services(2));
    MUST(services[0].set_name("log"));
    MUST(services[0].set_binary("logger"));
    auto lg = MUST(services[0].init_grants(1));
    MUST(lg[0].set_name("log"));
    lg[0].set_interface_id(ours::Console::kInterfaceId);
    lg[0].source().set_endpoint();
    MUST(services[1].set_name("app"));
    MUST(services[1].set_binary("logger"));
    auto ag = MUST(services[1].init_grants(1));
    MUST(ag[0].set_name("out"));
    ag[0].set_interface_id(ours::Console::kInterfaceId);
    auto ref = MUST(ag[0].source().init_service());
    MUST(ref.set_service("log"));
    MUST(ref.set_export_name("log"));
    auto kp = MUST(m.init_kernel_params());
    MUST(kp.set_motd("hello"));
    kp.set_log_level(ours::LogLevel::Debug);

    auto words = words_of(mb.bytes());
    ::capnp::FlatArrayMessageReader reader(words);
    auto h = reader.getRoot<theirs::SystemManifest>();
    EXPECT_EQ(capos::mkmanifest::validate(h, {.require_images = true}), std::nullopt);
    EXPECT_EQ(h.getBinaries()[0].getElf().size(), 4u);
    EXPECT_EQ(h.getInitConfig().getGrants()[0].getSource().which(), theirs::CapGrant::Source::KERNEL);
    EXPECT_EQ(h.getInitConfig().getGrants()[0].getSource().getKernel(), theirs::KernelCap::CONSOLE);
    EXPECT_EQ(h.getInitConfig().getProfile().getFrames(), 1024u);
    EXPECT_EQ(h.getServices()[0].getGrants()[0].getSource().which(), theirs::CapGrant::Source::ENDPOINT);
    EXPECT_EQ(str(h.getServices()[1].getGrants()[0].getSource().getService().getExportName()), "log");
    EXPECT_EQ(str(h.getKernelParams().getMotd()), "hello");
    EXPECT_EQ(h.getKernelParams().getLogLevel(), theirs::LogLevel::DEBUG);
}

TEST(Schema, ManifestBuiltByLibcapnpReadsInOurs) {
    ::capnp::MallocMessageBuilder mb;
    auto h = mb.initRoot<theirs::SystemManifest>();
    h.setSchemaVersion(1);
    h.initBinaries(1)[0].setName("init");
    auto g = h.initInitConfig().initGrants(2);
    g[0].setName("spawner");
    g[0].setInterfaceId(theirs::PROCESS_SPAWNER_INTERFACE_ID);
    g[0].getSource().setKernel(theirs::KernelCap::PROCESS_SPAWNER);
    g[1].setName("nothing");
    auto flat = codegen_test::flatten(mb);

    capos::capnp::MessageReader reader(flat);
    auto m = MUST(ours::SystemManifest::read_root(reader));
    EXPECT_EQ(m.schema_version(), 1u);
    auto init = MUST(m.init_config());
    auto grants = MUST(init.grants());
    ASSERT_EQ(grants.size(), 2u);
    EXPECT_EQ(sv(MUST(grants[0].name())), "spawner");
    EXPECT_EQ(grants[0].interface_id(), ours::ProcessSpawner::kInterfaceId);
    EXPECT_TRUE(grants[0].source().is_kernel());
    EXPECT_EQ(grants[0].source().kernel(), ours::KernelCap::ProcessSpawner);
    // An unset union reads as its first member, `none`.
    EXPECT_EQ(grants[1].source().which(), ours::CapGrant::Source::Which::None);
    // Absent struct: all defaults.
    auto kp = MUST(m.kernel_params());
    EXPECT_EQ(kp.log_level(), ours::LogLevel::Info);
    EXPECT_EQ(MUST(m.services()).size(), 0u);
}

TEST(Schema, SpawnParamsCarryCapabilitiesAndResultsCarryFacets) {
    capos::capnp::Word buf[256];
    capos::capnp::MessageBuilder mb(buf);
    auto p = MUST(ours::ProcessSpawner::SpawnParams::init_root(mb));
    MUST(p.set_name("chat"));
    MUST(p.set_binary_name("chat-server"));
    auto g = MUST(p.init_grants(2));
    MUST(g[0].set_name("console"));
    g[0].set_interface_id(ours::kConsoleInterfaceId);
    MUST(g[0].source().set_capability(0));
    MUST(g[1].set_name("chat"));
    g[1].set_interface_id(0x1234);
    g[1].source().set_endpoint();
    MUST(p.init_profile()).set_mapped_pages(256);

    auto words = words_of(mb.bytes());
    ::capnp::FlatArrayMessageReader reader(words);
    auto h = reader.getRoot<theirs::ProcessSpawner::SpawnParams>();
    EXPECT_EQ(str(h.getBinaryName()), "chat-server");
    EXPECT_EQ(h.getGrants()[0].getSource().which(), theirs::CapGrant::Source::CAPABILITY);
    EXPECT_EQ(h.getGrants()[1].getSource().which(), theirs::CapGrant::Source::ENDPOINT);
    EXPECT_EQ(h.getProfile().getMappedPages(), 256u);

    capos::capnp::Word rbuf[128];
    capos::capnp::MessageBuilder rb(rbuf);
    auto r = MUST(ours::ProcessSpawner::SpawnResults::init_root(rb));
    MUST(r.set_handle(0));
    auto ex = MUST(r.init_exports(1));
    MUST(ex[0].set_name("chat"));
    ex[0].set_interface_id(0x1234);
    MUST(ex[0].set_cap(1));
    capos::capnp::MessageReader rr(rb.bytes());
    auto rd = MUST(ours::ProcessSpawner::SpawnResults::read_root(rr));
    EXPECT_EQ(MUST(rd.handle()), 0u);
    auto exports = MUST(rd.exports());
    ASSERT_EQ(exports.size(), 1u);
    EXPECT_EQ(MUST(exports[0].cap()), 1u);
    EXPECT_EQ(exports[0].interface_id(), 0x1234u);
}
