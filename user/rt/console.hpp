// The Console capability from the process's CapSet, and printing through it.
//
//   schema::Console::Client con = TRY(rt::console());   // CapSet "console"
//   TRY(rt::print_line("hello"));                          // writeLine
//
// print_line() and print() use buffers of their own (static, sized for
// kConsoleLineMax bytes); a program that wants the reply or the exception
// calls the generated client with its own rpc::CallBuffers.
//
// Panics: a program that links any of this (that is, uses rt::console,
// rt::print or rt::print_line) gets, at start, a panic hook that writes
// "panic (pid N): <message>" through the Console when its CapSet holds a
// "console" of the Console interface. The hook is installed before global
// constructors run, so a program can still replace it (rt::set_panic_hook).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/base/error.hpp"
#include "lib/base/string_view.hpp"
#include "schema/capos.capnp.hpp"

namespace capos::rt {

// The CapSet name the runtime looks up.
inline constexpr char kConsoleName[] = "console";
// The most the kernel's Console accepts in one write or writeLine.
inline constexpr size_t kConsoleLineMax = 4096;

// A client for CapSet "console" over rt::transport(). Errors: NotFound (no
// such entry or no CapSet), CapWrongInterface, Malformed, and the ring's
// attach errors.
Result<schema::Console::Client> console();

// writeLine(text) / write(data) on console(). Errors: console()'s, the
// transport's, CapException when the Console raised one, and
// CapnpBufferTooSmall when the text is longer than kConsoleLineMax.
Result<void> print_line(StringView text);
Result<void> print(std::span<const uint8_t> data);

// The hook the runtime installs (exposed for tests).
void console_panic_hook(const char* msg, int code);

}  // namespace capos::rt
