// Data Packages out: an export keeps what the publisher said (descriptor,
// schema, licences) and adds what Kongsi knows (contributions, conflicts).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "node/data_package.h"
#include "package_test_util.h"

namespace kongsi::node {
namespace {

namespace json = boost::json;
using namespace package_test;

json::object ReadDescriptor(const std::string& dir) {
  return json::parse(ReadAll(dir + "/datapackage.json")).as_object();
}

const json::object& ResourceNamed(const json::object& descriptor, const std::string& name) {
  for (const json::value& r : descriptor.at("resources").as_array()) {
    if (r.at("name").as_string() == name) return r.as_object();
  }
  static const json::object kNone;
  ADD_FAILURE() << "no resource " << name;
  return kNone;
}

const json::object& FieldNamed(const json::object& resource, const std::string& name) {
  for (const json::value& f : resource.at("schema").at("fields").as_array()) {
    if (f.at("name").as_string() == name) return f.as_object();
  }
  static const json::object kNone;
  ADD_FAILURE() << "no field " << name;
  return kNone;
}

TEST(DataPackageExport, KeepsWhatThePublisherSaid) {
  TempDir tmp("kongsi_dp");
  NodeWithCollection a(tmp, "a");
  PackagePublishOptions options;
  options.collection = a.coll;
  options.lenient = true;
  ASSERT_TRUE(PublishDataPackage(*a.node, KONGSI_SHARED_DATA "/country-codes", options).ok());
  ASSERT_TRUE(
      PublishDataPackage(
          *a.node, KONGSI_SHARED_DATA "/fiscal-data-package-demos/al-treasury-spending", options)
          .ok());
  auto exported = ExportDataPackage(Reader(*a.node, a.coll), tmp.Sub("out"), {});
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  json::object d = ReadDescriptor(tmp.Sub("out"));
  json::object original =
      json::parse(ReadAll(KONGSI_SHARED_DATA "/country-codes/datapackage.json")).as_object();

  // Two packages: each resource keeps its own package's licences and sources.
  const json::object& codes = ResourceNamed(d, "country-codes");
  EXPECT_EQ(codes.at("licenses"), original.at("licenses"));
  EXPECT_EQ(codes.at("sources"), original.at("sources"));
  EXPECT_EQ(d.at("licenses"), original.at("licenses"));  // the union: al-treasury declares none
  EXPECT_EQ(d.at("kongsi").at("packages").at("country-codes").at("contributors"),
            original.at("contributors"));
  EXPECT_EQ(d.at("kongsi")
                .at("packages")
                .at("al-treasury-spending")
                .at("mapping")
                .at("measures")
                .as_object()
                .size(),
            1u);
  // Schema properties Kongsi does not model come back; the extra column is declared.
  EXPECT_EQ(FieldNamed(codes, "ISO3166-1-Alpha-3").at("constraints"),
            json::parse(R"({"unique": true, "minLength": 3, "maxLength": 3})"));
  EXPECT_EQ(FieldNamed(codes, "ISO3166-1-Alpha-3").at("title"), "ISO3166-1-Alpha-3");
  EXPECT_EQ(FieldNamed(codes, "wikidata_id").at("type"), "string");
  EXPECT_EQ(codes.at("path"), "data/country-codes.csv");
  EXPECT_EQ(codes.at("encoding"), "utf-8");
  // Who contributed what.
  const json::object& k = codes.at("kongsi").as_object();
  EXPECT_EQ(k.at("dataset"), "country-codes");
  EXPECT_EQ(k.at("rows"), 249);
  ASSERT_EQ(k.at("organisations").as_array().size(), 1u);
  EXPECT_EQ(k.at("organisations").at(0).at("node_id"),
            json::value(a.node->identity().node_id_text()));
  EXPECT_EQ(k.at("organisations").at(0).at("rows"), 249);
  EXPECT_EQ(k.at("conflicts"), 0);
  EXPECT_EQ(k.at("synthetic_key"), true);
  EXPECT_EQ(d.at("kongsi").at("collection"), json::value(HexId(a.coll)));
}

TEST(DataPackageExport, SummarisesContributionsAndConflictsOfEveryOrganisation) {
  TempDir tmp("kongsi_dp");
  NodeWithCollection a(tmp, "a");
  auto b = testing::InitNode(tmp.Sub("b"), "b");
  ASSERT_TRUE(
      a.node
          ->CommitOps(a.coll, {testing::GrantOp(b->identity().node_id(), v1::ROLE_WRITER)}, "grant")
          .ok());
  const char kDescriptor[] = R"({"name": "p", "resources": [{"name": "t", "path": "data/t.csv",
      "schema": {"fields": [{"name": "id", "type": "integer"}, {"name": "v"}, {"name": "w"}],
                 "primaryKey": "id"}}]})";
  const std::string pa =
      WritePackage(tmp, "pa", kDescriptor, {{"data/t.csv", "id,v,w\n1,a,x\n2,b,y\n3,c,z\n"}});
  const std::string pb = WritePackage(tmp, "pb", kDescriptor,
                                      {{"data/t.csv", "id,v,w\n1,B1,x\n2,b,y\n3,C,z\n4,d,w\n"}});
  PackagePublishOptions options;
  options.collection = a.coll;
  ASSERT_TRUE(PublishDataPackage(*a.node, pa, options).ok());
  const VersionVector first = a.node->Version(a.coll);
  ASSERT_TRUE(testing::SyncInto(*a.node, *b, a.coll));
  ASSERT_TRUE(PublishDataPackage(*b, pb, options).ok());  // B edits rows 1 and 3, adds 4
  WriteAll(pa + "/data/t.csv", "id,v,w\n1,A1,x\n2,b,y\n3,c,z\n");
  ASSERT_TRUE(PublishDataPackage(*a.node, pa, options).ok());  // A edits row 1 concurrently
  ASSERT_TRUE(testing::SyncInto(*b, *a.node, a.coll));
  ASSERT_TRUE(testing::SyncInto(*a.node, *b, a.coll));

  auto from_a = ExportDataPackage(Reader(*a.node, a.coll), tmp.Sub("from-a"), {});
  auto from_b = ExportDataPackage(Reader(*b, a.coll), tmp.Sub("from-b"), {});
  ASSERT_TRUE(from_a.ok() && from_b.ok());
  ASSERT_EQ(from_a->datasets.size(), 1u);
  const DatasetSummary& s = from_a->datasets[0];
  EXPECT_EQ(s.rows, 4u);
  EXPECT_EQ(s.conflicts, 1u);  // row 1, field v: "A1" and "B1" are concurrent
  ASSERT_EQ(s.organisations.size(), 2u);
  std::map<std::string, OrgContribution> by;
  for (const auto& c : s.organisations) by[c.node_id] = c;
  const OrgContribution& ca = by[a.node->identity().node_id_text()];
  const OrgContribution& cb = by[b->identity().node_id_text()];
  EXPECT_GE(ca.rows, 3u);              // w of rows 1-3 is A's
  EXPECT_GE(cb.rows, 2u);              // rows 3 and 4
  EXPECT_EQ(ca.cells + cb.cells, 8u);  // v and w of four rows
  EXPECT_EQ(s.version.entries().size(), 2u);
  EXPECT_EQ(ReadAll(tmp.Sub("from-a/data/t.csv")), ReadAll(tmp.Sub("from-b/data/t.csv")));
  EXPECT_EQ(ReadDescriptor(tmp.Sub("from-a")).at("resources").at(0).at("kongsi"),
            ReadDescriptor(tmp.Sub("from-b")).at("resources").at(0).at("kongsi"));

  // Provenance columns, declared in the schema; and an earlier version.
  PackageExportOptions with;
  with.provenance = true;
  with.as_of = first;
  auto old = ExportDataPackage(Reader(*a.node, a.coll), tmp.Sub("old"), with);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  const std::string a_id = a.node->identity().node_id_text();
  EXPECT_EQ(ReadAll(tmp.Sub("old/data/t.csv")),
            "id,v,w,id.by,v.by,w.by\n1,a,x," + a_id + "," + a_id + "," + a_id + "\n2,b,y," + a_id +
                "," + a_id + "," + a_id + "\n3,c,z," + a_id + "," + a_id + "," + a_id + "\n");
  json::object d = ReadDescriptor(tmp.Sub("old"));
  const json::object& t = ResourceNamed(d, "t");
  EXPECT_EQ(FieldNamed(t, "v.by").at("type"), "string");
  EXPECT_EQ(t.at("schema").at("fields").as_array().size(), 6u);
  EXPECT_EQ(t.at("kongsi").at("provenance_columns"), true);
  EXPECT_EQ(d.at("kongsi").at("version"),
            json::value(Reader(*a.node, a.coll).FormatVersion(first)));
  EXPECT_EQ(old->datasets[0].rows, 3u);
}

