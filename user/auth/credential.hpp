// The operator credential of the auth service (docs/auth.md): a salted
// Argon2id verifier, computed with the reference Argon2 code
// (lib/argon2). Pure logic over caller memory, no capabilities, so
// tests/host/argon2 runs the same file the service links.
//
// verifier tag = Argon2id(password, salt, ad = user name, cost), 32 bytes.
// The user name is Argon2's associated data, so a wrong name and a wrong
// password fail the same way, after the same work (constant shape).
#pragma once

#include <cstddef>
#include <cstdint>

#include "lib/base/string_view.hpp"

namespace capos::auth {

using capos::StringView;

inline constexpr size_t kSaltBytes = 16;
inline constexpr size_t kTagBytes = 32;
inline constexpr size_t kMaxUserBytes = 64;
inline constexpr size_t kMaxPasswordBytes = 128;

// Argon2id cost. memory in KiB (at least 8 * lanes), passes >= 1,
// lanes >= 1 (computed one after another: ARGON2_NO_THREADS).
struct Cost {
    uint32_t passes;
    uint32_t memory_kib;
    uint32_t lanes;
};

// Compiled defaults (docs/auth.md says how a manifest overrides them).
inline constexpr Cost kDefaultCost{3, 4096, 1};
// The bounds the service accepts from its configuration: the memory comes
// out of the service's own heap.
inline constexpr uint32_t kMaxMemoryKib = 64 * 1024;
inline constexpr uint32_t kMaxPasses = 64;
inline constexpr uint32_t kMaxLanes = 8;

bool cost_valid(const Cost& c);

// The CapSet name that carries a manifest's cost (docs/auth.md, "Cost
// parameters"): "argon2id:t<passes>:m<KiB>:p<lanes>", decimal, each value
// at most 2^32 - 1. parse_cost fills *out only for a name of exactly that
// form; it does not judge the values (cost_valid does).
inline constexpr char kCostPrefix[] = "argon2id:";
bool parse_cost(StringView name, Cost* out);

struct Verifier {
    uint8_t salt[kSaltBytes];
    uint8_t tag[kTagBytes];
    Cost cost;
};

// Argon2id(password, salt, ad = user) -> out[kTagBytes]. Returns false when
// Argon2 refuses (bad cost, memory exhausted); out is then zeroed.
bool derive(const uint8_t* user, size_t user_len, const uint8_t* password, size_t password_len,
            const uint8_t (&salt)[kSaltBytes], const Cost& cost, uint8_t (&out)[kTagBytes]);

// Fills v from the password; false on an Argon2 failure or an empty or too
// long name or password.
bool make_verifier(const uint8_t* user, size_t user_len, const uint8_t* password,
                   size_t password_len, const uint8_t (&salt)[kSaltBytes], const Cost& cost,
                   Verifier& v);

// True only for the name and password v was made from. Always runs one
// full Argon2id derivation and compares every byte, whatever the input.
bool check(const Verifier& v, const uint8_t* user, size_t user_len, const uint8_t* password,
           size_t password_len);

// Compares all n bytes whatever differs first.
bool equal_constant_time(const uint8_t* a, const uint8_t* b, size_t n);

// Zeroes memory in a way the compiler does not remove.
void wipe(void* p, size_t n);

}  // namespace capos::auth
