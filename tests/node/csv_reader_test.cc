#include "node/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;
using Rows = std::vector<std::vector<std::string>>;

// A file with exactly `bytes`, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(std::string_view bytes, const std::string& name = "t.csv") {
    dir_ = std::filesystem::temp_directory_path() /
           ("kongsi_csv_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / name).string();
    std::ofstream(path_, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string path_;
};

Result<Rows> Drain(CsvReader* reader) {
  Rows rows;
  std::vector<std::string> fields;
  for (;;) {
    Result<bool> got = reader->Next(&fields);
    if (!got.ok()) return got.status();
    if (!*got) return rows;
    rows.push_back(fields);
  }
}

Result<Rows> ReadAll(std::string_view bytes, CsvOptions options = CsvOptions()) {
  std::istringstream in{std::string(bytes)};
  auto reader = CsvReader::FromStream(&in, "t.csv", options);
  if (!reader.ok()) return reader.status();
  return Drain(reader->get());
}

// The same result whatever the chunk size, so characters, CRLFs and quotes
// split across reads are all exercised.
void ExpectRows(std::string_view bytes, const Rows& want, CsvOptions options = CsvOptions()) {
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, kCsvChunkBytes}) {
    options.chunk_bytes = chunk;
    Result<Rows> got = ReadAll(bytes, options);
    ASSERT_TRUE(got.ok()) << "chunk " << chunk << ": " << got.status().ToString();
    EXPECT_EQ(*got, want) << "chunk " << chunk;
  }
}

// The error message, the same for every chunk size.
std::string ErrorOf(std::string_view bytes, CsvOptions options = CsvOptions()) {
  std::string first;
  for (size_t chunk : {size_t{1}, size_t{3}, kCsvChunkBytes}) {
    options.chunk_bytes = chunk;
    Result<Rows> got = ReadAll(bytes, options);
    if (got.ok()) return "(no error)";
    if (first.empty()) first = got.status().message();
    EXPECT_EQ(got.status().message(), first) << "chunk " << chunk;
  }
  return first;
}

TEST(CsvReader, ReadsLfCrlfAndLoneCrLineEndings) {
  const Rows want = {{"a", "b"}, {"1", "2"}, {"3", "4"}, {"5", "6"}};
  ExpectRows("a,b\n1,2\n3,4\n5,6\n", want);
  ExpectRows("a,b\r\n1,2\r\n3,4\r\n5,6\r\n", want);
  ExpectRows("a,b\r1,2\r3,4\r5,6", want);
  ExpectRows("a,b\r\n1,2\n3,4\r5,6\r\n", want);
}

TEST(CsvReader, QuotedFieldsKeepDelimitersNewlinesAndDoubledQuotes) {
  ExpectRows("name,note\n\"Smith, J\",\"line1\nline2\"\n\"say \"\"hi\"\"\",\"\"\n",
             {{"name", "note"}, {"Smith, J", "line1\nline2"}, {"say \"hi\"", ""}});
  // A CRLF inside quotes is content: kept byte for byte.
  ExpectRows("a\n\"x\r\ny\"\n", {{"a"}, {"x\r\ny"}});
}

TEST(CsvReader, LineIsWhereTheRecordStartsCountingEmbeddedNewlines) {
  std::istringstream in("h1,h2\n\"multi\nline\r\nfield\",x\n\nlast,y\n");
  auto reader = CsvReader::FromStream(&in, "t.csv");
  ASSERT_TRUE(reader.ok());
  std::vector<std::string> f;
  std::vector<uint64_t> lines;
  while (*(*reader)->Next(&f)) lines.push_back((*reader)->line());
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 2, 6}));
  EXPECT_EQ((*reader)->skipped_blank_rows(), 1u);
}

TEST(CsvReader, SemicolonAndTabDelimiters) {
  CsvOptions semi;
  semi.delimiter = ';';
  ExpectRows("a;b\n1,5;\"x;y\"\n", {{"a", "b"}, {"1,5", "x;y"}}, semi);
  CsvOptions tab;
  tab.delimiter = '\t';
  ExpectRows("a\tb\n1\t\n", {{"a", "b"}, {"1", ""}}, tab);
}

