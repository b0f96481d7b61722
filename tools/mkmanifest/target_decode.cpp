#include "tools/mkmanifest/target_decode.hpp"

#include "schema/capos.capnp.hpp"

namespace capos::mkmanifest {

namespace {

namespace gs = capos::schema;

struct Failure {
    std::string where;
    Error error;
};

// Yields the value of a Result, or returns a Failure naming `where`.
#define DECODE(where, expr)                                                \
    ({                                                                     \
        auto _decode_r = (expr);                                           \
        if (!_decode_r.ok()) return Failure{(where), _decode_r.error()};  \
        _decode_r.release_value();                                         \
    })

std::optional<Failure> decode_grants(const std::string& who,
                                     capos::gen::StructList<gs::CapGrant>::Reader grants) {
    for (uint32_t i = 0; i < grants.size(); ++i) {
        auto g = grants[i];
        std::string at = who + ".grants[" + std::to_string(i) + "]";
        DECODE(at + ".name", g.name());
        auto src = g.source();
        if (src.is_service()) {
            auto ref = DECODE(at + ".source.service", src.service());
            DECODE(at + ".source.service.service", ref.service());
            DECODE(at + ".source.service.exportName", ref.export_name());
        }
    }
    return std::nullopt;
}

std::optional<Failure> decode(std::span<const uint8_t> message) {
    capos::capnp::MessageReader msg(message);
    auto m = DECODE("message", gs::SystemManifest::read_root(msg));
    auto bins = DECODE("binaries", m.binaries());
    for (uint32_t i = 0; i < bins.size(); ++i) {
        std::string at = "binaries[" + std::to_string(i) + "]";
        DECODE(at + ".name", bins[i].name());
        DECODE(at + ".elf", bins[i].elf());
    }
    auto init = DECODE("initConfig", m.init_config());
    DECODE("initConfig.binary", init.binary());
    if (auto f = decode_grants("initConfig", DECODE("initConfig.grants", init.grants()))) return f;
    DECODE("initConfig.profile", init.profile());
    auto services = DECODE("services", m.services());
    for (uint32_t i = 0; i < services.size(); ++i) {
        std::string at = "services[" + std::to_string(i) + "]";
        DECODE(at + ".name", services[i].name());
        DECODE(at + ".binary", services[i].binary());
        if (auto f = decode_grants(at, DECODE(at + ".grants", services[i].grants()))) return f;
        DECODE(at + ".profile", services[i].profile());
    }
    auto kp = DECODE("kernelParams", m.kernel_params());
    DECODE("kernelParams.motd", kp.motd());
    return std::nullopt;
}

#undef DECODE

}  // namespace

std::optional<std::string> target_decode_problem(std::span<const uint8_t> message) {
    if (auto f = decode(message)) return f->where + ": " + error_name(f->error);
    return std::nullopt;
}

}  // namespace capos::mkmanifest
