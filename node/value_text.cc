#include "node/value_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <compare>
#include <system_error>

namespace kongsi::node {
namespace {

enum class Kind { kString, kInteger, kNumber, kBoolean, kDate, kDatetime, kUnknown };

Kind KindOf(std::string_view type) {
  if (type.empty() || type == "string" || type == "any") return Kind::kString;
  if (type == "integer" || type == "year") return Kind::kInteger;
  if (type == "number") return Kind::kNumber;
  if (type == "boolean") return Kind::kBoolean;
  if (type == "date") return Kind::kDate;
  if (type == "datetime") return Kind::kDatetime;
  // Frictionless types Kongsi stores as text under their declared name.
  for (std::string_view t :
       {"time", "yearmonth", "duration", "geopoint", "geojson", "object", "array"}) {
    if (type == t) return Kind::kString;
  }
  return Kind::kUnknown;
}

// `text` in quotes for an error message, shortened at a character boundary.
std::string Quoted(std::string_view text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax) return "\"" + std::string(text) + "\"";
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "\"" + std::string(text.substr(0, cut)) + "...\"";
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// -?[0-9]+ into int64; *out_of_range when well formed but too large.
bool ParseInt64(std::string_view s, int64_t* out, bool* out_of_range) {
  *out_of_range = false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  if (ec == std::errc::result_out_of_range && ptr == end) *out_of_range = true;
  return ec == std::errc() && ptr == end && !s.empty();
}

// Whole-string std::from_chars; *out_of_range for overflow and underflow.
bool ParseDouble(std::string_view s, double* out, bool* out_of_range) {
  *out_of_range = false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out, std::chars_format::general);
  if (ec == std::errc::result_out_of_range && ptr == end) *out_of_range = true;
  return ec == std::errc() && ptr == end && !s.empty();
}

// Drops a leading '+' that a digit or '.' follows; nothing else.
std::string_view WithoutPlus(std::string_view s) {
  if (s.size() >= 2 && s[0] == '+' && (IsDigit(s[1]) || s[1] == '.')) s.remove_prefix(1);
  return s;
}

bool IsTrueWord(std::string_view s) { return s == "true" || s == "True" || s == "TRUE"; }
bool IsFalseWord(std::string_view s) { return s == "false" || s == "False" || s == "FALSE"; }

int TwoDigits(std::string_view s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

bool AllDigits(std::string_view s, std::initializer_list<size_t> at) {
  for (size_t i : at) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!AllDigits(s, {0, 1, 2, 3, 5, 6, 8, 9})) return false;
  const int year = TwoDigits(s, 0) * 100 + TwoDigits(s, 2);
  const int month = TwoDigits(s, 5);
  const int day = TwoDigits(s, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && !leap) return day <= 28;
  return day <= kDays[month - 1];
}

// YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM|-HHMM].
bool IsDatetime(std::string_view s) {
  if (s.size() < 19 || !IsDate(s.substr(0, 10)) || (s[10] != 'T' && s[10] != ' ')) return false;
  if (s[13] != ':' || s[16] != ':' || !AllDigits(s, {11, 12, 14, 15, 17, 18})) return false;
  if (TwoDigits(s, 11) > 23 || TwoDigits(s, 14) > 59 || TwoDigits(s, 17) > 60) return false;
  std::string_view rest = s.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    size_t n = 1;
    while (n < rest.size() && IsDigit(rest[n])) ++n;
    if (n == 1) return false;
    rest.remove_prefix(n);
  }
  if (rest.empty() || rest == "Z") return true;
  if (rest[0] != '+' && rest[0] != '-') return false;
  rest.remove_prefix(1);
  if (rest.size() == 5 && rest[2] == ':') {
    if (!AllDigits(rest, {0, 1, 3, 4})) return false;
    return TwoDigits(rest, 0) <= 23 && TwoDigits(rest, 3) <= 59;
  }
  if (rest.size() == 4 && AllDigits(rest, {0, 1, 2, 3})) {
    return TwoDigits(rest, 0) <= 23 && TwoDigits(rest, 2) <= 59;
  }
  return false;
}

