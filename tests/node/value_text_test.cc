#include "node/value_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/json/serialize.hpp>
#include <cmath>
#include <limits>

namespace kongsi::node {
namespace {

v1::Field FieldOf(const std::string& type) {
  v1::Field f;
  f.set_name("c");
  f.set_type(type);
  return f;
}

v1::Value Parse(std::string_view text, const std::string& type, bool keep_lexical = true) {
  Result<v1::Value> v = ParseValue(text, FieldOf(type), keep_lexical);
  EXPECT_TRUE(v.ok()) << type << " " << text << ": " << v.status().ToString();
  return v.ok() ? *v : v1::Value();
}

std::string ErrorOf(std::string_view text, const std::string& type) {
  Result<v1::Value> v = ParseValue(text, FieldOf(type), true);
  return v.ok() ? "(no error)" : v.status().message();
}

v1::Value Int(int64_t i) {
  v1::Value v;
  v.set_integer_value(i);
  return v;
}
v1::Value Num(double d) {
  v1::Value v;
  v.set_number_value(d);
  return v;
}
v1::Value Str(std::string s) {
  v1::Value v;
  v.set_string_value(std::move(s));
  return v;
}
v1::Value Bool(bool b) {
  v1::Value v;
  v.set_boolean_value(b);
  return v;
}

TEST(ValueText, ParsesEachType) {
  EXPECT_EQ(Parse("abc", "string").string_value(), "abc");
  EXPECT_EQ(Parse(" 1 ", "any").string_value(), " 1 ");
  EXPECT_EQ(Parse("x", "").string_value(), "x");
  EXPECT_EQ(Parse("-42", "integer").integer_value(), -42);
  EXPECT_EQ(Parse("2014", "year").integer_value(), 2014);
  EXPECT_EQ(Parse("9223372036854775807", "integer").integer_value(),
            std::numeric_limits<int64_t>::max());
  EXPECT_DOUBLE_EQ(Parse("3521418059.923445", "number").number_value(), 3521418059.923445);
  EXPECT_TRUE(std::isnan(Parse("NaN", "number").number_value()));
  EXPECT_EQ(Parse("-INF", "number").number_value(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(Parse("true", "boolean").boolean_value());
  EXPECT_FALSE(Parse("0", "boolean").boolean_value());
  EXPECT_EQ(Parse("2024-02-29", "date").date_value(), "2024-02-29");
  EXPECT_EQ(Parse("2014-01-01T00:00:00", "datetime").datetime_value(), "2014-01-01T00:00:00");
  EXPECT_EQ(Parse("2014-01-01 08:30:00.250+01:00", "datetime").kind_case(),
            v1::Value::kDatetimeValue);
  EXPECT_EQ(Parse("12:00", "time").string_value(), "12:00");  // kept as text
}

TEST(ValueText, EmptyAndMissingValuesAreNull) {
  EXPECT_EQ(Parse("", "integer").kind_case(), v1::Value::KIND_NOT_SET);
  EXPECT_EQ(Parse("", "string").kind_case(), v1::Value::KIND_NOT_SET);
  v1::Schema schema;
  schema.add_missing_values("");
  schema.add_missing_values("NA");
  Result<v1::Value> na = ParseValue("NA", FieldOf("number"), schema, true);
  ASSERT_TRUE(na.ok());
  EXPECT_EQ(na->kind_case(), v1::Value::KIND_NOT_SET);
  EXPECT_EQ(RenderText(*na), "NA");  // the export still says NA
  Result<v1::Value> bare = ParseValue("NA", FieldOf("number"), schema, false);
  EXPECT_EQ(RenderText(*bare), "");
  EXPECT_EQ(ParseValue("1.5", FieldOf("number"), schema, true)->number_value(), 1.5);
}

TEST(ValueText, ErrorsNameTheType) {
  EXPECT_EQ(ErrorOf("abc", "integer"), "\"abc\" is not an integer");
  EXPECT_EQ(ErrorOf("1.5", "integer"), "\"1.5\" is not an integer");
  EXPECT_EQ(ErrorOf(" 1", "integer"), "\" 1\" is not an integer");
  EXPECT_EQ(ErrorOf("+-1", "integer"), "\"+-1\" is not an integer");
  EXPECT_EQ(ErrorOf("9223372036854775808", "integer"),
            "\"9223372036854775808\" is not an integer (outside the 64-bit range)");
  EXPECT_EQ(ErrorOf("1,5", "number"), "\"1,5\" is not a number");
  EXPECT_EQ(ErrorOf("1e999", "number"),
            "\"1e999\" is not a number (outside the range of a 64-bit float)");
  EXPECT_EQ(ErrorOf("yes", "boolean"), "\"yes\" is not a boolean (true or false)");
  EXPECT_EQ(ErrorOf("2023-02-29", "date"), "\"2023-02-29\" is not a date (YYYY-MM-DD)");
  EXPECT_EQ(ErrorOf("31/01/2020", "date"), "\"31/01/2020\" is not a date (YYYY-MM-DD)");
  EXPECT_THAT(ErrorOf("2014-01-01", "datetime"), ::testing::HasSubstr("is not a datetime"));
  EXPECT_THAT(ErrorOf("2014-01-01T25:00:00", "datetime"),
              ::testing::HasSubstr("is not a datetime"));
  EXPECT_EQ(ErrorOf("5", "money"), "unknown type \"money\"");
  EXPECT_EQ(ErrorOf(std::string(100, 'x'), "integer"),
            "\"" + std::string(60, 'x') + "...\" is not an integer");
}

TEST(ValueText, LexicalKeepsSourceSpellingOnlyWhenItDiffers) {
  struct Case {
    const char* text;
    const char* type;
    const char* lexical;
  };
  for (const Case& c :
       {Case{"001", "integer", "001"}, Case{"+5", "integer", "+5"}, Case{"-0", "integer", "-0"},
        Case{"7", "integer", ""}, Case{"1.50", "number", "1.50"}, Case{"1e3", "number", "1e3"},
        Case{"1.5", "number", ""}, Case{"0.1", "number", ""}, Case{"TRUE", "boolean", "TRUE"},
        Case{"1", "boolean", "1"}, Case{"false", "boolean", ""}, Case{"nan", "number", "nan"},
        Case{"2020-01-31", "date", ""}}) {
    v1::Value v = Parse(c.text, c.type);
    EXPECT_EQ(v.lexical(), c.lexical) << c.text;
    EXPECT_EQ(RenderText(v), c.text);
    EXPECT_TRUE(Parse(c.text, c.type, false).lexical().empty());
  }
  EXPECT_EQ(CanonicalText(Parse("1e3", "number")), "1000");
}

TEST(ValueText, CanonicalTextIsShortestRoundTrip) {
  EXPECT_EQ(CanonicalText(Num(0.1)), "0.1");
  EXPECT_EQ(CanonicalText(Num(3521418059.923445)), "3521418059.923445");
  EXPECT_EQ(CanonicalText(Num(1e21)), "1e+21");
  EXPECT_EQ(CanonicalText(Num(std::nan(""))), "NaN");
  EXPECT_EQ(CanonicalText(Num(std::numeric_limits<double>::infinity())), "INF");
  EXPECT_EQ(CanonicalText(Int(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(CanonicalText(Bool(false)), "false");
  EXPECT_EQ(CanonicalText(v1::Value()), "");
  v1::Value with_lexical = Int(1);
  with_lexical.set_lexical("01");
  EXPECT_EQ(CanonicalText(with_lexical), "1");
  EXPECT_EQ(RenderText(with_lexical), "01");
}

std::vector<std::string> Infer(const std::vector<std::vector<std::string>>& rows) {
  TypeInferrer inferrer;
  for (const auto& row : rows) inferrer.Observe(row);
  return inferrer.Types();
}

TEST(ValueText, InfersNarrowestType) {
  EXPECT_EQ(Infer({{"1", "1", "true", "2020-01-01", "x", ""},
                   {"2", "2.5", "false", "2020-12-31", "1", ""},
                   {"", "", "", "", "", ""}}),
            (std::vector<std::string>{"integer", "number", "boolean", "date", "string", "string"}));
  EXPECT_EQ(Infer({{"0"}, {"1"}}), std::vector<std::string>{"integer"});  // 0/1 is not boolean
  EXPECT_EQ(Infer({{"+1"}}), std::vector<std::string>{"string"});
  EXPECT_EQ(Infer({{" 1"}}), std::vector<std::string>{"string"});
  EXPECT_EQ(Infer({{"1 "}}), std::vector<std::string>{"string"});
  EXPECT_EQ(Infer({{"NaN"}, {"1"}}), std::vector<std::string>{"string"});
  EXPECT_EQ(Infer({{"9223372036854775808"}}), std::vector<std::string>{"number"});
  EXPECT_EQ(Infer({{"2020-02-30"}}), std::vector<std::string>{"string"});
  EXPECT_EQ(Infer({{"a", "1"}, {"b"}}), (std::vector<std::string>{"string", "integer"}));
}

TEST(ValueText, InferredZeroPaddedColumnStaysTextIdentical) {
  const std::vector<std::string> cells = {"001", "010", "100", "-007"};
  TypeInferrer inferrer;
  for (const auto& c : cells) inferrer.Observe({c});
  ASSERT_EQ(inferrer.Types(), std::vector<std::string>{"integer"});
  for (const auto& c : cells) EXPECT_EQ(RenderText(Parse(c, "integer")), c);
}

// The promise of the header: whatever a column holds, the inferred type
// parses every cell and renders it back unchanged.
RC_GTEST_PROP(ValueText, InferenceNeverChangesText, ()) {
  const auto cell = rc::gen::container<std::string>(rc::gen::element(
      '0', '1', '9', '-', '+', '.', 'e', 'E', ' ', 't', 'r', 'u', 'f', 'a', 'l', 's'));
  const auto column = *rc::gen::container<std::vector<std::string>>(cell);
  TypeInferrer inferrer;
  for (const std::string& c : column) inferrer.Observe({c});
  const std::string type = inferrer.Types().empty() ? "string" : inferrer.Types()[0];
  for (const std::string& c : column) {
    Result<v1::Value> v = ParseValue(c, FieldOf(type), true);
    RC_ASSERT(v.ok());
    RC_ASSERT(RenderText(*v) == c);
  }
}

TEST(ValueText, CompareValuesIsATotalOrderMatchingTheKeyCodec) {
  v1::Value date, datetime;
  date.set_date_value("2020-01-01");
  datetime.set_datetime_value("2020-01-01T00:00:00Z");
  const std::vector<v1::Value> ascending = {
      v1::Value(),       Bool(false),     Bool(true),
      Int(-5),           Int(3),          Num(-std::numeric_limits<double>::infinity()),
      Num(-0.0),         Num(0.0),        Num(2.5),
      Num(std::nan("")), Str(""),         Str("B"),
      Str("a"),          Str("\xC3\xA9"), date,
      datetime};
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      const int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(CompareValues(ascending[i], ascending[j]), want) << i << " vs " << j;
    }
  }
}

TEST(ValueText, SameValueIncludesLexical) {
  v1::Value a = Parse("1.50", "number");
  v1::Value b = Parse("1.5", "number");
  EXPECT_FALSE(SameValue(a, b));
  EXPECT_NE(CompareValues(a, b), 0);
  EXPECT_TRUE(SameValue(a, Parse("1.50", "number")));
  EXPECT_TRUE(SameValue(v1::Value(), v1::Value()));
  EXPECT_FALSE(SameValue(Int(1), Num(1.0)));
}

TEST(ValueText, JsonKeepsIntegersExactAndNumbersTyped) {
  using boost::json::serialize;
  EXPECT_EQ(serialize(ValueToJson(v1::Value())), "null");
  EXPECT_EQ(serialize(ValueToJson(Int(int64_t{1} << 53))), "9007199254740992");
  EXPECT_EQ(serialize(ValueToJson(Int((int64_t{1} << 53) + 1))), "\"9007199254740993\"");
  EXPECT_EQ(serialize(ValueToJson(Int(-(int64_t{1} << 53) - 1))), "\"-9007199254740993\"");
  EXPECT_EQ(serialize(ValueToJson(Num(3.0))), "3");
  EXPECT_TRUE(ValueToJson(Num(1.5)).is_double());
  EXPECT_EQ(ValueToJson(Num(1.5)).as_double(), 1.5);
  EXPECT_EQ(serialize(ValueToJson(Num(std::nan("")))), "\"NaN\"");
  EXPECT_EQ(serialize(ValueToJson(Parse("1.50", "number"))), serialize(ValueToJson(Num(1.5))));
  EXPECT_EQ(serialize(ValueToJson(Bool(true))), "true");
  EXPECT_EQ(serialize(ValueToJson(Str("a\"b"))), "\"a\\\"b\"");
}

}  // namespace
}  // namespace kongsi::node
