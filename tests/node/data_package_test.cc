// Data Packages in: the real packages of ../shared/data round-trip (import,
// export, re-import into a fresh node: same data, same metadata, exported
// CSVs equal to the merged data cell for cell), and bad packages are refused
// with errors that say where, changing nothing.
#include "node/data_package.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "node/csv_reader.h"
#include "node/op_validation.h"
#include "node/table_schema.h"
#include "package_test_util.h"
#include "test_cluster.h"

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

namespace json = boost::json;
using namespace package_test;

// Every exported CSV holds exactly the dataset's rows, in key order, cell
// for cell, under a header naming the schema's fields.
void ExpectCsvsEqualData(const Node& node, const std::string& coll, const std::string& dir,
                         const PackageExportReport& report) {
  Reader reader(node, coll);
  for (const DatasetSummary& s : report.datasets) {
    SCOPED_TRACE(s.dataset);
    const v1::Schema& schema = reader.cache().datasets.at(s.dataset).schema();
    auto csv = CsvReader::Open(dir + "/" + s.path);
    ASSERT_TRUE(csv.ok()) << csv.status().ToString();
    std::vector<std::string> got, want;
    ASSERT_TRUE(NextRow(**csv, &got));
    for (const v1::Field& f : schema.fields()) {
      if (!(schema.synthetic_key() && f.name() == schema.primary_key(0))) want.push_back(f.name());
    }
    EXPECT_EQ(got, want);
    uint64_t rows = 0;
    ASSERT_TRUE(reader
                    .ScanRecords(s.dataset, nullptr,
                                 [&](const v1::RecordState& r) {
                                   if (!NextRow(**csv, &got)) {
                                     ADD_FAILURE() << "the CSV ends before row " << rows + 1;
                                     return false;
                                   }
                                   EXPECT_EQ(got, RowText(r, schema)) << "row " << rows + 1;
                                   ++rows;
                                   return true;
                                 })
                    .ok());
    EXPECT_FALSE(NextRow(**csv, &got)) << "the CSV has more rows than the dataset";
    EXPECT_EQ(rows, s.rows);
  }
}

// The header, then the rows of a CSV file in sorted order.
std::vector<std::vector<std::string>> SortedRows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  auto csv = CsvReader::Open(path);
  EXPECT_TRUE(csv.ok()) << csv.status().ToString();
  if (!csv.ok()) return rows;
  for (std::vector<std::string> row; NextRow(**csv, &row);) rows.push_back(row);
  if (!rows.empty()) std::sort(rows.begin() + 1, rows.end());
  return rows;
}

// datapackage.json without its `kongsi` sections (collection, versions and
// node IDs differ between nodes).
json::value DescriptorWithoutKongsi(const std::string& dir) {
  json::value doc = json::parse(ReadAll(dir + "/datapackage.json"));
  doc.as_object().erase("kongsi");
  for (json::value& r : doc.as_object()["resources"].as_array()) r.as_object().erase("kongsi");
  return doc;
}

struct PackageCase {
  const char* dir;  // under KONGSI_SHARED_DATA
  bool lenient;     // the package's data contradicts its own schema
  size_t skipped;   // resources whose data is not in the folder
};

void PrintTo(const PackageCase& c, std::ostream* os) { *os << c.dir; }

class RealPackage : public ::testing::TestWithParam<PackageCase> {};