TEST(CsvReader, StripsUtf8BomFromAFile) {
  TempFile file("\xEF\xBB\xBFid,name\n1,\xC3\xA9\n");
  auto reader = CsvReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Result<Rows> rows = Drain(reader->get());
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, (Rows{{"id", "name"}, {"1", "\xC3\xA9"}}));
  EXPECT_EQ((*reader)->bytes_read(), std::filesystem::file_size(file.path()));
  // Only a leading BOM is one; elsewhere U+FEFF is content.
  ExpectRows("a\n\xEF\xBB\xBFx\n", {{"a"}, {"\xEF\xBB\xBFx"}});
}

TEST(CsvReader, BlankRowsAreSkippedAndCounted) {
  CsvOptions semi;
  semi.delimiter = ';';
  const std::string text = "a;b;c\r\n\r\n;;\r\n1;2;3\r\n\"\";;\r\n\n4;;\r\n;;";
  ExpectRows(text, {{"a", "b", "c"}, {"1", "2", "3"}, {"4", "", ""}}, semi);
  std::istringstream in(text);
  auto reader = CsvReader::FromStream(&in, "t.csv", semi);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(Drain(reader->get()).ok());
  EXPECT_EQ((*reader)->skipped_blank_rows(), 5u);
  EXPECT_EQ((*reader)->records(), 3u);
}

TEST(CsvReader, EmptyFileIsAnError) {
  EXPECT_EQ(ErrorOf(""), "t.csv: file is empty");
  EXPECT_EQ(ErrorOf("\xEF\xBB\xBF"), "t.csv: file is empty");
  EXPECT_EQ(ErrorOf("\n\r\n,,\n"), "t.csv: file is empty (3 blank lines, no header)");
}

TEST(CsvReader, RaggedRowNamesLineAndWidths) {
  EXPECT_EQ(ErrorOf("a,b,c\n1,2,3\n\"x\ny\",5\n"), "t.csv: line 3: row has 2 fields, header has 3");
  EXPECT_EQ(ErrorOf("a,b\n1,2,3\n"), "t.csv: line 2: row has 3 fields, header has 2");
}

TEST(CsvReader, UnterminatedQuoteNamesWhereItOpened) {
  EXPECT_EQ(ErrorOf("a,b\n1,\"abc\n2,3\n"),
            "t.csv: line 2, column 3: unterminated quoted field 2 (the quote opened here is "
            "still open at the end of the file)");
}

TEST(CsvReader, TextAfterClosingQuoteIsAnError) {
  EXPECT_THAT(
      ErrorOf("a,b\n\"x\"y,1\n"),
      HasSubstr("t.csv: line 2, column 4: unexpected text after the closing quote of field 1"));
}

TEST(CsvReader, BareQuoteInUnquotedFieldIsKeptOrRefused) {
  ExpectRows("size,item\n12\" pipe,x\n", {{"size", "item"}, {"12\" pipe", "x"}});
  CsvOptions strict;
  strict.allow_bare_quotes = false;
  EXPECT_EQ(ErrorOf("size,item\n12\" pipe,x\n", strict),
            "t.csv: line 2, column 3: a quote appears inside unquoted field 1");
}

TEST(CsvReader, InvalidUtf8NamesLineColumnAndOffset) {
  // Line 2 is x, e-acute (2 bytes), comma, then a lone Latin-1 0xE9.
  EXPECT_EQ(ErrorOf("a,b\nx\xC3\xA9,\xE9t\n"),
            "t.csv: line 2, column 4: invalid UTF-8 (byte 0xE9 at file offset 8); pass "
            "--encoding to name the file's encoding, e.g. --encoding CP850");
  EXPECT_THAT(ErrorOf("a\n\xC0\xAF\n"), HasSubstr("line 2, column 1: invalid UTF-8"));  // overlong
  EXPECT_THAT(ErrorOf("a\n\xED\xA0\x80\n"),
              HasSubstr("line 2, column 1: invalid UTF-8"));  // surrogate
  EXPECT_THAT(ErrorOf("a\nb\xC3"),
              HasSubstr("line 2, column 2: invalid UTF-8: the file ends inside a character"));
  ExpectRows("a\n\xF0\x9F\x98\x80,\xE2\x82\xAC\n", {{"a"}, {"\xF0\x9F\x98\x80,\xE2\x82\xAC"}}, [] {
    CsvOptions o;
    o.delimiter = ';';
    return o;
  }());
}

