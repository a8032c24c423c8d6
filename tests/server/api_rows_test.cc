// GET .../datasets/{d}/rows, the web console's table, over real HTTP:
// paging, sorting (empty cells last), search, provenance per cell, the
// contributor counts, as_of, and errors that name the bad parameter.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/server/loopback_api.h"

namespace kongsi::server {
namespace {

namespace json = boost::json;

// Six rows; one amount empty; "Beta" in two of them.
const char kCsv[] =
    "id,name,amount\n"
    "1,Alpha,10\n"
    "2,Beta,5\n"
    "3,Gamma,\n"
    "4,Delta,40\n"
    "5,beta two,20\n"
    "6,Epsilon,30\n";

class ApiRowsTest : public LoopbackApiTest {
 protected:
  void SetUp() override {
    LoopbackApiTest::SetUp();
    StartServer();
    Publish("budget", "spend", kCsv, "id");
  }

  json::object Rows(const std::string& query) {
    HttpReply r =
        Send("GET", "/v1/collections/budget/datasets/spend/rows" + query, Bearer(viewer_));
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return r.status == 200 ? r.Json().as_object() : json::object();
  }

  // The id column of the page, as text.
  static std::vector<std::string> Ids(const json::object& page) {
    std::vector<std::string> ids;
    for (const auto& row : page.at("rows").as_array())
      ids.emplace_back(row.at("text").at("id").as_string());
    return ids;
  }
};

TEST_F(ApiRowsTest, PagesInKeyOrderWithTheTotal) {
  json::object first = Rows("?limit=4");
  EXPECT_EQ(first.at("total").as_int64(), 6);
  EXPECT_EQ(Ids(first), (std::vector<std::string>{"1", "2", "3", "4"}));
  json::object second = Rows("?limit=4&offset=4");
  EXPECT_EQ(Ids(second), (std::vector<std::string>{"5", "6"}));
  EXPECT_TRUE(Rows("?offset=100").at("rows").as_array().empty());
  const json::array& fields = first.at("fields").as_array();
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[2].at("name").as_string(), "amount");
  EXPECT_EQ(fields[2].at("type").as_string(), "integer");
}

TEST_F(ApiRowsTest, EachCellSaysWhoContributedItAndTheLegendCounts) {
  json::object page = Rows("");
  const std::string self = node_->identity().node_id_text();
  const json::object& row = page.at("rows").as_array()[0].as_object();
  EXPECT_EQ(row.at("key_text").as_string(), "1");
  EXPECT_EQ(row.at("cells").at("amount").as_int64(), 10);
  EXPECT_EQ(row.at("text").at("name").as_string(), "Alpha");
  EXPECT_EQ(row.at("by").at("name").as_string(), self);
  EXPECT_EQ(row.at("by").at("id").as_string(), self);
  // An empty cell has no contributor.
  const json::object& gamma = page.at("rows").as_array()[2].as_object();
  EXPECT_TRUE(gamma.at("cells").at("amount").is_null());
  EXPECT_FALSE(gamma.at("by").as_object().contains("amount"));
  const json::array& contributors = page.at("contributors").as_array();
  ASSERT_EQ(contributors.size(), 1u);
  EXPECT_EQ(contributors[0].at("node_id").as_string(), self);
  EXPECT_EQ(contributors[0].at("cells").as_int64(), 6 * 3 - 1);
}

TEST_F(ApiRowsTest, SortsEitherWayWithEmptyCellsLast) {
  EXPECT_EQ(Ids(Rows("?sort=amount")), (std::vector<std::string>{"2", "1", "5", "6", "4", "3"}));
  EXPECT_EQ(Ids(Rows("?sort=-amount")), (std::vector<std::string>{"4", "6", "5", "1", "2", "3"}));
  EXPECT_EQ(Ids(Rows("?sort=-amount&limit=2&offset=2")), (std::vector<std::string>{"5", "1"}));
  EXPECT_EQ(Rows("?sort=-amount").at("sort").as_string(), "-amount");
  EXPECT_EQ(Ids(Rows("?sort=name&limit=3")), (std::vector<std::string>{"1", "2", "4"}));
}

TEST_F(ApiRowsTest, SearchFindsTextInAnyColumnIgnoringCase) {
  json::object page = Rows("?q=BETA");
  EXPECT_EQ(page.at("total").as_int64(), 2);
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"2", "5"}));
  EXPECT_EQ(Ids(Rows("?q=40")), (std::vector<std::string>{"4"}));
  EXPECT_EQ(Ids(Rows("?q=beta&sort=-amount")), (std::vector<std::string>{"5", "2"}));
  EXPECT_EQ(Rows("?q=nowhere").at("total").as_int64(), 0);
  EXPECT_EQ(Rows("?q=beta").at("contributors").as_array()[0].at("cells").as_int64(), 6);
}

TEST_F(ApiRowsTest, AsOfShowsAnEarlierVersion) {
  ASSERT_EQ(
      Send("POST", "/v1/collections/budget/tags", Bearer(publisher_), R"({"name":"v1"})").status,
      201);
  Publish("budget", "spend", "id,name,amount\n1,Alpha,99\n7,Zeta,1\n", "id");
  EXPECT_EQ(Rows("").at("total").as_int64(), 7);
  json::object old = Rows("?as_of=v1");
  EXPECT_EQ(old.at("total").as_int64(), 6);
  EXPECT_EQ(old.at("rows").as_array()[0].at("cells").at("amount").as_int64(), 10);
  EXPECT_EQ(Ids(Rows("?sort=-amount&as_of=v1&limit=1")), std::vector<std::string>{"4"});
}

TEST_F(ApiRowsTest, BadParametersAre400NamingThem) {
  const std::pair<const char*, const char*> kBad[] = {
      {"?limit=0", "limit"},    {"?limit=1001", "limit"},
      {"?offset=-1", "offset"}, {"?sort=nope", "no column \"nope\""},
      {"?sort=-", "sort"},      {"?sort=id&offset=99999999", "offset"},
      {"?as_of=x:y", "as_of"},
  };
  for (const auto& [query, names] : kBad) {
    HttpReply r = Send("GET", std::string("/v1/collections/budget/datasets/spend/rows") + query,
                       Bearer(viewer_));
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    if (r.status == 400) {
      EXPECT_NE(std::string(r.Json().at("error").at("message").as_string()).find(names),
                std::string::npos)
          << query << ": " << r.body;
    }
  }
  HttpReply no_tag =
      Send("GET", "/v1/collections/budget/datasets/spend/rows?as_of=v9", Bearer(viewer_));
  EXPECT_EQ(no_tag.status, 404);
  EXPECT_NE(no_tag.body.find("as_of"), std::string::npos) << no_tag.body;
  HttpReply missing = Send("GET", "/v1/collections/budget/datasets/nope/rows", Bearer(viewer_));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Send("GET", "/v1/collections/budget/datasets/spend/rows", {}).status, 401);
}

}  // namespace
}  // namespace kongsi::server
