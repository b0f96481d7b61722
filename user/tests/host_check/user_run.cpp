// user_run: runs one capOS user program on the Linux host under a ptrace
// emulation of the capOS process ABI, and checks how it ended. Used by the
// CTest tests host.user_run.* (user/tests/host_check/CMakeLists.txt).
//
// This is not the kernel: it tests the runtime and the programs against
// the ABI as documented (abi/layout.hpp, abi/syscall.hpp), so they are known
// good before the kernel runs them in QEMU.
//
// Usage: user_run [--pid N] [--capset] FILE EXPECT
//   EXPECT is  exit=N              the program called exit(N)
//         or   signal=NAME[@ADDR]  it faulted with SIGNAME (SEGV, FPE, ILL,
//                                  BUS); with @ADDR the fault address must
//                                  lie in the same 4 KiB page as ADDR
// Exit status 0 when the program ended as expected, 1 when it did not, 2 on
// a usage or setup error.
//
// The emulation, in a forked child:
//   - the image is validated by lib/elf (as the kernel will) and each
//     PT_LOAD segment mapped at its address with its own permissions;
//   - the stack [kStackBottom, kStackTop) is RW, everything below it down to
//     kStackRegionBase is PROT_NONE (the guard page and the reserve);
//   - the ring window holds a valid RingHeader (default 32/64 geometry);
//   - with --capset, a read-only CapSet page with an empty CapSet;
//   - with PT_TLS, the TLS block below kTlsThreadPointer and the TCB's self
//     pointer, FS.base = kTlsThreadPointer;
//   - the registers, FCW and MXCSR as the entry ABI says.
// The parent then steps it from syscall to syscall: exit(code) ends the run,
// cap_enter returns 0 (no ring processing), any other number returns
// kSysErrUnknown without reaching Linux. A signal ends the run as a fault.
#include <elf.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "abi/capset.hpp"
#include "abi/layout.hpp"
#include "abi/ring.hpp"
#include "abi/syscall.hpp"
#include "lib/base/checked.hpp"
#include "lib/elf/elf.hpp"

namespace {

using namespace capos;

struct Options {
    uint64_t pid = 1;
    bool capset = false;
    std::string file;
    // Expectation.
    bool expect_exit = false;
    int exit_code = 0;
    int signal = 0;
    std::optional<uint64_t> fault_page;
};

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "user_run: %s: %s\n", what, std::strerror(errno));
    std::exit(2);
}

int signal_by_name(const std::string& name) {
    if (name == "SEGV") return SIGSEGV;
    if (name == "FPE") return SIGFPE;
    if (name == "ILL") return SIGILL;
    if (name == "BUS") return SIGBUS;
    if (name == "TRAP") return SIGTRAP;
    return 0;
}

bool parse_expect(const std::string& e, Options& o) {
    if (e.rfind("exit=", 0) == 0) {
        o.expect_exit = true;
        o.exit_code = static_cast<int>(std::strtol(e.c_str() + 5, nullptr, 0));
        return true;
    }
    if (e.rfind("signal=", 0) == 0) {
        std::string rest = e.substr(7);
        size_t at = rest.find('@');
        o.signal = signal_by_name(rest.substr(0, at));
        if (at != std::string::npos)
            o.fault_page = std::strtoull(rest.c_str() + at + 1, nullptr, 0) & ~uint64_t{0xfff};
        return o.signal != 0;
    }
    return false;
}

// ---- the child: build the capOS address space, then stop ----

struct ChildPlan {
    const std::vector<uint8_t>* bytes;
    const elf::ElfImage* image;
    bool capset;
};
const ChildPlan* g_plan;

void* map_fixed(uint64_t addr, uint64_t len, int prot) {
    void* p = mmap(reinterpret_cast<void*>(addr), len, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) die("mmap");
    return p;
}

int prot_of(const elf::Permissions& p) {
    return (p.read ? PROT_READ : 0) | (p.write ? PROT_WRITE : 0) | (p.execute ? PROT_EXEC : 0);
}

