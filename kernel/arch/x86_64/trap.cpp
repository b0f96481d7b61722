#include "kernel/arch/x86_64/trap.hpp"

#include <cstddef>

#include "kernel/arch/x86_64/cpu.hpp"
#include "kernel/arch/x86_64/gdt.hpp"
#include "kernel/log.hpp"
#include "kernel/mm/user_memory.hpp"
#include "kernel/panic.hpp"

extern "C" const uint64_t trap_stub_table[48];

namespace capos::arch {

namespace {

struct [[gnu::packed]] IdtEntry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(IdtEntry) == 16);

struct [[gnu::packed]] IdtPointer {
    uint16_t limit;
    uint64_t base;
};

alignas(16) constinit IdtEntry g_idt[256]{};

void set_gate(uint8_t vec, uint64_t handler, uint8_t ist, uint8_t dpl) {
    g_idt[vec] = IdtEntry{static_cast<uint16_t>(handler & 0xffff),
                          kKernelCs,
                          ist,
                          static_cast<uint8_t>(0x8E | (dpl << 5)),  // present, interrupt gate
                          static_cast<uint16_t>((handler >> 16) & 0xffff),
                          static_cast<uint32_t>(handler >> 32),
                          0};
}

constexpr const char* kNames[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
    "invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
    "invalid TSS", "segment not present", "stack-segment fault", "general protection fault",
    "page fault", "reserved", "x87 floating-point error", "alignment check", "machine check",
    "SIMD floating-point error", "virtualization exception", "control protection exception",
    "reserved", "reserved", "reserved", "reserved", "reserved", "reserved",
    "hypervisor injection exception", "VMM communication exception", "security exception",
    "reserved"};

void dump_frame(const TrapFrame& f) {
    log::error("exception: vector {} ({}), error code {:#x}", f.vector, exception_name(f.vector),
               f.error);
    log::error("  rip {:#018x}  cs {:#x}  rflags {:#x}", f.rip, f.cs, f.rflags);
    log::error("  rsp {:#018x}  ss {:#x}  cr2 {:#018x}", f.rsp, f.ss, read_cr2());
    log::error("  rax {:#018x}  rbx {:#018x}  rcx {:#018x}", f.rax, f.rbx, f.rcx);
    log::error("  rdx {:#018x}  rsi {:#018x}  rdi {:#018x}", f.rdx, f.rsi, f.rdi);
    log::error("  rbp {:#018x}  r8  {:#018x}  r9  {:#018x}", f.rbp, f.r8, f.r9);
    log::error("  r10 {:#018x}  r11 {:#018x}  r12 {:#018x}", f.r10, f.r11, f.r12);
    log::error("  r13 {:#018x}  r14 {:#018x}  r15 {:#018x}", f.r13, f.r14, f.r15);
}

}  // namespace

const char* exception_name(uint64_t vector) {
    return vector < 32 ? kNames[vector] : "interrupt";
}

void idt_init() {
    for (uint8_t v = 0; v < 48; ++v) {
        uint8_t ist = 0;
        if (v == 8) ist = kIstDoubleFault;
        if (v == 2) ist = kIstNmi;
        if (v == 18) ist = kIstMachineCheck;
        set_gate(v, trap_stub_table[v], ist, 0);
    }
    IdtPointer ptr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
    asm volatile("lidt %0" ::"m"(ptr));
}

}  // namespace capos::arch

namespace capos {
void user_fault(const arch::TrapFrame& f);
void irq_dispatch(arch::TrapFrame& f);
}

extern "C" void trap_dispatch(capos::arch::TrapFrame* frame) {
    using namespace capos;
    if (frame->vector >= 32) {
        irq_dispatch(*frame);
        return;
    }
    if ((frame->cs & 3) == 3) {
        if (frame->vector == 2 || frame->vector == 18) {
            arch::dump_frame(*frame);
            panic("{} while in ring 3", arch::exception_name(frame->vector));
        }
        user_fault(*frame);  // ends the process; does not return
    }
    uint64_t resume;
    if ((frame->vector == 14 || frame->vector == 13) && user_copy_fixup(frame->rip, &resume)) {
        frame->rip = resume;
        return;
    }
    arch::dump_frame(*frame);
    panic("unhandled {} in kernel mode at rip {:#x}", arch::exception_name(frame->vector),
          frame->rip);
}
