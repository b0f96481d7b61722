#include "user/auth/credential.hpp"

#include <argon2.h>

namespace capos::auth {

bool cost_valid(const Cost& c) {
    return c.passes >= 1 && c.passes <= kMaxPasses && c.lanes >= 1 && c.lanes <= kMaxLanes &&
           c.memory_kib >= 8 * c.lanes && c.memory_kib <= kMaxMemoryKib;
}

bool parse_cost(StringView name, Cost* out) {
    StringView prefix(kCostPrefix);
    if (!name.starts_with(prefix)) return false;
    uint32_t vals[3] = {};
    const char keys[3] = {'t', 'm', 'p'};
    size_t pos = prefix.size();
    for (int k = 0; k < 3; ++k) {
        if (pos >= name.size() || name[pos] != keys[k]) return false;
        ++pos;
        size_t digits = 0;
        uint64_t v = 0;
        while (pos < name.size() && name[pos] >= '0' && name[pos] <= '9') {
            v = v * 10 + static_cast<uint64_t>(name[pos] - '0');
            if (v > 0xffffffffu) return false;
            ++pos;
            ++digits;
        }
        if (digits == 0) return false;
        vals[k] = static_cast<uint32_t>(v);
        if (k < 2) {
            if (pos >= name.size() || name[pos] != ':') return false;
            ++pos;
        }
    }
    if (pos != name.size()) return false;
    *out = Cost{vals[0], vals[1], vals[2]};
    return true;
}

void wipe(void* p, size_t n) {
    volatile uint8_t* b = static_cast<volatile uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) b[i] = 0;
}

bool equal_constant_time(const uint8_t* a, const uint8_t* b, size_t n) {
    uint8_t diff = 0;
    for (size_t i = 0; i < n; ++i) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
    return diff == 0;
}

bool derive(const uint8_t* user, size_t user_len, const uint8_t* password, size_t password_len,
            const uint8_t (&salt)[kSaltBytes], const Cost& cost, uint8_t (&out)[kTagBytes]) {
    wipe(out, kTagBytes);
    if (!cost_valid(cost) || user_len > kMaxUserBytes || password_len > kMaxPasswordBytes) {
        return false;
    }
    // Argon2's context takes non-const pointers; it reads them only (no
    // ARGON2_FLAG_CLEAR_* flags), but copies keep the caller's memory out
    // of its reach all the same.
    uint8_t pwd[kMaxPasswordBytes];
    uint8_t ad[kMaxUserBytes];
    uint8_t s[kSaltBytes];
    for (size_t i = 0; i < password_len; ++i) pwd[i] = password[i];
    for (size_t i = 0; i < user_len; ++i) ad[i] = user[i];
    for (size_t i = 0; i < kSaltBytes; ++i) s[i] = salt[i];
    argon2_context ctx{};
    ctx.out = out;
    ctx.outlen = kTagBytes;
    ctx.pwd = pwd;
    ctx.pwdlen = static_cast<uint32_t>(password_len);
    ctx.salt = s;
    ctx.saltlen = kSaltBytes;
    ctx.ad = user_len ? ad : nullptr;
    ctx.adlen = static_cast<uint32_t>(user_len);
    ctx.t_cost = cost.passes;
    ctx.m_cost = cost.memory_kib;
    ctx.lanes = cost.lanes;
    ctx.threads = 1;
    ctx.version = ARGON2_VERSION_13;
    ctx.flags = ARGON2_DEFAULT_FLAGS;
    int rc = argon2_ctx(&ctx, Argon2_id);
    wipe(pwd, sizeof pwd);
    if (rc != ARGON2_OK) {
        wipe(out, kTagBytes);
        return false;
    }
    return true;
}

bool make_verifier(const uint8_t* user, size_t user_len, const uint8_t* password,
                   size_t password_len, const uint8_t (&salt)[kSaltBytes], const Cost& cost,
                   Verifier& v) {
    if (user_len == 0 || password_len == 0) return false;
    for (size_t i = 0; i < kSaltBytes; ++i) v.salt[i] = salt[i];
    v.cost = cost;
    return derive(user, user_len, password, password_len, v.salt, cost, v.tag);
}

bool check(const Verifier& v, const uint8_t* user, size_t user_len, const uint8_t* password,
           size_t password_len) {
    // Over-long input is cut to the bounds so the derivation still runs
    // (same work) and then fails the comparison.
    bool fits = user_len <= kMaxUserBytes && password_len <= kMaxPasswordBytes;
    if (user_len > kMaxUserBytes) user_len = kMaxUserBytes;
    if (password_len > kMaxPasswordBytes) password_len = kMaxPasswordBytes;
    uint8_t got[kTagBytes];
    bool ok = derive(user, user_len, password, password_len, v.salt, v.cost, got);
    bool same = equal_constant_time(got, v.tag, kTagBytes);
    wipe(got, sizeof got);
    return ok && fits && same;
}

}  // namespace capos::auth