TEST_P(RealPackage, RoundTripsThroughAFreshNode) {
  const PackageCase& c = GetParam();
  TempDir tmp("kongsi_dp");
  NodeWithCollection a(tmp, "a");
  PackagePublishOptions options;
  options.collection = a.coll;
  options.lenient = c.lenient;
  auto imported = PublishDataPackage(*a.node, std::string(KONGSI_SHARED_DATA "/") + c.dir, options);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  size_t skipped = 0;
  for (const ResourceReport& r : imported->resources) {
    skipped += r.skipped;
    if (!r.skipped) {
      EXPECT_GT(r.publish.rows_read, 0u) << r.resource;
    }
  }
  EXPECT_EQ(skipped, c.skipped);
  EXPECT_TRUE(imported->metadata_changed);

  auto exported = ExportDataPackage(Reader(*a.node, a.coll), tmp.Sub("out1"), {});
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  ASSERT_EQ(exported->datasets.size(), imported->resources.size() - skipped);
  ExpectCsvsEqualData(*a.node, a.coll, tmp.Sub("out1"), *exported);

  // The export is a valid package by itself: strict import, same data.
  NodeWithCollection b(tmp, "b");
  PackagePublishOptions strict;
  strict.collection = b.coll;
  auto reimported = PublishDataPackage(*b.node, tmp.Sub("out1"), strict);
  ASSERT_TRUE(reimported.ok()) << reimported.status().ToString();
  for (const ResourceReport& r : reimported->resources) EXPECT_FALSE(r.skipped) << r.skip_reason;
  EXPECT_EQ(DataDigest(*a.node, a.coll), DataDigest(*b.node, b.coll));

  // And it exports again to the same files, metadata included.
  auto again = ExportDataPackage(Reader(*b.node, b.coll), tmp.Sub("out2"), {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(DescriptorWithoutKongsi(tmp.Sub("out1")), DescriptorWithoutKongsi(tmp.Sub("out2")));
  for (const DatasetSummary& s : exported->datasets) {
    // Rows are in key order; a synthetic key hashes the source text, which
    // a declared type may have normalised ("1.50" -> "1.5") on the way.
    EXPECT_TRUE(SortedRows(tmp.Sub("out1/" + s.path)) == SortedRows(tmp.Sub("out2/" + s.path)))
        << s.path << " differs between the first and second export";
  }
}

INSTANTIATE_TEST_SUITE_P(
    SharedData, RealPackage,
    ::testing::Values(
        PackageCase{"gdp", false, 1},  // top-economies.csv is not in the folder
        PackageCase{"population", false, 0},
        PackageCase{"country-codes", true, 0},  // a 56th column the schema lacks
        PackageCase{"fiscal-data-package-demos/madrid-municipal-gastos", false, 0},
        PackageCase{"fiscal-data-package-demos/au-budget", true, 0},  // "nfp" in integer columns
        PackageCase{"fiscal-data-package-demos/al-treasury-spending", false, 0},
        PackageCase{"fiscal-data-package-demos/eu-allocations-per-ms-2014-2020", false, 0},
        PackageCase{"fiscal-data-package-demos/eu-funds-absorption-rate-2007-2013", true, 0},
        PackageCase{"fiscal-data-package-demos/openspending-macedonia", false, 0},
        PackageCase{
            "fiscal-data-package-demos/eu-beneficiaries-from-eagf-and-the-eafrd-in-slovakia-2014",
            false, 0}),
    [](const ::testing::TestParamInfo<PackageCase>& info) {
      std::string name = FrictionlessName(
          std::string(info.param.dir).substr(std::string(info.param.dir).rfind('/') + 1));
      std::replace_if(
          name.begin(), name.end(), [](char ch) { return !std::isalnum(ch); }, '_');
      return name;
    });

const char kSmallCsv[] = "id,amount\n1,10\n2,20\n";

// A package with one resource over data/t.csv; `extra` goes inside it.
std::string OneResource(const std::string& extra) {
  return R"({"name": "p", "resources": [{"name": "t", "path": "data/t.csv")" + extra + "}]}";
}

std::string PublishError(const TempDir& tmp, const std::string& descriptor,
                         const std::map<std::string, std::string>& files, Node& node,
                         const std::string& coll) {
  static int n = 0;
  PackagePublishOptions options;
  options.collection = coll;
  auto r = PublishDataPackage(
      node, WritePackage(tmp, "bad" + std::to_string(++n), descriptor, files), options);
  return r.ok() ? "(no error)" : r.status().message();
}

TEST(DataPackage, BadDescriptorsAreRefusedNamingWhereAndChangeNothing) {
  TempDir tmp("kongsi_dp");
  NodeWithCollection a(tmp, "a");
  const VersionVector before = a.node->Version(a.coll);
  const std::map<std::string, std::string> data{{"data/t.csv", kSmallCsv}};
  auto error = [&](const std::string& descriptor) {
    return PublishError(tmp, descriptor, data, *a.node, a.coll);
  };
  EXPECT_THAT(error("{\n  \"resources\": [\n  }"),
              HasSubstr("datapackage.json: not valid JSON at line 3"));
  EXPECT_THAT(error("[]"), HasSubstr("a Data Package descriptor must be a JSON object"));
  EXPECT_THAT(error(R"({"resources": []})"),
              HasSubstr("datapackage.json: resources: must be a non-empty array"));
  EXPECT_THAT(
      error(R"({"resources": [{"name": "t", "path": "../t.csv"}]})"),
      HasSubstr("resources[0].path: \"../t.csv\" must be a relative path inside the package"));
  EXPECT_THAT(error(R"({"resources": [{"name": "t", "path": "/etc/passwd"}]})"),
              HasSubstr("resources[0].path"));
  EXPECT_THAT(error(R"({"resources": [{"name": "t"}]})"),
              HasSubstr("resources[0]: has neither \"path\" nor \"data\""));
  EXPECT_THAT(error(OneResource(R"(, "dialect": {"quoteChar": "'"})")),
              HasSubstr("resources[0].dialect.quoteChar: only"));
  EXPECT_THAT(error(OneResource(R"(, "dialect": {"header": false})")),
              HasSubstr("resources[0].dialect.header: only true is supported"));
  EXPECT_THAT(error(OneResource(R"(, "dialect": {"delimiter": ";;"})")),
              HasSubstr("resources[0].dialect.delimiter: must be one ASCII character"));
  EXPECT_THAT(error(OneResource(R"(, "schema": {"fields": [{"name": "id", "type": "money"}]})")),
              HasSubstr("resources[0].schema.fields[0].type: unknown type \"money\""));
  EXPECT_THAT(error(R"({"resources": [{"name": "_package", "path": "data/t.csv"}]})"),
              HasSubstr("resources[0].name: \"_package\" is reserved"));
  EXPECT_THAT(error(R"({"resources": [{"name": "t", "path": "data/t.csv"},
                                      {"name": "t", "path": "data/t.csv"}]})"),
              HasSubstr("resources[1]: dataset \"t\" is also resources[0]'s"));
  // The file's header does not match the schema's fields.
  EXPECT_THAT(
      error(OneResource(R"(, "schema": {"fields": [{"name": "id"}, {"name": "total"}]})")),
      HasSubstr("data/t.csv: column 2 is \"amount\" in the file but \"total\" in the schema "
                "(resources[0].schema)"));
  EXPECT_EQ(a.node->Version(a.coll), before);
  EXPECT_TRUE(Reader(*a.node, a.coll).cache().datasets.empty());
}

TEST(DataPackage, DataContradictingItsSchemaIsRefusedUnlessLenient) {
  TempDir tmp("kongsi_dp");
  NodeWithCollection a(tmp, "a");
  const std::string dir = WritePackage(
      tmp, "p",
      R"({"resources": [
           {"name": "good", "path": "data/good.csv",
            "schema": {"fields": [{"name": "id", "type": "integer"}]}},
           {"name": "t", "path": "data/t.csv",
            "schema": {"fields": [{"name": "id", "type": "integer"},
                                  {"name": "amount", "type": "integer", "constraints": {"minimum": 0}},
                                  {"name": "when", "type": "date"}]}}]})",
      {{"data/good.csv", "id\n1\n"},
       {"data/t.csv",
        "id,amount,when,note\n1,10,2020-01-01,x\n2,nfp,2020,y\n3,7.5,2021-02-03,z\n"}});
  PackagePublishOptions options;
  options.collection = a.coll;
  auto strict = PublishDataPackage(*a.node, dir, options);
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(strict.status().message(),
              HasSubstr("data/t.csv: the file has 4 columns but the schema has 3 fields"));
  EXPECT_THAT(strict.status().message(), HasSubstr("the lenient option imports columns after"));
  WriteAll(dir + "/data/t.csv", "id,amount,when\n1,10,2020-01-01\n2,nfp,2020\n3,7.5,2021-02-03\n");
  strict = PublishDataPackage(*a.node, dir, options);
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(strict.status().message(),
              HasSubstr("data/t.csv: line 3, column 2 (\"amount\"): \"nfp\" is not an integer, but "
                        "resources[1].schema declares it integer (fields \"when\" fail too)"));
  // Checked before anything was published: not even the good resource.
  EXPECT_TRUE(Reader(*a.node, a.coll).cache().datasets.empty());

  WriteAll(dir + "/data/t.csv",
           "id,amount,when,note\n1,10,2020-01-01,x\n2,nfp,2020,y\n3,7.5,2021-02-03,z\n");
  options.lenient = true;
  auto lenient = PublishDataPackage(*a.node, dir, options);
  ASSERT_TRUE(lenient.ok()) << lenient.status().ToString();
  const std::vector<std::string>& notes = lenient->resources[1].notes;
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr("added: \"note\"")));
  EXPECT_THAT(notes,
              ::testing::Contains(
                  "field \"amount\" is declared integer, but line 3: \"nfp\" is not an integer; "
                  "imported as string"));
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr("field \"when\" is declared date")));
  auto t = a.node->Dataset(a.coll, "t");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->schema().fields_size(), 5);  // _row, id, amount, when, note
  EXPECT_EQ(FindField(t->schema(), "amount")->type(), "string");
  EXPECT_EQ(FindField(t->schema(), "when")->type(), "string");
  EXPECT_EQ(FindField(t->schema(), "note")->type(), "string");
  EXPECT_EQ(FindField(t->schema(), "id")->type(), "integer");
}