// Runs on a private stack far from the capOS regions, so MAP_FIXED may
// replace whatever Linux put there (its own stack, the vDSO).
void build_address_space() {
    const ChildPlan& plan = *g_plan;
    const elf::ElfImage& image = *plan.image;

    for (elf::LoadSegment s : image.load_segments()) {
        uint64_t start = align_down(s.vaddr, elf::kPageSize);
        uint64_t end = align_up(s.vaddr + s.memsz, elf::kPageSize);
        map_fixed(start, end - start, PROT_READ | PROT_WRITE);
        auto file = image.file_bytes(s);
        std::memcpy(reinterpret_cast<void*>(s.vaddr), file.data(), file.size());
        if (mprotect(reinterpret_cast<void*>(start), end - start, prot_of(s.perms)) != 0)
            die("mprotect");
    }

    map_fixed(abi::kStackRegionBase, abi::kStackBottom - abi::kStackRegionBase, PROT_NONE);
    map_fixed(abi::kStackBottom, abi::kStackBytes, PROT_READ | PROT_WRITE);

    auto* ring = static_cast<abi::RingHeader*>(
        map_fixed(abi::kRingAddress, abi::kRingWindowBytes, PROT_READ | PROT_WRITE));
    ring->magic = abi::kRingMagic;
    ring->version = abi::kRingVersion;
    ring->sq_entries = abi::kDefaultSqEntries;
    ring->cq_entries = abi::kDefaultCqEntries;
    ring->sq_mask = abi::kDefaultSqEntries - 1;
    ring->cq_mask = abi::kDefaultCqEntries - 1;
    ring->sq_offset = abi::ring_sq_offset();
    ring->cq_offset = abi::ring_cq_offset(abi::kDefaultSqEntries);
    ring->ring_bytes = abi::ring_bytes(abi::kDefaultSqEntries, abi::kDefaultCqEntries);

    if (plan.capset) {
        auto* cs = static_cast<abi::CapSetHeader*>(
            map_fixed(abi::kCapSetAddress, abi::kCapSetBytes, PROT_READ | PROT_WRITE));
        cs->magic = abi::kCapSetMagic;
        cs->version = abi::kCapSetVersion;
        cs->entry_bytes = sizeof(abi::CapSetEntry);
        cs->count = 0;
        if (mprotect(cs, abi::kCapSetBytes, PROT_READ) != 0) die("mprotect");
    }

    if (image.has_tls()) {
        const elf::TlsTemplate& t = image.tls();
        map_fixed(abi::kTlsRegionBase, abi::kTlsRegionBytes, PROT_READ | PROT_WRITE);
        uint64_t block = abi::kTlsThreadPointer - align_up(t.memsz, t.align);
        auto tmpl = image.file_bytes(t);
        std::memcpy(reinterpret_cast<void*>(block), tmpl.data(), tmpl.size());
        *reinterpret_cast<uint64_t*>(abi::kTlsThreadPointer) = abi::kTlsThreadPointer;
    }

    // The parent takes over from here: it sets the entry registers.
    raise(SIGSTOP);
    _exit(3);  // only if the parent resumed us without redirecting
}

[[noreturn]] void child(const ChildPlan& plan) {
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) die("PTRACE_TRACEME");
    g_plan = &plan;
    constexpr uint64_t kSetupStack = 0x3000'0000'0000;
    constexpr size_t kSetupStackBytes = 256 * 1024;
    void* stack = mmap(reinterpret_cast<void*>(kSetupStack), kSetupStackBytes,
                       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                       -1, 0);
    if (stack == MAP_FAILED) die("mmap setup stack");
    static ucontext_t here, there;
    getcontext(&there);
    there.uc_stack.ss_sp = stack;
    there.uc_stack.ss_size = kSetupStackBytes;
    there.uc_link = nullptr;
    makecontext(&there, build_address_space, 0);
    swapcontext(&here, &there);
    _exit(3);
}

// ---- the parent: set the entry state, emulate the syscalls ----

struct Outcome {
    bool exited = false;  // called capOS exit
    int code = 0;
    int signal = 0;  // faulted
    uint64_t fault_addr = 0;
    std::string error;  // the emulation broke
};

