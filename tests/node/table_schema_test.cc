#include "node/table_schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>

#include "node/csv_reader.h"

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(std::string_view json) {
  Result<v1::Schema> s = ParseTableSchema(json, "schema.json");
  return s.ok() ? "(no error)" : s.status().message();
}

TEST(TableSchema, ParsesFieldsKeyAndMissingValues) {
  Result<v1::Schema> s = ParseTableSchema(R"({
    "fields": [
      {"name": "id", "type": "integer", "constraints": {"required": true, "unique": true}},
      {"name": "when", "type": "date", "format": "default", "title": "When", "description": "d"},
      {"name": "note", "rdfType": "http://schema.org/Text"},
      {"name": "Year", "type": "year"}
    ],
    "primaryKey": "id",
    "missingValues": ["", "NA"]
  })",
                                          "schema.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->fields_size(), 4);
  EXPECT_EQ(s->fields(0).type(), "integer");
  EXPECT_TRUE(s->fields(0).required());
  EXPECT_EQ(s->fields(1).format(), "default");
  EXPECT_EQ(s->fields(1).title(), "When");
  EXPECT_EQ(s->fields(1).description(), "d");
  EXPECT_EQ(s->fields(2).type(), "string");  // Frictionless' default
  EXPECT_EQ(s->fields(3).type(), "year");
  EXPECT_THAT(s->primary_key(), ::testing::ElementsAre("id"));
  EXPECT_THAT(s->missing_values(), ::testing::ElementsAre("", "NA"));

  Result<v1::Schema> compound =
      ParseTableSchema(R"({"fields":[{"name":"a"},{"name":"b"}],"primaryKey":["b","a"]})", "s");
  ASSERT_TRUE(compound.ok());
  EXPECT_THAT(compound->primary_key(), ::testing::ElementsAre("b", "a"));
}

TEST(TableSchema, JsonSyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(ErrorOf("{\n  \"fields\": [\n    {\"name\": \"a\"},\n  ]\n}"),
            "schema.json: not valid JSON at line 4, column 3: syntax error");
  EXPECT_EQ(ErrorOf("{\"fields\": ["),
            "schema.json: not valid JSON at line 1, column 13: incomplete JSON");
  EXPECT_EQ(ErrorOf("[]"), "schema.json: a Table Schema must be a JSON object");
}

TEST(TableSchema, ErrorsNameTheJsonPath) {
  EXPECT_EQ(ErrorOf(R"({})"), "schema.json: fields: must be an array of fields");
  EXPECT_EQ(
      ErrorOf(R"({"fields":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d","type":"money"}]})"),
      "schema.json: fields[3].type: unknown type \"money\" (known: string, integer, number, "
      "boolean, date, datetime, year, any, and time, yearmonth, duration, geopoint, geojson, "
      "object, array kept as text)");
  EXPECT_EQ(ErrorOf(R"({"fields":["a"]})"),
            "schema.json: fields[0]: a field must be a JSON object");
  EXPECT_EQ(ErrorOf(R"({"fields":[{"type":"string"}]})"),
            "schema.json: fields[0]: the field has no \"name\"");
  EXPECT_EQ(ErrorOf(R"({"fields":[{"name":""}]})"),
            "schema.json: fields[0].name: must not be empty");
  EXPECT_EQ(ErrorOf(R"({"fields":[{"name":"a","title":5}]})"),
            "schema.json: fields[0].title: must be a string");
  EXPECT_EQ(ErrorOf(R"({"fields":[{"name":"a"},{"name":"b"},{"name":"a"}]})"),
            "schema.json: fields[2].name: duplicate field name \"a\" (also fields[0])");
  EXPECT_EQ(ErrorOf(R"({"fields":[{"name":"a"},{"name":"b"}],"primaryKey":["a","id"]})"),
            "schema.json: primaryKey[1]: \"id\" is not a field (fields are: \"a\", \"b\")");
  EXPECT_EQ(ErrorOf(R"({"fields":[{"name":"a"}],"primaryKey":["a","a"]})"),
            "schema.json: primaryKey[1]: \"a\" is named twice");
  EXPECT_EQ(ErrorOf(R"({"fields":[{"name":"a"}],"primaryKey":5})"),
            "schema.json: primaryKey: must be a field name or an array of field names");
  EXPECT_EQ(ErrorOf(R"({"fields":[{"name":"a"}],"missingValues":["", 0]})"),
            "schema.json: missingValues[1]: must be a string");
  EXPECT_EQ(ErrorOf(R"({"fields":[{"name":"a","constraints":{"required":"yes"}}]})"),
            "schema.json: fields[0].constraints.required: must be true or false");
}