TEST(DataPackage, UnavailableDataIsSkippedWithAReasonNeverFetched) {
  TempDir tmp("kongsi_dp");
  NodeWithCollection a(tmp, "a");
  const std::string dir = WritePackage(tmp, "p", R"({"name": "p", "resources": [
      {"name": "remote", "path": "https://example.org/t.csv"},
      {"name": "zipped", "path": "data/t.csv.zip"},
      {"name": "inline", "data": [["id"], [1]]},
      {"name": "parts", "path": ["data/a.csv", "data/b.csv"]},
      {"name": "sheet", "path": "data/t.xlsx", "format": "xlsx"},
      {"name": "gone", "path": "data/gone.csv"},
      {"name": "remote-schema", "path": "data/t.csv", "schema": "https://example.org/s.json"},
      {"name": "t", "path": "data/t.csv"}]})",
                                       {{"data/t.csv", kSmallCsv}});
  PackagePublishOptions options;
  options.collection = a.coll;
  auto r = PublishDataPackage(*a.node, dir + "/datapackage.json", options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->resources.size(), 8u);
  const std::vector<std::string> reasons = {"remote data",
                                            "compressed data",
                                            "inline data",
                                            "multi-part data (2 files)",
                                            "format \"xlsx\" is not CSV",
                                            "gone.csv is missing",
                                            "schema is at a URL"};
  for (size_t i = 0; i < reasons.size(); ++i) {
    EXPECT_TRUE(r->resources[i].skipped) << r->resources[i].resource;
    EXPECT_THAT(r->resources[i].skip_reason, HasSubstr(reasons[i]));
  }
  EXPECT_FALSE(r->resources[7].skipped);
  EXPECT_EQ(r->resources[7].publish.rows_read, 2u);

  // Nothing importable at all is an error listing why.
  const std::string none = WritePackage(tmp, "none", R"({"resources": [
      {"name": "remote", "path": "http://example.org/t.csv"}]})");
  auto error = PublishDataPackage(*a.node, none, options);
  ASSERT_FALSE(error.ok());
  EXPECT_THAT(error.status().message(),
              HasSubstr("no resource can be imported: resources[0] (\"remote\"): remote data"));
}

