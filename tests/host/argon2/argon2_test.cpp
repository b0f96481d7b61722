// The reference Argon2 code fetched from Debian's source package
// (lib/argon2) against RFC 9106's Argon2id test vector, and the auth
// service's credential logic (user/auth/credential.cpp) over it.
#include <argon2.h>
#include <gtest/gtest.h>

#include <cstring>

#include "user/auth/credential.hpp"

namespace {

using namespace capos::auth;

// RFC 9106, 5.3 (Argon2id): password 32 x 0x01, salt 16 x 0x02, secret
// 8 x 0x03, associated data 12 x 0x04, 32 KiB, 3 passes, 4 lanes, v1.3.
TEST(Argon2, Rfc9106Argon2idVector) {
    uint8_t pwd[32], salt[16], secret[8], ad[12], out[32];
    std::memset(pwd, 1, sizeof pwd);
    std::memset(salt, 2, sizeof salt);
    std::memset(secret, 3, sizeof secret);
    std::memset(ad, 4, sizeof ad);
    argon2_context ctx{};
    ctx.out = out;
    ctx.outlen = sizeof out;
    ctx.pwd = pwd;
    ctx.pwdlen = sizeof pwd;
    ctx.salt = salt;
    ctx.saltlen = sizeof salt;
    ctx.secret = secret;
    ctx.secretlen = sizeof secret;
    ctx.ad = ad;
    ctx.adlen = sizeof ad;
    ctx.t_cost = 3;
    ctx.m_cost = 32;
    ctx.lanes = 4;
    ctx.threads = 1;
    ctx.version = ARGON2_VERSION_13;
    ASSERT_EQ(argon2_ctx(&ctx, Argon2_id), ARGON2_OK);
    const uint8_t want[32] = {0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37,
                              0xa3, 0x4a, 0x8b, 0x53, 0xc9, 0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75,
                              0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59};
    EXPECT_EQ(std::memcmp(out, want, 32), 0);
}

const uint8_t* b(const char* s) { return reinterpret_cast<const uint8_t*>(s); }

constexpr Cost kCheap{1, 64, 1};

TEST(Credential, RightPasswordOnly) {
    uint8_t salt[kSaltBytes];
    std::memset(salt, 0x5a, sizeof salt);
    Verifier v{};
    ASSERT_TRUE(make_verifier(b("operator"), 8, b("hunter22"), 8, salt, kCheap, v));
    EXPECT_TRUE(check(v, b("operator"), 8, b("hunter22"), 8));
    EXPECT_FALSE(check(v, b("operator"), 8, b("hunter23"), 8));
    EXPECT_FALSE(check(v, b("operator"), 8, b("hunter2"), 7));
    EXPECT_FALSE(check(v, b("operatoR"), 8, b("hunter22"), 8));
    EXPECT_FALSE(check(v, b("operator"), 8, b(""), 0));
    // The tag is not the password and depends on the salt.
    EXPECT_EQ(memmem(v.tag, sizeof v.tag, "hunter22", 8), nullptr);
    uint8_t salt2[kSaltBytes];
    std::memset(salt2, 0x5b, sizeof salt2);
    Verifier v2{};
    ASSERT_TRUE(make_verifier(b("operator"), 8, b("hunter22"), 8, salt2, kCheap, v2));
    EXPECT_NE(std::memcmp(v.tag, v2.tag, kTagBytes), 0);
    EXPECT_FALSE(check(v2, b("operator"), 8, b("hunter23"), 8));
    EXPECT_TRUE(check(v2, b("operator"), 8, b("hunter22"), 8));
}

TEST(Credential, RefusesBadInput) {
    uint8_t salt[kSaltBytes] = {};
    Verifier v{};
    EXPECT_FALSE(make_verifier(b("op"), 2, b(""), 0, salt, kCheap, v));
    EXPECT_FALSE(make_verifier(b(""), 0, b("pw"), 2, salt, kCheap, v));
    EXPECT_FALSE(make_verifier(b("op"), 2, b("pw"), 2, salt, Cost{0, 64, 1}, v));
    EXPECT_FALSE(make_verifier(b("op"), 2, b("pw"), 2, salt, Cost{1, 4, 1}, v));
    EXPECT_FALSE(make_verifier(b("op"), 2, b("pw"), 2, salt, Cost{1, kMaxMemoryKib + 1, 1}, v));
    uint8_t long_pw[kMaxPasswordBytes + 1];
    std::memset(long_pw, 'a', sizeof long_pw);
    EXPECT_FALSE(make_verifier(b("op"), 2, long_pw, sizeof long_pw, salt, kCheap, v));
    // A verifier for the longest password refuses it with one byte more.
    ASSERT_TRUE(make_verifier(b("op"), 2, long_pw, kMaxPasswordBytes, salt, kCheap, v));
    EXPECT_TRUE(check(v, b("op"), 2, long_pw, kMaxPasswordBytes));
    EXPECT_FALSE(check(v, b("op"), 2, long_pw, sizeof long_pw));
}

TEST(Credential, ParseCost) {
    Cost c{};
    ASSERT_TRUE(parse_cost("argon2id:t1:m64:p1", &c));
    EXPECT_EQ(c.passes, 1u);
    EXPECT_EQ(c.memory_kib, 64u);
    EXPECT_EQ(c.lanes, 1u);
    ASSERT_TRUE(parse_cost("argon2id:t3:m4096:p2", &c));
    EXPECT_EQ(c.passes, 3u);
    EXPECT_EQ(c.memory_kib, 4096u);
    EXPECT_EQ(c.lanes, 2u);
    ASSERT_TRUE(parse_cost("argon2id:t4294967295:m1:p1", &c));
    EXPECT_EQ(c.passes, 4294967295u);
    EXPECT_FALSE(cost_valid(c));
    // Parsed but refused by cost_valid: zero passes, too little memory.
    ASSERT_TRUE(parse_cost("argon2id:t0:m64:p1", &c));
    EXPECT_FALSE(cost_valid(c));
    ASSERT_TRUE(parse_cost("argon2id:t1:m7:p1", &c));
    EXPECT_FALSE(cost_valid(c));
    Cost untouched{9, 9, 9};
    for (const char* bad : {"", "argon2id:", "argon2id:t1:m64", "argon2id:t1:m64:p1:", "argon2id:t1:m64:p",
                            "argon2id:m64:t1:p1", "argon2id:t1:m64:p1x", "argon2id:t-1:m64:p1",
                            "argon2id:t4294967296:m64:p1", "argon2i:t1:m64:p1", "argon2id:t1 :m64:p1",
                            "argon2id:t1::m64:p1"}) {
        EXPECT_FALSE(parse_cost(bad, &untouched)) << bad;
    }
    EXPECT_EQ(untouched.passes, 9u);
    EXPECT_TRUE(cost_valid(kDefaultCost));
}

TEST(Credential, ConstantTimeEqual) {
    uint8_t a[4] = {1, 2, 3, 4}, c[4] = {1, 2, 3, 5};
    EXPECT_TRUE(equal_constant_time(a, a, 4));
    EXPECT_FALSE(equal_constant_time(a, c, 4));
    EXPECT_TRUE(equal_constant_time(a, c, 3));
}

}  // namespace