TEST(TableSchema, RefusesPropertiesThatChangeHowValuesRead) {
  EXPECT_EQ(ErrorOf(R"({"fields":[{"name":"a","type":"number","groupChar":","}]})"),
            "schema.json: fields[0].groupChar: not supported (numbers must be plain)");
  EXPECT_THAT(ErrorOf(R"({"fields":[{"name":"a","type":"number","decimalChar":","}]})"),
              HasSubstr("fields[0].decimalChar: not supported"));
  EXPECT_THAT(ErrorOf(R"({"fields":[{"name":"a","type":"boolean","trueValues":["yes"]}]})"),
              HasSubstr("fields[0].trueValues: not supported"));
  EXPECT_EQ(
      ErrorOf(R"({"fields":[{"name":"a","type":"date","format":"%d/%m/%Y"}]})"),
      "schema.json: fields[0].format: date format \"%d/%m/%Y\" is not supported (only ISO 8601, "
      "\"default\")");
  // Harmless defaults are fine.
  EXPECT_EQ(
      ErrorOf(R"({"fields":[{"name":"a","type":"number","decimalChar":".","bareNumber":true}]})"),
      "(no error)");
}

TEST(TableSchema, LimitsAtAndPastTheirEdge) {
  auto fields_json = [](size_t n) {
    std::string s = "{\"fields\":[";
    for (size_t i = 0; i < n; ++i)
      s += (i ? "," : "") + ("{\"name\":\"c" + std::to_string(i) + "\"}");
    return s + "]}";
  };
  EXPECT_TRUE(ParseTableSchema(fields_json(kMaxFields), "s").ok());
  Result<v1::Schema> over = ParseTableSchema(fields_json(kMaxFields + 1), "s");
  EXPECT_EQ(over.status().code(), Status::Code::kResourceExhausted);
  EXPECT_THAT(over.status().message(),
              HasSubstr("4097 fields, more than the limit of 4096 (kMaxFields)"));

  std::string padded = "{\"fields\":[{\"name\":\"a\"}]}";
  padded += std::string(kMaxSchemaJsonBytes - padded.size(), ' ');
  EXPECT_TRUE(ParseTableSchema(padded, "s").ok());
  Result<v1::Schema> big = ParseTableSchema(padded + " ", "s");
  EXPECT_EQ(big.status().code(), Status::Code::kResourceExhausted);
  EXPECT_THAT(big.status().message(), HasSubstr("(kMaxSchemaJsonBytes)"));
}

TEST(TableSchema, ReadsRealDataPackageSchemas) {
  const std::string path = KONGSI_SHARED_DATA "/gdp/datapackage.json";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  boost::json::value doc = boost::json::parse(text.str());
  Result<v1::Schema> s = TableSchemaFromJson(doc.at("resources").at(1).at("schema"),
                                             "datapackage.json", "resources[1].schema");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->fields_size(), 4);
  EXPECT_EQ(s->fields(2).type(), "year");
  EXPECT_EQ(s->fields(3).description(), "GDP in current USD");

  boost::json::value bad = boost::json::parse(R"({"fields":[{"name":"a","type":"money"}]})");
  EXPECT_EQ(TableSchemaFromJson(bad, "datapackage.json", "resources[0].schema").status().message(),
            "datapackage.json: resources[0].schema.fields[0].type: unknown type \"money\" (known: "
            "string, integer, number, boolean, date, datetime, year, any, and time, yearmonth, "
            "duration, geopoint, geojson, object, array kept as text)");
}

