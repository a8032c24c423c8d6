#include "storage/key_codec.h"

#include <bit>
#include <cstring>

namespace kongsi::storage {
namespace {

// Type tags, in the order values of different types sort.
enum Tag : char {
  kNull = 0x01,
  kFalse = 0x02,
  kTrue = 0x03,
  kInteger = 0x04,
  kNumber = 0x05,
  kString = 0x06,
  kDate = 0x07,
  kDatetime = 0x08,
};

uint64_t OrderedDouble(double d) {
  uint64_t bits = std::bit_cast<uint64_t>(d);
  // Negative numbers: flip everything so larger magnitudes sort first.
  return (bits & (1ull << 63)) ? ~bits : bits | (1ull << 63);
}

double FromOrderedDouble(uint64_t v) {
  uint64_t bits = (v & (1ull << 63)) ? v & ~(1ull << 63) : ~v;
  return std::bit_cast<double>(bits);
}

}  // namespace

void AppendU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

bool ConsumeU64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<unsigned char>((*in)[i]);
  in->remove_prefix(8);
  *v = r;
  return true;
}

void AppendBytes(std::string* out, std::string_view s) {
  for (char c : s) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

bool ConsumeBytes(std::string_view* in, std::string* s) {
  s->clear();
  for (size_t i = 0; i + 1 < in->size(); ++i) {
    char c = (*in)[i];
    if (c != '\0') {
      s->push_back(c);
      continue;
    }
    char next = (*in)[i + 1];
    if (next == '\x01') {
      in->remove_prefix(i + 2);
      return true;
    }
    if (next != '\xff') return false;
    s->push_back('\0');
    ++i;
  }
  return false;
}

bool ConsumeFixed(std::string_view* in, size_t n, std::string* s) {
  if (in->size() < n) return false;
  s->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

void AppendValue(std::string* out, const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::KIND_NOT_SET:
      out->push_back(kNull);
      return;
    case v1::Value::kBooleanValue:
      out->push_back(v.boolean_value() ? kTrue : kFalse);
      return;
    case v1::Value::kIntegerValue:
      out->push_back(kInteger);
      AppendU64(out, static_cast<uint64_t>(v.integer_value()) ^ (1ull << 63));
      return;
    case v1::Value::kNumberValue:
      out->push_back(kNumber);
      AppendU64(out, OrderedDouble(v.number_value()));
      return;
    case v1::Value::kStringValue:
      out->push_back(kString);
      AppendBytes(out, v.string_value());
      return;
    case v1::Value::kDateValue:
      out->push_back(kDate);
      AppendBytes(out, v.date_value());
      return;
    case v1::Value::kDatetimeValue:
      out->push_back(kDatetime);
      AppendBytes(out, v.datetime_value());
      return;
  }
}

bool ConsumeValue(std::string_view* in, v1::Value* v) {
  v->Clear();
  if (in->empty()) return false;
  char tag = in->front();
  in->remove_prefix(1);
  uint64_t u = 0;
  std::string s;
  switch (tag) {
    case kNull: return true;
    case kFalse: v->set_boolean_value(false); return true;
    case kTrue: v->set_boolean_value(true); return true;
    case kInteger:
      if (!ConsumeU64(in, &u)) return false;
      v->set_integer_value(static_cast<int64_t>(u ^ (1ull << 63)));
      return true;
    case kNumber:
      if (!ConsumeU64(in, &u)) return false;
      v->set_number_value(FromOrderedDouble(u));
      return true;
    case kString:
      if (!ConsumeBytes(in, &s)) return false;
      v->set_string_value(std::move(s));
      return true;
    case kDate:
      if (!ConsumeBytes(in, &s)) return false;
      v->set_date_value(std::move(s));
      return true;
    case kDatetime:
      if (!ConsumeBytes(in, &s)) return false;
      v->set_datetime_value(std::move(s));
      return true;
    default: return false;
  }
}

void AppendKey(std::string* out, const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  for (const auto& v : key) AppendValue(out, v);
}

std::string EncodeKey(const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  std::string out;
  AppendKey(&out, key);
  return out;
}

}  // namespace kongsi::storage
