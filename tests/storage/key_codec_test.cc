#include "storage/key_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>

namespace kongsi::storage {
namespace {

v1::Value Int(int64_t i) { v1::Value v; v.set_integer_value(i); return v; }
v1::Value Num(double d) { v1::Value v; v.set_number_value(d); return v; }
v1::Value Str(std::string s) { v1::Value v; v.set_string_value(std::move(s)); return v; }

std::string Enc(const v1::Value& v) { std::string s; AppendValue(&s, v); return s; }

TEST(KeyCodec, IntegersSortNumerically) {
  EXPECT_LT(Enc(Int(-5)), Enc(Int(-1)));
  EXPECT_LT(Enc(Int(-1)), Enc(Int(0)));
  EXPECT_LT(Enc(Int(9)), Enc(Int(10)));
  EXPECT_LT(Enc(Int(std::numeric_limits<int64_t>::min())), Enc(Int(std::numeric_limits<int64_t>::max())));
}

TEST(KeyCodec, NumbersSortNumerically) {
  EXPECT_LT(Enc(Num(-2.5)), Enc(Num(-1.0)));
  EXPECT_LT(Enc(Num(-1.0)), Enc(Num(0.0)));
  EXPECT_LT(Enc(Num(0.5)), Enc(Num(1e10)));
}

TEST(KeyCodec, StringPrefixSortsFirstAndNulRoundTrips) {
  EXPECT_LT(Enc(Str("ab")), Enc(Str("abc")));
  EXPECT_LT(Enc(Str("ab")), Enc(Str(std::string("ab\0", 3))));
  std::string_view in;
  std::string buf = Enc(Str(std::string("a\0b", 3)));
  in = buf;
  v1::Value out;
  ASSERT_TRUE(ConsumeValue(&in, &out));
  EXPECT_EQ(out.string_value(), std::string("a\0b", 3));
  EXPECT_TRUE(in.empty());
}

TEST(KeyCodec, TruncatedInputIsRejected) {
  std::string buf = Enc(Int(42));
  std::string_view in(buf.data(), buf.size() - 1);
  v1::Value out;
  EXPECT_FALSE(ConsumeValue(&in, &out));
}

RC_GTEST_PROP(KeyCodec, OrderMatchesIntegerOrder, (int64_t a, int64_t b)) {
  RC_ASSERT((a < b) == (Enc(Int(a)) < Enc(Int(b))));
}

RC_GTEST_PROP(KeyCodec, OrderMatchesStringOrder, (std::string a, std::string b)) {
  RC_ASSERT((a < b) == (Enc(Str(a)) < Enc(Str(b))));
  std::string buf = Enc(Str(a));
  std::string_view in = buf;
  v1::Value out;
  RC_ASSERT(ConsumeValue(&in, &out));
  RC_ASSERT(out.string_value() == a);
}

}  // namespace
}  // namespace kongsi::storage