bool IsInferredInteger(std::string_view s) {
  int64_t ignored;
  bool out_of_range;
  return ParseInt64(s, &ignored, &out_of_range);
}

bool IsInferredNumber(std::string_view s) {
  // from_chars also reads "inf" and "nan"; a text column of such words is not
  // numeric, so demand a digit or '.' up front.
  std::string_view body = s.starts_with('-') ? s.substr(1) : s;
  if (body.empty() || !(IsDigit(body[0]) || body[0] == '.')) return false;
  double d;
  bool out_of_range;
  return ParseDouble(s, &d, &out_of_range) && std::isfinite(d);
}

template <typename T>
std::string ToChars(T v) {
  std::array<char, 64> buf;
  auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), ptr);
}

int Rank(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::KIND_NOT_SET:
      return 0;
    case v1::Value::kBooleanValue:
      return v.boolean_value() ? 2 : 1;
    case v1::Value::kIntegerValue:
      return 3;
    case v1::Value::kNumberValue:
      return 4;
    case v1::Value::kStringValue:
      return 5;
    case v1::Value::kDateValue:
      return 6;
    case v1::Value::kDatetimeValue:
      return 7;
  }
  return 8;
}

int Sign(std::strong_ordering o) { return o < 0 ? -1 : (o > 0 ? 1 : 0); }
int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

}  // namespace

bool IsKnownFieldType(std::string_view type) { return KindOf(type) != Kind::kUnknown; }

Result<v1::Value> ParseValue(std::string_view text, const v1::Field& field, bool keep_lexical) {
  v1::Value v;
  if (text.empty()) return v;
  bool out_of_range = false;
  switch (KindOf(field.type())) {
    case Kind::kString:
      v.set_string_value(std::string(text));
      return v;  // canonical by definition
    case Kind::kInteger: {
      int64_t i = 0;
      if (!ParseInt64(WithoutPlus(text), &i, &out_of_range)) {
        return Status::InvalidArgument(Quoted(text) + " is not an integer" +
                                       (out_of_range ? " (outside the 64-bit range)" : ""));
      }
      v.set_integer_value(i);
      break;
    }
    case Kind::kNumber: {
      double d = 0;
      if (!ParseDouble(WithoutPlus(text), &d, &out_of_range)) {
        return Status::InvalidArgument(
            Quoted(text) + " is not a number" +
            (out_of_range ? " (outside the range of a 64-bit float)" : ""));
      }
      v.set_number_value(d);
      break;
    }
    case Kind::kBoolean:
      // Frictionless' default trueValues / falseValues.
      if (IsTrueWord(text) || text == "1") {
        v.set_boolean_value(true);
      } else if (IsFalseWord(text) || text == "0") {
        v.set_boolean_value(false);
      } else {
        return Status::InvalidArgument(Quoted(text) + " is not a boolean (true or false)");
      }
      break;
    case Kind::kDate:
      if (!IsDate(text))
        return Status::InvalidArgument(Quoted(text) + " is not a date (YYYY-MM-DD)");
      v.set_date_value(std::string(text));
      return v;
    case Kind::kDatetime:
      if (!IsDatetime(text)) {
        return Status::InvalidArgument(Quoted(text) +
                                       " is not a datetime (ISO 8601, e.g. 2014-01-31T12:00:00Z)");
      }
      v.set_datetime_value(std::string(text));
      return v;
    case Kind::kUnknown:
      return Status::InvalidArgument("unknown type \"" + field.type() + "\"");
  }
  if (keep_lexical && CanonicalText(v) != text) v.set_lexical(std::string(text));
  return v;
}

Result<v1::Value> ParseValue(std::string_view text, const v1::Field& field,
                             const v1::Schema& schema, bool keep_lexical) {
  for (const std::string& token : schema.missing_values()) {
    if (!token.empty() && text == token) {
      v1::Value v;
      if (keep_lexical) v.set_lexical(token);
      return v;
    }
  }
  return ParseValue(text, field, keep_lexical);
}

