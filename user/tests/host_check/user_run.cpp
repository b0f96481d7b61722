// user_run: runs one capOS user program on the Linux host under a ptrace
// emulation of the capOS process ABI, and checks how it ended. Used by the
// CTest tests host.user_run.* (user/tests/host_check/CMakeLists.txt).
//
// This is not the kernel: it tests the runtime and the programs against
// the ABI as documented (abi/layout.hpp, abi/syscall.hpp), so they are known
// good before the kernel runs them in QEMU.
//
// Usage: user_run [--pid N] [--capset] [--console NAME]... [--output REGEX]...
//                 [--no-output REGEX]... FILE EXPECT
//   EXPECT is  exit=N              the program called exit(N)
//         or   signal=NAME[@ADDR]  it faulted with SIGNAME (SEGV, FPE, ILL,
//                                  BUS); with @ADDR the fault address must
//                                  lie in the same 4 KiB page as ADDR
//   --console NAME   grants a Console capability under NAME (implies
//                    --capset); its output goes to stdout and is kept
//   --output REGEX   the Console output must contain a match (ECMAScript)
//   --no-output REGEX  ... and must contain none
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
// cap_enter runs the ring model below, any other number returns
// kSysErrUnknown without reaching Linux. A signal ends the run as a fault.
//
// The ring model (a stand-in for the kernel's ring dispatch, written from
// docs/abi.md 1 and 5-9, so the runtime and the ring test programs can be
// run before and besides QEMU): the ring is a shared memory object mapped
// in both processes; the parent drives lib/ring's KernelRing over it, decodes
// each SQE with lib/ring's decode_sqe, resolves capability ids in a lib/cap
// CapTable, and performs:
//   NOP                 0
//   RELEASE             0, the slot's generation bumped
//   RECV, RETURN        WrongInterface (only Console capabilities exist)
//   CALL on a Console   transfers -> TransferFailed (a kernel capability
//                       takes none); params copied in (process_vm_readv:
//                       unmapped -> BadBuffer); the result buffer must be
//                       writable (BadBuffer, before anything is performed);
//                       framing and root struct checked
//                       (MalformedParams); the generated
//                       Console::Server dispatch; results that do not fit
//                       -> BufferTooSmall with aux = bytes needed;
//                       exceptions -> ApplicationException(Truncated).
// Console.write/writeLine accept at most 4096 bytes (invalidArgument
// beyond, nothing written), like the kernel's.
#include <elf.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
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
#include <regex>
#include <string>
#include <vector>

#include "abi/capset.hpp"
#include "abi/layout.hpp"
#include "abi/ring.hpp"
#include "abi/syscall.hpp"
#include "lib/base/checked.hpp"
#include "lib/cap/cap_table.hpp"
#include "lib/capnp/capnp.hpp"
#include "lib/elf/elf.hpp"
#include "lib/ring/kernel_ring.hpp"
#include "lib/ring/sqe_decoder.hpp"
#include "lib/ring/transport_error.hpp"
#include "schema/capos.capnp.hpp"