TEST(DataPackageExport, InferredTypesKeepTheirTextThroughAPackage) {
  TempDir tmp("kongsi_dp");
  NodeWithCollection a(tmp, "a");
  WriteAll(tmp.Sub("t.csv"), "id,amount,when\n001,1.50,2020-01-02\n2,1e3,\n");
  PublishOptions plain;
  plain.collection = a.coll;
  plain.dataset = "Budget Lines";  // not a Frictionless name: kept through kongsi.dataset
  plain.key_columns = {"id"};
  ASSERT_TRUE(Publish(*a.node, tmp.Sub("t.csv"), plain).ok());
  auto exported = ExportDataPackage(Reader(*a.node, a.coll), tmp.Sub("out"), {});
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(exported->datasets[0].path, "data/budget-lines.csv");
  EXPECT_EQ(ReadAll(tmp.Sub("out/data/budget-lines.csv")),
            "id,amount,when\n001,1.50,2020-01-02\n2,1e3,\n");

  NodeWithCollection b(tmp, "b");
  PackagePublishOptions options;
  options.collection = b.coll;
  ASSERT_TRUE(PublishDataPackage(*b.node, tmp.Sub("out"), options).ok());
  EXPECT_EQ(DataDigest(*a.node, a.coll), DataDigest(*b.node, b.coll));
  EXPECT_TRUE(b.node->Dataset(b.coll, "Budget Lines").ok());
}


}  // namespace
}  // namespace kongsi::node