std::string CanonicalText(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
      return "";
    case v1::Value::kStringValue:
      return value.string_value();
    case v1::Value::kIntegerValue:
      return ToChars(value.integer_value());
    case v1::Value::kNumberValue: {
      const double d = value.number_value();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "INF" : "-INF";
      return ToChars(d);
    }
    case v1::Value::kBooleanValue:
      return value.boolean_value() ? "true" : "false";
    case v1::Value::kDateValue:
      return value.date_value();
    case v1::Value::kDatetimeValue:
      return value.datetime_value();
  }
  return "";
}

std::string RenderText(const v1::Value& value) {
  return value.lexical().empty() ? CanonicalText(value) : value.lexical();
}

int CompareValues(const v1::Value& a, const v1::Value& b) {
  const int ra = Rank(a), rb = Rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  int c = 0;
  switch (a.kind_case()) {
    case v1::Value::kIntegerValue:
      c = Sign(a.integer_value() <=> b.integer_value());
      break;
    case v1::Value::kNumberValue:
      c = Sign(std::strong_order(a.number_value(), b.number_value()));
      break;
    case v1::Value::kStringValue:
      c = Sign(a.string_value().compare(b.string_value()));
      break;
    case v1::Value::kDateValue:
      c = Sign(a.date_value().compare(b.date_value()));
      break;
    case v1::Value::kDatetimeValue:
      c = Sign(a.datetime_value().compare(b.datetime_value()));
      break;
    case v1::Value::KIND_NOT_SET:
    case v1::Value::kBooleanValue:
      break;  // the rank decided
  }
  if (c != 0) return c;
  return Sign(a.lexical().compare(b.lexical()));
}

bool SameValue(const v1::Value& a, const v1::Value& b) { return CompareValues(a, b) == 0; }

boost::json::value ValueToJson(const v1::Value& value) {
  constexpr int64_t kMaxExact = int64_t{1} << 53;  // integers every JSON reader holds exactly
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
      return nullptr;
    case v1::Value::kBooleanValue:
      return value.boolean_value();
    case v1::Value::kIntegerValue: {
      const int64_t i = value.integer_value();
      if (i >= -kMaxExact && i <= kMaxExact) return i;
      return boost::json::string(CanonicalText(value));
    }
    case v1::Value::kNumberValue: {
      const double d = value.number_value();
      if (!std::isfinite(d)) return boost::json::string(CanonicalText(value));
      if (d == std::trunc(d) && std::fabs(d) <= static_cast<double>(kMaxExact) &&
          !(d == 0 && std::signbit(d))) {
        return static_cast<int64_t>(d);
      }
      return d;
    }
    case v1::Value::kStringValue:
      return boost::json::string(value.string_value());
    case v1::Value::kDateValue:
      return boost::json::string(value.date_value());
    case v1::Value::kDatetimeValue:
      return boost::json::string(value.datetime_value());
  }
  return nullptr;
}

void TypeInferrer::Observe(const std::vector<std::string>& row) {
  if (row.size() > columns_.size()) columns_.resize(row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    const std::string& s = row[i];
    if (s.empty()) continue;  // null fits every type
    Column& c = columns_[i];
    c.seen_value = true;
    uint8_t keep = 0;
    if ((c.candidates & kBoolean) && (IsTrueWord(s) || IsFalseWord(s))) keep |= kBoolean;
    if ((c.candidates & kInteger) && IsInferredInteger(s)) keep |= kInteger;
    if ((c.candidates & kNumber) && IsInferredNumber(s)) keep |= kNumber;
    if ((c.candidates & kDate) && IsDate(s)) keep |= kDate;
    c.candidates = keep;
  }
}

std::vector<std::string> TypeInferrer::Types() const {
  std::vector<std::string> types;
  types.reserve(columns_.size());
  for (const Column& c : columns_) {
    if (!c.seen_value) {
      types.emplace_back("string");
    } else if (c.candidates & kBoolean) {
      types.emplace_back("boolean");
    } else if (c.candidates & kInteger) {
      types.emplace_back("integer");
    } else if (c.candidates & kNumber) {
      types.emplace_back("number");
    } else if (c.candidates & kDate) {
      types.emplace_back("date");
    } else {
      types.emplace_back("string");
    }
  }
  return types;
}

}  // namespace kongsi::node