namespace {

using namespace capos;

struct Options {
    uint64_t pid = 1;
    bool capset = false;
    std::vector<std::string> consoles;  // CapSet names of Console grants
    std::vector<std::string> output;    // regexes the Console output must contain
    std::vector<std::string> no_output; // ... must not contain
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

// ---- the ring model (the parent's stand-in for the kernel) ----

// Copies between the parent and the traced child. False unless every byte
// moved (an unmapped or, for writes, read-only page fails).
bool read_child(pid_t pid, uint64_t addr, void* out, size_t len) {
    size_t done = 0;
    while (done < len) {
        iovec local{static_cast<uint8_t*>(out) + done, len - done};
        iovec remote{reinterpret_cast<void*>(addr + done), len - done};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

bool write_child(pid_t pid, uint64_t addr, const void* in, size_t len) {
    size_t done = 0;
    while (done < len) {
        iovec local{const_cast<uint8_t*>(static_cast<const uint8_t*>(in)) + done, len - done};
        iovec remote{reinterpret_cast<void*>(addr + done), len - done};
        ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

// The kernel's Console, writing to stdout and keeping a copy.
class ConsoleModel final : public schema::Console::Server {
public:
    static constexpr size_t kMaxBytes = 4096;
    using Server::dispatch;
    std::string output;

private:
    Result<void> write(schema::Console::WriteParams::Reader params,
                       schema::Console::WriteResults::Builder) override {
        auto data = TRY(params.data());
        if (data.size() > kMaxBytes) return Error::InvalidArgument;
        emit(reinterpret_cast<const char*>(data.data()), data.size());
        return {};
    }
    Result<void> write_line(schema::Console::WriteLineParams::Reader params,
                            schema::Console::WriteLineResults::Builder) override {
        StringView text = TRY(params.text());
        if (text.size() > kMaxBytes) return Error::InvalidArgument;
        emit(text.data(), text.size());
        emit("\n", 1);
        return {};
    }
    void emit(const char* p, size_t n) {
        output.append(p, n);
        std::fwrite(p, 1, n, stdout);
        std::fflush(stdout);
    }
};

class RingModel {
public:
    static constexpr uint32_t kSlots = 64;
    // The kernel-side scratch for a reply (results or CapException).
    static constexpr size_t kScratchWords = 8192;

    // Creates the shared ring object and resets it, and installs one
    // Console capability per name. False on a setup error.
    bool init(const std::vector<std::string>& consoles) {
        fd_ = memfd_create("capos-ring", 0);
        if (fd_ < 0) return false;
        geometry_bytes_ = align_up(uint64_t{abi::ring_bytes(abi::kDefaultSqEntries,
                                                            abi::kDefaultCqEntries)},
                                   uint64_t{abi::kPageSize});
        if (ftruncate(fd_, static_cast<off_t>(geometry_bytes_)) != 0) return false;
        void* m = mmap(nullptr, geometry_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
        if (m == MAP_FAILED) return false;
        auto made = ring::KernelRing<>::create(m, geometry_bytes_,
                                               ring::RingGeometry::default_geometry());
        if (!made) return false;
        ring_.emplace(made.value());
        ring_->reset();
        if (!table_.init(slots_)) return false;
        for (const std::string& name : consoles) {
            auto id = table_.insert(&console_, schema::Console::kInterfaceId);
            if (!id) return false;
            abi::CapSetEntry e{};
            e.interface_id = schema::Console::kInterfaceId;
            e.cap_id = id.value();
            e.name_len = static_cast<uint8_t>(name.size());
            std::memcpy(e.name, name.data(), name.size());
            capset_.push_back(e);
        }
        return true;
    }

    int fd() const { return fd_; }
    uint64_t ring_bytes() const { return geometry_bytes_; }
    const std::vector<abi::CapSetEntry>& capset() const { return capset_; }
    const std::string& console_output() const { return console_.output; }

    // One cap_enter: a pass over the SQ, then the CQEs available. Every
    // operation completes at once, so there is never anything to wait for.
    uint64_t cap_enter(pid_t pid) {
        ring_->begin_pass();
        abi::Sqe sqe;
        while (ring_->next(&sqe) == ring::NextResult::Sqe) {
            abi::Cqe cqe = perform(pid, sqe);
            cqe.user_data = sqe.user_data;
            (void)ring_->post(cqe);  // a reservation is held: fails only on a
                                     // corrupted cq_head, then it is counted
        }
        ring_->end_pass();
        return ring_->cq_ready();
    }

private:
    static abi::Cqe error_cqe(Error e, uint32_t aux = 0) {
        abi::Cqe c{};
        c.result = ring::transport_result(e);
        c.aux = aux;
        return c;
    }

    abi::Cqe perform(pid_t pid, const abi::Sqe& raw) {
        auto decoded = ring::decode_sqe(raw);
        if (!decoded) return error_cqe(decoded.error());
        const ring::DecodedSqe& d = decoded.value();
        switch (d.opcode) {
        case abi::Opcode::Nop: return abi::Cqe{};
        case abi::Opcode::Release: {
            auto r = table_.release(d.cap_id);
            if (!r) return error_cqe(r.error());
            return abi::Cqe{};
        }
        case abi::Opcode::Recv:
        case abi::Opcode::Return: {
            auto r = table_.resolve(d.cap_id);
            if (!r) return error_cqe(r.error());
            return error_cqe(Error::CapWrongInterface);
        }
        case abi::Opcode::Call: return call(pid, d);
        default: return error_cqe(Error::RingBadOpcode);
        }
    }

    abi::Cqe call(pid_t pid, const ring::DecodedSqe& d) {
        auto r = table_.resolve(d.cap_id);
        if (!r) return error_cqe(r.error());
        ConsoleModel* target = *r.value().object;
        if (d.xfer_count > 0) return error_cqe(Error::RingBadTransfer);

        std::vector<uint8_t> params(d.params.len);
        if (!read_child(pid, d.params.addr, params.data(), params.size()))
            return error_cqe(Error::RingBadBuffer);
        std::vector<uint8_t> probe(d.result.len);
        if (!read_child(pid, d.result.addr, probe.data(), probe.size()) ||
            !write_child(pid, d.result.addr, probe.data(), probe.size()))
            return error_cqe(Error::RingBadBuffer);
        {
            capnp::MessageReader framing(params);
            if (!framing.root()) return error_cqe(Error::Malformed);
        }

        std::vector<capnp::Word> scratch(kScratchWords);
        auto reply = target->dispatch(d.method, params, scratch);
        if (!reply) return error_cqe(reply.error());
        const rpc::Reply& rep = reply.value();
        const auto* bytes = reinterpret_cast<const uint8_t*>(scratch.data());
        if (!rep.exception) {
            if (rep.bytes > d.result.len) return error_cqe(Error::RingBufferTooSmall, rep.bytes);
            if (!write_child(pid, d.result.addr, bytes, rep.bytes))
                return error_cqe(Error::RingBadBuffer);
            abi::Cqe c{};
            c.result = static_cast<int32_t>(rep.bytes);
            return c;
        }
        if (rep.bytes <= d.result.len) {
            if (!write_child(pid, d.result.addr, bytes, rep.bytes))
                return error_cqe(Error::RingBadBuffer);
            return error_cqe(Error::CapException, rep.bytes);
        }
        // Shorten the message to fit, keeping the type.
        capnp::MessageReader full(std::span<const uint8_t>(bytes, rep.bytes));
        auto ex = rpc::read_exception(full);
        abi::Cqe c{};
        c.result = abi::to_result(abi::TransportError::ApplicationExceptionTruncated);
        if (!ex) return c;
        std::vector<capnp::Word> small(d.result.len / capnp::kBytesPerWord);
        auto shortened = rpc::write_exception(small, ex.value().kind, ex.value().message);
        if (!shortened) return c;
        if (!write_child(pid, d.result.addr, small.data(), shortened.value().bytes))
            return error_cqe(Error::RingBadBuffer);
        c.aux = shortened.value().bytes;
        return c;
    }

    int fd_ = -1;
    uint64_t geometry_bytes_ = 0;
    std::optional<ring::KernelRing<>> ring_;
    cap::Slot<ConsoleModel*> slots_[kSlots];
    cap::CapTable<ConsoleModel*> table_;
    ConsoleModel console_;
    std::vector<abi::CapSetEntry> capset_;
};

// ---- the child: build the capOS address space, then stop ----

struct ChildPlan {
    const std::vector<uint8_t>* bytes;
    const elf::ElfImage* image;
    bool capset;
    const RingModel* model;
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

    // The ring object, already reset by the parent (as the kernel does at
    // spawn); the rest of the 64 KiB window stays unmapped.
    if (mmap(reinterpret_cast<void*>(abi::kRingAddress), plan.model->ring_bytes(),
             PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, plan.model->fd(),
             0) == MAP_FAILED)
        die("mmap ring");

    if (plan.capset) {
        auto* cs = static_cast<abi::CapSetHeader*>(
            map_fixed(abi::kCapSetAddress, abi::kCapSetBytes, PROT_READ | PROT_WRITE));
        cs->magic = abi::kCapSetMagic;
        cs->version = abi::kCapSetVersion;
        cs->entry_bytes = sizeof(abi::CapSetEntry);
        const auto& entries = plan.model->capset();
        cs->count = static_cast<uint32_t>(entries.size());
        std::memcpy(cs + 1, entries.data(), entries.size() * sizeof(abi::CapSetEntry));
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

Outcome supervise(pid_t pid, const elf::ElfImage& image, const Options& o, RingModel& model) {
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
                                     ? model.cap_enter(pid)
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
        } else if (a == "--console" && i + 1 < argc) {
            o.consoles.push_back(argv[++i]);
            o.capset = true;
        } else if (a == "--output" && i + 1 < argc) {
            o.output.push_back(argv[++i]);
        } else if (a == "--no-output" && i + 1 < argc) {
            o.no_output.push_back(argv[++i]);
        } else {
            pos.push_back(a);
        }
    }
    if (pos.size() != 2 || !parse_expect(pos[1], o)) {
        std::fprintf(stderr,
                     "usage: %s [--pid N] [--capset] [--console NAME]... [--output REGEX]... "
                     "[--no-output REGEX]... FILE exit=N|signal=NAME[@ADDR]\n",
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

    for (const std::string& name : o.consoles) {
        if (name.empty() || name.size() > abi::kCapSetNameMax) {
            std::fprintf(stderr, "user_run: bad CapSet name '%s'\n", name.c_str());
            return 2;
        }
    }
    static RingModel model;
    if (!model.init(o.consoles)) die("ring model setup");

    std::fflush(nullptr);
    ChildPlan plan{&bytes, &image, o.capset, &model};
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) child(plan);
    Outcome out = supervise(pid, image, o, model);

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
    const std::string& console = model.console_output();
    for (const std::string& rx : o.output) {
        if (!std::regex_search(console, std::regex(rx))) {
            std::printf("FAIL %s: the Console output has no match for /%s/\n", o.file.c_str(),
                        rx.c_str());
            ok = false;
        }
    }
    for (const std::string& rx : o.no_output) {
        if (std::regex_search(console, std::regex(rx))) {
            std::printf("FAIL %s: the Console output matches /%s/\n", o.file.c_str(), rx.c_str());
            ok = false;
        }
    }
    std::printf("%s %s: %s (pid %llu%s)\n", ok ? "ok" : "FAIL", o.file.c_str(), got.c_str(),
                static_cast<unsigned long long>(o.pid), o.capset ? ", capset" : "");
    return ok ? 0 : 1;
}
