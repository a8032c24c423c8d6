#include "node/csv_reader.h"

#include <fmt/format.h>
#include <iconv.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <utility>

namespace kongsi::node {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr const char* kEncodingHint =
    "pass --encoding to name the file's encoding, e.g. --encoding CP850";

bool IsUtf8Name(const std::string& encoding) {
  std::string n;
  for (char c : encoding) {
    if (c != '-' && c != '_')
      n.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return n == "UTF8";
}

// A UTF-8 lead byte: sequence length (0 when it cannot start one) and the
// range its second byte must fall in.
struct Lead {
  size_t len;
  unsigned char lo, hi;
};
Lead LeadOf(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return {2, 0x80, 0xBF};
  if (c == 0xE0) return {3, 0xA0, 0xBF};  // no overlongs
  if (c == 0xED) return {3, 0x80, 0x9F};  // no surrogates
  if (c >= 0xE1 && c <= 0xEF) return {3, 0x80, 0xBF};
  if (c == 0xF0) return {4, 0x90, 0xBF};  // no overlongs
  if (c >= 0xF1 && c <= 0xF3) return {4, 0x80, 0xBF};
  if (c == 0xF4) return {4, 0x80, 0x8F};  // nothing past U+10FFFF
  return {0, 0, 0};
}

// Length of the longest prefix of `s` made of complete, valid UTF-8
// sequences (Unicode Table 3-7: no overlongs, surrogates or values past
// U+10FFFF). *invalid tells an impossible byte apart from input that merely
// ends mid-character, which the next chunk may complete.
size_t ValidUtf8Prefix(std::string_view s, bool* invalid) {
  *invalid = false;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    const auto [len, lo, hi] = LeadOf(c);
    if (len == 0) {
      *invalid = true;
      return i;
    }
    for (size_t k = 1; k < len; ++k) {
      if (i + k >= n) return i;
      const unsigned char b = p[i + k];
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) {
        *invalid = true;
        return i;
      }
    }
    i += len;
  }
  return i;
}

std::string HexBytes(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    if (!out.empty()) out += ' ';
    out += fmt::format("0x{:02X}", static_cast<unsigned char>(s[i]));
  }
  return out;
}

}  // namespace

// Turns raw input into UTF-8, one chunk at a time, never splitting a
// character: an incomplete sequence at the end of a chunk waits for the next.
// Errors carry no line or column; the reader, which knows them, adds them.
class CsvReader::Decoder {
 public:
  static Result<std::unique_ptr<Decoder>> Make(const std::string& encoding, size_t chunk_bytes) {
    auto d = std::unique_ptr<Decoder>(new Decoder(encoding, chunk_bytes));
    if (!IsUtf8Name(encoding)) {
      d->cd_ = iconv_open("UTF-8", encoding.c_str());
      if (d->cd_ == reinterpret_cast<iconv_t>(-1)) {
        return Status::InvalidArgument(fmt::format(
            "unknown encoding \"{}\" (use a name iconv knows, such as UTF-8, CP850, LATIN1 or "
            "WINDOWS-1252; `iconv -l` lists them)",
            encoding));
      }
    }
    return d;
  }
  ~Decoder() {
    if (cd_ != reinterpret_cast<iconv_t>(-1)) iconv_close(cd_);
  }

