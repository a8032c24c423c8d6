// Streaming RFC 4180 CSV reader. Memory stays flat in the file size: input is
// read and decoded in chunks, and at most one record (bounded by the limits
// below) is held at a time.
//
// What it accepts, beyond strict RFC 4180, because real open-data files need
// it: a UTF-8 byte order mark (stripped), LF, CRLF and lone CR line endings
// (mixed freely), any single-byte ASCII delimiter (`;`, tab, ...), any input
// encoding iconv knows (converted to UTF-8), and a bare `"` inside an unquoted
// field (kept literally, as Python's csv module does; see
// CsvOptions::allow_bare_quotes). Blank rows — an empty line, or a line whose
// fields are all empty such as ";;;;" — are skipped and counted, as
// Frictionless does.
//
// What it refuses, because guessing would silently change content: invalid
// input in the declared encoding, a quoted field that never closes, text
// after a closing quote (`"a"b`), and rows whose width differs from the
// first record's. Errors are Status::InvalidArgument naming the source, line
// and column ("gdp.csv: line 12, column 4: ..."); a limit exceeded is
// Status::kResourceExhausted naming the limit. Errors are sticky: after one,
// every Next() returns it again.
//
// Thread-safety: none; one reader per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "storage/status.h"

namespace kongsi::node {

// Longest field, in bytes of UTF-8 after decoding.
inline constexpr size_t kMaxFieldBytes = size_t{1} << 20;  // 1 MiB
// Most fields (columns) in one record.
inline constexpr size_t kMaxFields = 4096;
// Longest record: the sum of its fields' bytes (delimiters and quotes not
// counted). This, not kMaxFields * kMaxFieldBytes, bounds a reader's memory.
inline constexpr size_t kMaxRecordBytes = size_t{16} << 20;  // 16 MiB
// How much raw input is read at once.
inline constexpr size_t kCsvChunkBytes = size_t{1} << 20;  // 1 MiB

struct CsvOptions {
  // Any ASCII character except `"`, CR and LF.
  char delimiter = ',';
  // An iconv name (CP850, LATIN1, WINDOWS-1252, UTF-16, ...). "UTF-8" (the
  // default, also spelled utf8 / UTF_8) does not go through iconv: the input
  // is validated strictly and invalid bytes are an error that suggests
  // naming the encoding.
  std::string encoding = "UTF-8";
  size_t max_field_bytes = kMaxFieldBytes;
  size_t max_fields = kMaxFields;
  size_t max_record_bytes = kMaxRecordBytes;
  // Raw bytes per read. Tests use tiny values to split multi-byte characters
  // and line endings across chunk boundaries.
  size_t chunk_bytes = kCsvChunkBytes;
  // When false, a `"` inside an unquoted field (`12" pipe`) is an error
  // instead of being kept as text.
  bool allow_bare_quotes = true;
};

class CsvReader {
 public:
  // Opens `path`; errors name the path as given. NotFound when it does not
  // exist, InvalidArgument for bad options or an unknown encoding.
  static Result<std::unique_ptr<CsvReader>> Open(const std::string& path,
                                                 const CsvOptions& options = CsvOptions());
  // Reads from `in` (an upload, a pipe), which must outlive the reader.
  // `source_name` is what error messages call the input.
  static Result<std::unique_ptr<CsvReader>> FromStream(std::istream* in,
                                                       const std::string& source_name,
                                                       const CsvOptions& options = CsvOptions());

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;
  ~CsvReader();

  // Replaces *fields with the next non-blank record and returns true, or
  // returns false at end of input. The first record (normally the header)
  // is returned like any other; it fixes the width every later record must
  // have. An input with no record at all is an error ("file is empty").
  Result<bool> Next(std::vector<std::string>* fields);

  // 1-based physical line where the last returned record started. Lines are
  // counted as an editor shows them: newlines inside quoted fields count.
  uint64_t line() const { return record_line_; }
  // Raw (undecoded) input bytes consumed so far; for progress reporting.
  uint64_t bytes_read() const;
  uint64_t skipped_blank_rows() const { return blank_rows_; }
  // Records returned so far, the header included.
  uint64_t records() const { return records_; }
  // Fields in the first record; 0 before it has been read.
  size_t width() const { return width_; }
  const std::string& source_name() const { return name_; }

 private:
  class Decoder;
  enum class State { kFieldStart, kUnquoted, kQuoted, kAfterQuote };

  CsvReader(std::string name, const CsvOptions& options, std::istream* in,
            std::unique_ptr<std::istream> owned, std::unique_ptr<Decoder> decoder);
  static Result<std::unique_ptr<CsvReader>> Make(std::string name, const CsvOptions& options,
                                                 std::istream* in,
                                                 std::unique_ptr<std::istream> owned);

  // Reads one record, blank or not, into *fields; false at end of input.
  Result<bool> ReadRecord(std::vector<std::string>* fields);
  // Appends byte `c` to the current field, enforcing the size limits.
  Status Append(std::vector<std::string>* fields, char c);
  // Advances line_/col_ past byte `c`.
  void Track(char c);
  // `status` with "<name>: line L, column C" (the current position) prepended.
  Status ErrorHere(const Status& status) const;
  Status Fail(Status status);

  std::string name_;
  CsvOptions options_;
  std::unique_ptr<std::istream> owned_;  // set when Open() opened the file
  std::istream* in_;
  std::unique_ptr<Decoder> decoder_;

  std::string buf_;  // decoded UTF-8 not parsed yet
  size_t pos_ = 0;
  bool first_chunk_ = true;  // the BOM is looked for in the first chunk only

  State state_ = State::kFieldStart;
  bool skip_lf_ = false;   // a CR just ended a record: an LF next is its pair
  bool after_cr_ = false;  // for line counting: CRLF is one line break
  uint64_t line_ = 1;      // line of the next byte to parse
  uint64_t col_ = 0;       // characters already parsed on that line
  uint64_t record_line_ = 0;
  uint64_t quote_line_ = 0;
  uint64_t quote_col_ = 0;
  size_t record_bytes_ = 0;

  size_t width_ = 0;
  uint64_t records_ = 0;
  uint64_t blank_rows_ = 0;
  Status error_;
};

}  // namespace kongsi::node