TEST(CsvReader, NulByteSuggestsUtf16) {
  EXPECT_THAT(ErrorOf(std::string("a\0,\0b\0", 6)), HasSubstr("line 1, column 2: NUL byte"));
}

TEST(CsvReader, DecodesCp850Latin1AndWindows1252) {
  struct Case {
    const char* encoding;
    std::string bytes;
  };
  for (const Case& c : {Case{"CP850", "name\nCaf\x82\n"}, Case{"LATIN1", "name\nCaf\xE9\n"},
                        Case{"WINDOWS-1252", "name\nCaf\xE9\n"}}) {
    TempFile file(c.bytes);
    CsvOptions options;
    options.encoding = c.encoding;
    auto reader = CsvReader::Open(file.path(), options);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    Result<Rows> rows = Drain(reader->get());
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, (Rows{{"name"}, {"Caf\xC3\xA9"}})) << c.encoding;
  }
  CsvOptions cp1252;
  cp1252.encoding = "WINDOWS-1252";
  ExpectRows("n\n\x80 5\n", {{"n"}, {"\xE2\x82\xAC 5"}}, cp1252);
  // 0x81 is unassigned in Windows-1252.
  EXPECT_EQ(ErrorOf("n\nab\x81\n", cp1252),
            "t.csv: line 2, column 3: byte 0x81 at file offset 4 is not valid WINDOWS-1252");
  // Without --encoding the same bytes are refused, not guessed.
  EXPECT_THAT(ErrorOf("name\nCaf\x82\n"), HasSubstr("line 2, column 4: invalid UTF-8"));
}

TEST(CsvReader, DecodesUtf16SplitAcrossChunks) {
  // "id,n\n1,é\n" as UTF-16LE with a BOM: every character is split by
  // chunk sizes 1 and 3, which makes iconv report an incomplete input.
  const std::string bytes("\xFF\xFEi\0d\0,\0n\0\n\0001\0,\0\xE9\0\n\0", 20);
  CsvOptions utf16;
  utf16.encoding = "UTF-16";
  ExpectRows(bytes, {{"id", "n"}, {"1", "\xC3\xA9"}}, utf16);
  EXPECT_THAT(ErrorOf(bytes.substr(0, 19), utf16),
              HasSubstr("the file ends inside a UTF-16 character"));
}

TEST(CsvReader, RefusesBadOptions) {
  CsvOptions bad_encoding;
  bad_encoding.encoding = "NOT-AN-ENCODING";
  EXPECT_THAT(ReadAll("a\n", bad_encoding).status().message(),
              HasSubstr("unknown encoding \"NOT-AN-ENCODING\""));
  bad_encoding.encoding = "LATIN1//IGNORE";
  EXPECT_FALSE(ReadAll("a\n", bad_encoding).ok());
  CsvOptions quote;
  quote.delimiter = '"';
  EXPECT_EQ(ReadAll("a\n", quote).status().code(), Status::Code::kInvalidArgument);
}

TEST(CsvReader, OpenNamesMissingFilesAndDirectories) {
  auto missing = CsvReader::Open("/nonexistent/kongsi/x.csv");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "/nonexistent/kongsi/x.csv: no such file");
  auto dir = CsvReader::Open(std::filesystem::temp_directory_path().string());
  EXPECT_EQ(dir.status().code(), Status::Code::kInvalidArgument);
}

TEST(CsvReader, ErrorsAreSticky) {
  std::istringstream in("a,b\n1\n2,3\n");
  auto reader = CsvReader::FromStream(&in, "t.csv");
  ASSERT_TRUE(reader.ok());
  std::vector<std::string> f;
  ASSERT_TRUE(*(*reader)->Next(&f));
  Result<bool> first = (*reader)->Next(&f);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ((*reader)->Next(&f).status().message(), first.status().message());
}

TEST(CsvReader, FieldLimitAtAndPastItsEdge) {
  const std::string at(kMaxFieldBytes, 'x');
  Result<Rows> ok = ReadAll("h\n" + at + "\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)[1][0].size(), kMaxFieldBytes);
  Result<Rows> ok_quoted = ReadAll("h\n\"" + at + "\"\n");
  ASSERT_TRUE(ok_quoted.ok());
  for (const std::string& text : {"h\n" + at + "y\n", "h\n\"" + at + "y\"\n"}) {
    Result<Rows> over = ReadAll(text);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.status().code(), Status::Code::kResourceExhausted);
    EXPECT_THAT(over.status().message(), HasSubstr("line 2, column"));
    EXPECT_THAT(over.status().message(),
                HasSubstr("field 1 is longer than 1048576 bytes, the limit (kMaxFieldBytes)"));
  }
}