  // Appends the next decoded text (at least one character) to *out and
  // returns true, or returns false at end of input. An error found after
  // some good text is held back until that text has been handed out.
  Result<bool> Read(std::istream* in, std::string* out) {
    for (;;) {
      if (!pending_.ok()) return pending_;
      if (eof_ && raw_.empty()) return false;
      if (!eof_) {
        // Read into a buffer that is never zeroed, then append what came.
        // Growing raw_ by a whole chunk zeroed (and page-faulted) 1 MiB per
        // read even for a one-row upload; an upload is read three times,
        // and that was a tenth of a one-row publish.
        if (!chunk_) chunk_ = std::make_unique_for_overwrite<char[]>(chunk_bytes_);
        in->read(chunk_.get(), static_cast<std::streamsize>(chunk_bytes_));
        const auto got = static_cast<size_t>(in->gcount());
        raw_.append(chunk_.get(), got);
        bytes_read_ += got;
        if (in->bad()) {
          return Status::IoError(fmt::format("read error after byte {}", bytes_read_));
        }
        // read() stops short only at end of input (errors are caught above).
        if (got < chunk_bytes_) eof_ = true;
      }
      const size_t before = out->size();
      if (cd_ == reinterpret_cast<iconv_t>(-1)) {
        DecodeUtf8(out);
      } else {
        DecodeIconv(out);
      }
      if (out->size() > before) return true;
      // Not one whole character yet: read on, or report the pending error.
    }
  }

  uint64_t bytes_read() const { return bytes_read_; }

 private:
  Decoder(std::string encoding, size_t chunk_bytes)
      : encoding_(std::move(encoding)), chunk_bytes_(chunk_bytes) {}

  void DecodeUtf8(std::string* out) {
    bool invalid = false;
    const size_t n = ValidUtf8Prefix(raw_, &invalid);
    out->append(raw_, 0, n);
    if (invalid) {
      pending_ = Status::InvalidArgument(
          fmt::format("invalid UTF-8 (byte {} at file offset {}); {}",
                      HexBytes(raw_.substr(n, 1), 1), raw_offset_ + n, kEncodingHint));
    } else if (eof_ && n < raw_.size()) {
      pending_ = Status::InvalidArgument(fmt::format(
          "invalid UTF-8: the file ends inside a character (bytes {} at file offset {}); {}",
          HexBytes(raw_.substr(n), 4), raw_offset_ + n, kEncodingHint));
    }
    Consume(n);
  }

  void DecodeIconv(std::string* out) {
    char* in = raw_.data();
    size_t in_left = raw_.size();
    while (in_left > 0) {
      const size_t old = out->size();
      // 4 bytes of UTF-8 per input byte is always enough; E2BIG loops anyway.
      out->resize(old + in_left * 4 + 16);
      char* dst = out->data() + old;
      size_t dst_left = out->size() - old;
      const size_t r = iconv(cd_, &in, &in_left, &dst, &dst_left);
      const int err = errno;
      out->resize(static_cast<size_t>(dst - out->data()));
      if (r != static_cast<size_t>(-1)) break;
      if (err == E2BIG) continue;
      const size_t at = static_cast<size_t>(in - raw_.data());
      if (err == EILSEQ) {
        pending_ = Status::InvalidArgument(fmt::format("byte {} at file offset {} is not valid {}",
                                                       HexBytes(raw_.substr(at), 1),
                                                       raw_offset_ + at, encoding_));
      } else if (err == EINVAL) {  // ends mid-character: the next chunk completes it
        if (eof_) {
          pending_ = Status::InvalidArgument(
              fmt::format("the file ends inside a {} character (bytes {} at file offset {})",
                          encoding_, HexBytes(raw_.substr(at), 4), raw_offset_ + at));
        }
      } else {
        pending_ = Status::Internal(fmt::format("iconv: {}", std::strerror(err)));
      }
      break;
    }
    Consume(static_cast<size_t>(in - raw_.data()));
  }

  void Consume(size_t n) {
    raw_.erase(0, n);
    raw_offset_ += n;
  }

  iconv_t cd_ = reinterpret_cast<iconv_t>(-1);  // unset: UTF-8 checked in place
  std::string encoding_;
  size_t chunk_bytes_;
  std::unique_ptr<char[]> chunk_;  // one read's bytes
  std::string raw_;          // undecoded input, starting at raw_offset_
  uint64_t raw_offset_ = 0;  // file offset of raw_[0]
  uint64_t bytes_read_ = 0;
  bool eof_ = false;
  Status pending_;
};