Outcome supervise(pid_t pid, const elf::ElfImage& image, const Options& o) {
    Outcome out;
    int status;
    if (waitpid(pid, &status, 0) != pid) die("waitpid");
    if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
        out.error = "child did not reach its start point";
        return out;
    }
    ptrace(PTRACE_SETOPTIONS, pid, nullptr,
           reinterpret_cast<void*>(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));

    user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) die("PTRACE_GETREGS");
    user_regs_struct entry{};
    entry.rip = image.entry();
    entry.rsp = abi::kInitialStackPointer;
    entry.rdi = abi::kRingAddress;
    entry.rsi = o.pid;
    entry.rdx = o.capset ? abi::kCapSetAddress : 0;
    entry.eflags = 0x202;  // IF, and the always-one bit
    entry.orig_rax = ~0ull;
    entry.cs = regs.cs;
    entry.ss = regs.ss;
    entry.ds = regs.ds;
    entry.es = regs.es;
    entry.fs_base = image.has_tls() ? abi::kTlsThreadPointer : 0;
    if (ptrace(PTRACE_SETREGS, pid, nullptr, &entry) != 0) die("PTRACE_SETREGS");
    user_fpregs_struct fp{};
    fp.cwd = 0x037f;
    fp.mxcsr = 0x1f80;
    fp.mxcr_mask = 0xffff;
    if (ptrace(PTRACE_SETFPREGS, pid, nullptr, &fp) != 0) die("PTRACE_SETFPREGS");

    bool in_syscall = false;
    uint64_t pending_result = 0;
    int inject = 0;
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, nullptr, reinterpret_cast<void*>(intptr_t{inject})) != 0)
            die("PTRACE_SYSCALL");
        inject = 0;
        if (waitpid(pid, &status, 0) != pid) die("waitpid");
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            out.error = "the process ended without a capOS exit";
            return out;
        }
        int sig = WSTOPSIG(status);
        if (sig == (SIGTRAP | 0x80)) {
            if (ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) die("PTRACE_GETREGS");
            if (!in_syscall) {
                uint64_t nr = regs.orig_rax;
                if (nr == abi::kSysExit) {
                    out.exited = true;
                    out.code = static_cast<int32_t>(regs.rdi);
                    kill(pid, SIGKILL);
                    waitpid(pid, &status, 0);
                    return out;
                }
                pending_result = nr == abi::kSysCapEnter
                                     ? 0
                                     : static_cast<uint64_t>(abi::kSysErrUnknown);
                regs.orig_rax = ~0ull;  // Linux skips the call
                if (ptrace(PTRACE_SETREGS, pid, nullptr, &regs) != 0) die("PTRACE_SETREGS");
                in_syscall = true;
            } else {
                regs.rax = pending_result;
                if (ptrace(PTRACE_SETREGS, pid, nullptr, &regs) != 0) die("PTRACE_SETREGS");
                in_syscall = false;
            }
            continue;
        }
        // A signal: the program faulted.
        siginfo_t si{};
        ptrace(PTRACE_GETSIGINFO, pid, nullptr, &si);
        out.signal = sig;
        out.fault_addr = reinterpret_cast<uint64_t>(si.si_addr);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return out;
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    std::vector<std::string> pos;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--pid" && i + 1 < argc) {
            o.pid = std::strtoull(argv[++i], nullptr, 0);
        } else if (a == "--capset") {
            o.capset = true;
        } else {
            pos.push_back(a);
        }
    }
    if (pos.size() != 2 || !parse_expect(pos[1], o)) {
        std::fprintf(stderr, "usage: %s [--pid N] [--capset] FILE exit=N|signal=NAME[@ADDR]\n",
                     argv[0]);
        return 2;
    }
    o.file = pos[0];

    std::ifstream in(o.file, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "user_run: cannot open %s\n", o.file.c_str());
        return 2;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    elf::Rejection why;
    auto parsed = elf::ElfImage::parse(bytes, {abi::kUserImageMin, abi::kUserImageLimit}, &why);
    if (!parsed) {
        std::fprintf(stderr, "user_run: %s refused: %s\n", o.file.c_str(), why.c_str());
        return 2;
    }
    const elf::ElfImage& image = parsed.value();

    std::fflush(nullptr);
    ChildPlan plan{&bytes, &image, o.capset};
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) child(plan);
    Outcome out = supervise(pid, image, o);

    if (!out.error.empty()) {
        std::fprintf(stderr, "FAIL %s: %s\n", o.file.c_str(), out.error.c_str());
        return 1;
    }
    std::string got = out.exited ? "exit=" + std::to_string(out.code)
                                 : std::string("signal ") + strsignal(out.signal) + " at " +
                                       std::to_string(out.fault_addr);
    bool ok;
    if (o.expect_exit) {
        ok = out.exited && out.code == o.exit_code;
    } else {
        ok = !out.exited && out.signal == o.signal &&
             (!o.fault_page || (out.fault_addr & ~uint64_t{0xfff}) == *o.fault_page);
    }
    char addr[32];
    std::snprintf(addr, sizeof(addr), "%#llx", static_cast<unsigned long long>(out.fault_addr));
    if (!out.exited) got = std::string("signal=") + sigabbrev_np(out.signal) + "@" + addr;
    std::printf("%s %s: %s (pid %llu%s)\n", ok ? "ok" : "FAIL", o.file.c_str(), got.c_str(),
                static_cast<unsigned long long>(o.pid), o.capset ? ", capset" : "");
    return ok ? 0 : 1;
}