TEST(DataPackage, DialectEncodingAndKeyColumnsAreHonoured) {
  TempDir tmp("kongsi_dp");
  NodeWithCollection a(tmp, "a");
  const std::string dir = WritePackage(
      tmp, "p",
      R"({"name": "p", "resources": [
           {"name": "t", "path": "data/t.csv", "encoding": "ISO-8859-1",
            "dialect": {"delimiter": ";", "lineTerminator": "\r\n"},
            "schema": {"fields": [{"name": "code"}, {"name": "city"}], "missingValues": ["", "n/a"]}},
           {"name": "u", "path": "data/u.tsv"}]})",
      {{"data/t.csv", "code;city\r\nA;S\xE3o Paulo\r\nB;n/a\r\n"}, {"data/u.tsv", "x\ty\n1\t2\n"}});
  PackagePublishOptions options;
  options.collection = a.coll;
  options.key_columns = {{"t", {"Code"}}};
  auto wrong = PublishDataPackage(*a.node, dir, options);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(
      wrong.status().message(),
      HasSubstr("data/t.csv: resources[0]: key column \"Code\" is not in the header (did you "
                "mean \"code\"?)"));
  options.key_columns = {{"nosuch", {"code"}}};
  auto unknown = PublishDataPackage(*a.node, dir, options);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("key columns given for \"nosuch\", but no resource"));
  EXPECT_TRUE(Reader(*a.node, a.coll).cache().datasets.empty());

  options.key_columns = {{"t", {"code"}}};
  auto r = PublishDataPackage(*a.node, dir, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto t = testing::ScanVisible(*a.node, a.coll, "t");
  EXPECT_EQ(t["A"]["city"], "São Paulo");
  EXPECT_FALSE(t["B"].contains("city"));  // "n/a" is a missing value
  auto u = testing::ScanVisible(*a.node, a.coll, "u");
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u.begin()->second.at("y"), "2");

  EXPECT_THAT(a.node->Dataset(a.coll, "t")->schema().primary_key(), ::testing::ElementsAre("code"));
}