CsvReader::CsvReader(std::string name, const CsvOptions& options, std::istream* in,
                     std::unique_ptr<std::istream> owned, std::unique_ptr<Decoder> decoder)
    : name_(std::move(name)),
      options_(options),
      owned_(std::move(owned)),
      in_(in),
      decoder_(std::move(decoder)) {}

CsvReader::~CsvReader() = default;

Result<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path,
                                                   const CsvOptions& options) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (ec) return Status::IoError(path + ": " + ec.message());
  if (!exists) return Status::NotFound(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path + ": is a directory, not a CSV file");
  }
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!file->is_open()) {
    return Status::IoError(path + ": cannot open: " + std::strerror(errno));
  }
  std::istream* in = file.get();
  return Make(path, options, in, std::move(file));
}

Result<std::unique_ptr<CsvReader>> CsvReader::FromStream(std::istream* in,
                                                         const std::string& source_name,
                                                         const CsvOptions& options) {
  return Make(source_name, options, in, nullptr);
}

Result<std::unique_ptr<CsvReader>> CsvReader::Make(std::string name, const CsvOptions& options,
                                                   std::istream* in,
                                                   std::unique_ptr<std::istream> owned) {
  const char d = options.delimiter;
  if (d == '"' || d == '\r' || d == '\n' || d == '\0' || static_cast<unsigned char>(d) >= 0x80) {
    return Status::InvalidArgument(
        name + ": the delimiter must be one ASCII character other than a quote or a line break");
  }
  if (options.max_field_bytes == 0 || options.max_fields == 0 || options.max_record_bytes == 0 ||
      options.chunk_bytes == 0) {
    return Status::InvalidArgument(name + ": CSV limits and chunk size must be positive");
  }
  // A suffix such as //IGNORE would make iconv drop input silently.
  if (options.encoding.empty() || options.encoding.find('/') != std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("{}: invalid encoding name \"{}\"", name, options.encoding));
  }
  auto decoder = Decoder::Make(options.encoding, options.chunk_bytes);
  if (!decoder.ok()) return decoder.status().WithContext(name);
  return std::unique_ptr<CsvReader>(
      new CsvReader(std::move(name), options, in, std::move(owned), std::move(*decoder)));
}

uint64_t CsvReader::bytes_read() const { return decoder_->bytes_read(); }

Result<bool> CsvReader::Next(std::vector<std::string>* fields) {
  if (!error_.ok()) return error_;
  for (;;) {
    Result<bool> got = ReadRecord(fields);
    if (!got.ok()) return Fail(got.status());
    if (!*got) {
      if (records_ == 0) {
        return Fail(Status::InvalidArgument(
            name_ + ": file is empty" +
            (blank_rows_ > 0 ? fmt::format(" ({} blank lines, no header)", blank_rows_) : "")));
      }
      return false;
    }
    bool blank = true;
    for (const std::string& f : *fields) blank = blank && f.empty();
    if (blank) {
      ++blank_rows_;
      continue;
    }
    if (width_ == 0) {
      width_ = fields->size();
    } else if (fields->size() != width_) {
      return Fail(
          Status::InvalidArgument(fmt::format("{}: line {}: row has {} fields, header has {}",
                                              name_, record_line_, fields->size(), width_)));
    }
    ++records_;
    return true;
  }
}