TEST(TableSchema, JsonRoundTrips) {
  Result<v1::Schema> s = ParseTableSchema(
      R"({"fields":[{"name":"id","type":"integer","constraints":{"required":true}},
                    {"name":"d","type":"date","format":"default","title":"T","description":"D"}],
          "primaryKey":["id"],"missingValues":["","-"]})",
      "s");
  ASSERT_TRUE(s.ok());
  const std::string json = TableSchemaToJson(*s);
  EXPECT_THAT(json, HasSubstr("\n  \"fields\": [\n    {\n      \"name\": \"id\",\n"));
  EXPECT_THAT(json, HasSubstr("\"primaryKey\": [\"id\"]"));
  Result<v1::Schema> again = ParseTableSchema(json, "out");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->SerializeAsString(), s->SerializeAsString());

  v1::Schema synthetic = *s;
  synthetic.set_synthetic_key(true);
  EXPECT_FALSE(TableSchemaToJsonObject(synthetic).contains("primaryKey"));
}

TEST(TableSchema, CheckKeyColumnsListsTheColumns) {
  const std::vector<std::string> header = {"Country Name", "Country Code", "Year", "Value"};
  EXPECT_TRUE(CheckKeyColumns({"Country Code", "Year"}, header).ok());
  Status s = CheckKeyColumns({"country code"}, header);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(
      s.message(),
      "key column \"country code\" is not in the header (did you mean \"Country Code\"?); the "
      "columns are: \"Country Name\", \"Country Code\", \"Year\", \"Value\"");
  EXPECT_EQ(CheckKeyColumns({"id"}, header).message(),
            "key column \"id\" is not in the header; the columns are: \"Country Name\", \"Country "
            "Code\", \"Year\", \"Value\"");
  EXPECT_EQ(CheckKeyColumns({"Year", "Year"}, header).message(),
            "key column \"Year\" is named twice");
  v1::Schema schema;
  schema.add_primary_key("Code");
  EXPECT_THAT(CheckKeyColumns(schema, header).message(),
              HasSubstr("key column \"Code\" is not in the header"));
}

TEST(TableSchema, CheckHeaderMatchesSchema) {
  Result<v1::Schema> s = SchemaFromHeader({"a", "b"}, {"string", "integer"}, {});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(CheckHeaderMatchesSchema(*s, {"a", "b"}).ok());
  EXPECT_EQ(CheckHeaderMatchesSchema(*s, {"a", "B"}).message(),
            "column 2 is \"B\" in the file but \"b\" in the schema");
  EXPECT_EQ(CheckHeaderMatchesSchema(*s, {"a", "b", "c"}).message(),
            "the file has 3 columns but the schema has 2 fields");
}

TEST(TableSchema, SchemaFromHeader) {
  Result<v1::Schema> s = SchemaFromHeader({"code", "year", "value"},
                                          {"string", "integer", "number"}, {"code", "year"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->fields(1).name(), "year");
  EXPECT_EQ(s->fields(2).type(), "number");
  EXPECT_THAT(s->primary_key(), ::testing::ElementsAre("code", "year"));
  EXPECT_FALSE(s->synthetic_key());

  EXPECT_EQ(SchemaFromHeader({"a", ""}, {"string", "string"}, {}).status().message(),
            "column 2 has an empty name in the header");
  EXPECT_EQ(
      SchemaFromHeader({"a", "b", "a"}, {"string", "string", "string"}, {}).status().message(),
      "columns 1 and 3 are both named \"a\"");
  EXPECT_EQ(SchemaFromHeader({"a"}, {"string", "string"}, {}).status().message(),
            "2 types given for 1 columns");
  EXPECT_EQ(SchemaFromHeader({"a"}, {"money"}, {}).status().message(),
            "column 1 (\"a\"): unknown type \"money\"");
  EXPECT_THAT(SchemaFromHeader({"a"}, {"string"}, {"b"}).status().message(),
              HasSubstr("key column \"b\" is not in the header"));
  EXPECT_EQ(SchemaFromHeader({}, {}, {}).status().message(), "the header has no columns");
}

}  // namespace
}  // namespace kongsi::node