TEST(CsvReader, FieldCountLimitAtAndPastItsEdge) {
  std::string at(kMaxFields - 1, ',');  // kMaxFields empty-but-one fields
  Result<Rows> ok = ReadAll("x" + at + "\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)[0].size(), kMaxFields);
  Result<Rows> over = ReadAll("x" + at + ",\n");
  EXPECT_EQ(over.status().code(), Status::Code::kResourceExhausted);
  EXPECT_THAT(
      over.status().message(),
      HasSubstr("line 1, column 4097: row has more than 4096 fields, the limit (kMaxFields)"));
}

TEST(CsvReader, RecordLimitAtAndPastItsEdge) {
  const size_t per_field = kMaxRecordBytes / 16;  // 16 fields of 1 MiB fill a record exactly
  std::string row;
  for (int i = 0; i < 16; ++i) row += (i ? "," : "") + std::string(per_field, 'a' + i);
  Result<Rows> ok = ReadAll(row + "\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  Result<Rows> over = ReadAll(row + ",z\n");
  EXPECT_EQ(over.status().code(), Status::Code::kResourceExhausted);
  EXPECT_THAT(
      over.status().message(),
      HasSubstr("row (from line 1) is longer than 16777216 bytes, the limit (kMaxRecordBytes)"));
}

// Rows, blank rows and total field bytes of a CSV as Python's csv module
// reads it (utf-8-sig strips the BOM; newline='' keeps quoted newlines), so
// the expectations come from an independent reader instead of this file.
struct PythonCount {
  uint64_t rows = 0, blank = 0, bytes = 0;
};
std::optional<PythonCount> CountWithPython(const std::string& path, char delimiter) {
  const std::string cmd =
      "python3 -c \"import csv,sys\n"
      "rows=list(csv.reader(open(sys.argv[1],newline='',encoding='utf-8-sig'),delimiter=sys.argv[2]"
      "))\n"
      "full=[r for r in rows if any(r)]\n"
      "print(len(full), len(rows)-len(full), sum(len(f.encode()) for r in full for f in r))\" '" +
      path + "' '" + std::string(1, delimiter) + "' 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  PythonCount c;
  const int n = std::fscanf(p, "%lu %lu %lu", &c.rows, &c.blank, &c.bytes);
  if (::pclose(p) != 0 || n != 3) return std::nullopt;
  return c;
}

void ExpectSameAsPython(const std::string& path, char delimiter) {
  std::optional<PythonCount> want = CountWithPython(path, delimiter);
  ASSERT_TRUE(want.has_value()) << "python3 could not count " << path;  // install-deps installs python3
  CsvOptions options;
  options.delimiter = delimiter;
  auto reader = CsvReader::Open(path, options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<std::string> fields;
  uint64_t bytes = 0;
  for (;;) {
    Result<bool> got = (*reader)->Next(&fields);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    if (!*got) break;
    for (const std::string& f : fields) bytes += f.size();
  }
  EXPECT_EQ((*reader)->records(), want->rows);
  EXPECT_EQ((*reader)->skipped_blank_rows(), want->blank);
  EXPECT_EQ(bytes, want->bytes);
  EXPECT_EQ((*reader)->bytes_read(), std::filesystem::file_size(path));
}

TEST(CsvReader, ReadsWorldBankGdpLikePython) {
  // Python: 13980 rows (header included), no blank rows, 4 columns.
  ExpectSameAsPython(KONGSI_SHARED_DATA "/gdp/data/gdp.csv", ',');
}

TEST(CsvReader, ReadsNorthMacedoniaBudgetLikePython) {
  // BOM, ';', CRLF, Cyrillic, 2.5 MB (several chunks). Python: 10154 rows,
  // 238 blank ";;;;;;;;;;" rows.
  ExpectSameAsPython(
      KONGSI_SHARED_DATA
      "/fiscal-data-package-demos/openspending-macedonia/MFBudzetIRebalansNaRMmk-MK.csv",
      ';');
}

}  // namespace
}  // namespace kongsi::node