TEST(DataPackage, RepublishingTheSamePackageChangesNothing) {
  TempDir tmp("kongsi_dp");
  NodeWithCollection a(tmp, "a");
  PackagePublishOptions options;
  options.collection = a.coll;
  const std::string dir = KONGSI_SHARED_DATA "/fiscal-data-package-demos/al-treasury-spending";
  auto first = PublishDataPackage(*a.node, dir, options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto again = PublishDataPackage(*a.node, dir, options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->resources[0].publish.ops, 0u);
  EXPECT_FALSE(again->metadata_changed);
  EXPECT_EQ(again->version, first->version);
  // The first publish's metadata commit came after its resources' marks
  // (node/publish_mark.h): from now on the same files are not compared
  // again, unless asked.
  auto third = PublishDataPackage(*a.node, dir, options);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_TRUE(third->resources[0].publish.unchanged);
  options.recheck = true;
  auto rechecked = PublishDataPackage(*a.node, dir, options);
  ASSERT_TRUE(rechecked.ok()) << rechecked.status().ToString();
  EXPECT_FALSE(rechecked->resources[0].publish.unchanged);
  EXPECT_EQ(rechecked->resources[0].publish.ops, 0u);
  EXPECT_EQ(rechecked->version, first->version);
}

TEST(DataPackage, FrictionlessNames) {
  EXPECT_EQ(FrictionlessName("gdp"), "gdp");
  EXPECT_EQ(FrictionlessName("Sum (EURO)"), "sum-euro");
  EXPECT_EQ(FrictionlessName("2007-2013_Funds.v2"), "2007-2013_funds.v2");
  EXPECT_EQ(FrictionlessName("Буџет 2015"), "2015");
  EXPECT_EQ(FrictionlessName("Буџет"), "data");
  EXPECT_EQ(FrictionlessName("../../etc"), "etc");
  EXPECT_EQ(FrictionlessName(std::string(300, 'a')).size(), 200u);
}

}  // namespace
}  // namespace kongsi::node