Result<bool> CsvReader::ReadRecord(std::vector<std::string>* fields) {
  fields->clear();
  state_ = State::kFieldStart;
  record_bytes_ = 0;
  record_line_ = line_;
  const char delimiter = options_.delimiter;
  for (;;) {
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
      Result<bool> more = decoder_->Read(in_, &buf_);
      if (!more.ok()) return ErrorHere(more.status());
      if (!*more) break;
      if (first_chunk_) {
        first_chunk_ = false;
        // The decoder never splits a character, so a BOM is whole here.
        if (std::string_view(buf_).starts_with(kUtf8Bom)) pos_ = kUtf8Bom.size();
      }
      continue;
    }
    const char c = buf_[pos_];
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') {  // second half of a CRLF that ended the last record
        Track(c);
        ++pos_;
        continue;
      }
    }
    if (c == '\0') {
      // Text files do not contain NUL; UTF-16 read as UTF-8 does.
      return ErrorHere(Status::InvalidArgument(
          "NUL byte in the input (is the file UTF-16? pass --encoding UTF-16)"));
    }
    if (fields->empty()) fields->emplace_back();
    bool end_of_record = false;
    switch (state_) {
      case State::kQuoted:
        if (c == '"') {
          state_ = State::kAfterQuote;
        } else {
          KONGSI_RETURN_IF_ERROR(Append(fields, c));
        }
        break;
      case State::kAfterQuote:
        if (c == '"') {  // a doubled quote stands for one
          KONGSI_RETURN_IF_ERROR(Append(fields, c));
          state_ = State::kQuoted;
          break;
        }
        if (c != delimiter && c != '\r' && c != '\n') {
          return ErrorHere(Status::InvalidArgument(fmt::format(
              "unexpected text after the closing quote of field {} (a quote inside a quoted "
              "field must be doubled: \"\")",
              fields->size())));
        }
        [[fallthrough]];
      case State::kFieldStart:
        if (state_ == State::kFieldStart && c == '"') {
          state_ = State::kQuoted;
          quote_line_ = line_;
          quote_col_ = col_ + 1;
          break;
        }
        [[fallthrough]];
      case State::kUnquoted:
        if (c == delimiter) {
          if (fields->size() >= options_.max_fields) {
            return ErrorHere(Status::ResourceExhausted(fmt::format(
                "row has more than {} fields, the limit (kMaxFields)", options_.max_fields)));
          }
          fields->emplace_back();
          state_ = State::kFieldStart;
        } else if (c == '\r' || c == '\n') {
          end_of_record = true;
        } else if (c == '"' && !options_.allow_bare_quotes) {
          return ErrorHere(Status::InvalidArgument(
              fmt::format("a quote appears inside unquoted field {}", fields->size())));
        } else {
          KONGSI_RETURN_IF_ERROR(Append(fields, c));
          state_ = State::kUnquoted;
        }
        break;
    }
    Track(c);
    ++pos_;
    if (end_of_record) {
      skip_lf_ = c == '\r';
      return true;
    }
  }
  if (state_ == State::kQuoted) {
    return Status::InvalidArgument(fmt::format(
        "{}: line {}, column {}: unterminated quoted field {} (the quote opened here is still "
        "open at the end of the file)",
        name_, quote_line_, quote_col_, fields->size()));
  }
  return !fields->empty();
}

Status CsvReader::Append(std::vector<std::string>* fields, char c) {
  std::string& field = fields->back();
  if (field.size() >= options_.max_field_bytes) {
    return ErrorHere(Status::ResourceExhausted(
        fmt::format("field {} is longer than {} bytes, the limit (kMaxFieldBytes)", fields->size(),
                    options_.max_field_bytes)));
  }
  if (record_bytes_ >= options_.max_record_bytes) {
    return ErrorHere(Status::ResourceExhausted(
        fmt::format("row (from line {}) is longer than {} bytes, the limit (kMaxRecordBytes)",
                    record_line_, options_.max_record_bytes)));
  }
  field.push_back(c);
  ++record_bytes_;
  return Status::Ok();
}

void CsvReader::Track(char c) {
  if (c == '\n') {
    if (!after_cr_) ++line_;
    col_ = 0;
    after_cr_ = false;
  } else if (c == '\r') {
    ++line_;
    col_ = 0;
    after_cr_ = true;
  } else {
    after_cr_ = false;
    // Columns count characters, not bytes: skip UTF-8 continuation bytes.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++col_;
  }
}

Status CsvReader::ErrorHere(const Status& status) const {
  return status.WithContext(fmt::format("{}: line {}, column {}", name_, line_, col_ + 1));
}

Status CsvReader::Fail(Status status) {
  error_ = status;
  return status;
}

}  // namespace kongsi::node
