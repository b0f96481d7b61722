#include "kernel/boot_options.hpp"

#include "kernel/log.hpp"
#include "lib/boot/cmdline.hpp"

namespace capos {

namespace {

bool parse_test(StringView name, KernelTest* out) {
    if (name == "frames") *out = KernelTest::Frames;
    else if (name == "heap") *out = KernelTest::Heap;
    else if (name == "pagefault") *out = KernelTest::PageFault;
    else if (name == "gpf") *out = KernelTest::GeneralProtection;
    else if (name == "usercopy") *out = KernelTest::UserCopy;
    else if (name == "smap") *out = KernelTest::Smap;
    else if (name == "ubsan") *out = KernelTest::Ubsan;
    else return false;
    return true;
}

}  // namespace

void parse_boot_options(StringView cmdline, BootOptions& out) {
    boot::CmdlineParser parser(cmdline);
    boot::CmdlineOption opt;
    while (parser.next(opt)) {
        if (opt.key == "log" && opt.has_value) {
            log::Level lv;
            if (log::parse_level(opt.value, &lv)) log::set_level(lv);
            else log::warn("cmdline: unknown log level '{}' ignored", opt.value);
        } else if (opt.key == "shutdown" && !opt.has_value) {
            out.shutdown = true;
        } else if (opt.key == "test" && opt.has_value) {
            KernelTest t;
            if (!parse_test(opt.value, &t)) {
                log::warn("cmdline: unknown test '{}' ignored", opt.value);
            } else if (out.test_count == sizeof(out.tests) / sizeof(out.tests[0])) {
                log::warn("cmdline: too many tests; '{}' ignored", opt.value);
            } else {
                out.tests[out.test_count++] = t;
            }
        } else if (opt.key == "services" && opt.has_value) {
            if (opt.value == "concurrent") out.concurrent_services = true;
            else if (opt.value == "sequential") out.concurrent_services = false;
            else log::warn("cmdline: unknown services mode '{}' ignored", opt.value);
        } else if (opt.key == "boot" && opt.has_value) {
            if (opt.value == "init") out.init_boot = true;
            else if (opt.value == "services") out.init_boot = false;
            else log::warn("cmdline: unknown boot mode '{}' ignored", opt.value);
        } else if (opt.key == "cycles" && opt.has_value) {
            uint64_t n = 0;
            bool ok = !opt.value.empty() && opt.value.size() <= 9;
            for (char c : opt.value) {
                if (c < '0' || c > '9') ok = false;
                else n = n * 10 + static_cast<uint64_t>(c - '0');
            }
            if (ok) out.cycles = n;
            else log::warn("cmdline: bad cycles value '{}' ignored", opt.value);
        } else {
            log::warn("cmdline: unknown option '{}' ignored", opt.key);
        }
    }
}

}  // namespace capos
