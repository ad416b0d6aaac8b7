// SHA-256 known answers, incremental hashing, field framing and hex output.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "crypto/hash.hpp"

namespace smpc::crypto {
namespace {

TEST(Hash, KnownAnswers) {
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Hash, MillionAs) {
  Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(chunk);
  EXPECT_EQ(to_hex(h.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Hash, IncrementalEqualsOneShot) {
  Sha256 h;
  h.update("a").update(std::string("b")).update("c", 1);
  h.update(nullptr, 0);
  EXPECT_EQ(h.finish(), sha256("abc"));
}

TEST(Hash, FinishRestarts) {
  Sha256 h;
  h.update("abc");
  EXPECT_EQ(h.finish(), sha256("abc"));
  h.update("x");
  EXPECT_EQ(h.finish(), sha256("x"));
  EXPECT_EQ(h.finish(), sha256(""));
}

TEST(Hash, UpdateFieldIsLengthPrefixed) {
  Sha256 h;
  h.update_field("abc");
  const std::string manual = std::string("\x03\0\0\0\0\0\0\0", 8) + "abc";
  EXPECT_EQ(h.finish(), sha256(manual));

  Sha256 a, b;
  a.update_field("ab").update_field("c");
  b.update_field("a").update_field("bc");
  EXPECT_NE(a.finish(), b.finish());

  Sha256 empty;
  empty.update_field("");
  EXPECT_EQ(empty.finish(), sha256(std::string(8, '\0')));
}

TEST(Hash, ToHexIsLowerCase) {
  const std::uint8_t bytes[] = {0x00, 0xab, 0xff, 0x10, 0x9c};
  EXPECT_EQ(to_hex(bytes, sizeof bytes), "00abff109c");
  EXPECT_EQ(to_hex(bytes, 0), "");
}

}  // namespace
}  // namespace smpc::crypto
