// CKAN's read-only Action API over real HTTP on loopback, checked against
// CKAN's documented answers (docs.ckan.org, ckan.logic.action.get): the
// envelope, package and resource fields, paging, the resource URL that
// downloads the CSV, CKAN's error types and statuses, CKAN clients' ways of
// sending a token, and the ckan_public switch.
#include <regex>
#include <string>

#include "node/data_package.h"
#include "tests/server/loopback_api.h"

namespace kongsi::server {
namespace {

namespace json = boost::json;

const char kSpend[] = "id,item,amount\n1,Rent,1200\n2,Travel,340.5\n";
const char kIncome[] = "id,source,amount\n1,Grant,5000\n";
const char kTrees[] = "id,species\n1,Oak\n2,Birch\n3,Ash\n";

class CkanApiTest : public LoopbackApiTest {
 protected:
  // Two packages: "budget-2024" (spend, income) and "forest" (trees).
  void PublishTwoCollections() {
    Publish("Budget 2024!", "spend", kSpend, "id");
    Publish("Budget 2024!", "income", kIncome, "id");
    Publish("Forest", "trees", kTrees, "id");
  }

  // The action's result, after checking CKAN's success envelope.
  json::value Action(const std::string& action_and_query) {
    HttpReply r = Send("GET", "/api/3/action/" + action_and_query, Bearer(viewer_));
    EXPECT_EQ(r.status, 200) << r.body;
    json::object doc = r.Json().as_object();
    EXPECT_EQ(doc.at("success"), true);
    EXPECT_NE(std::string(doc.at("help").as_string()).find("/api/3/action/help_show?name="),
              std::string::npos);
    return doc.at("result");
  }

  // An error answer: its status and CKAN's error object.
  std::pair<int, json::object> Failure(const std::string& method, const std::string& target,
                                       const HttpHeaders& headers, const std::string& body = "") {
    HttpReply r = Send(method, target, headers, body);
    json::object doc = r.Json().as_object();
    EXPECT_EQ(doc.at("success"), false) << r.body;
    EXPECT_TRUE(doc.contains("help")) << r.body;
    return {r.status, doc.at("error").as_object()};
  }

  // The path of an absolute URL on this server.
  std::string PathOf(const json::value& url) {
    std::string text(url.as_string());
    EXPECT_EQ(text.rfind(BaseUrl(), 0), 0u) << text;
    return text.substr(BaseUrl().size());
  }
};

TEST_F(CkanApiTest, PackageListShowAndResourceShowDescribeCollectionsAndDatasets) {
  StartServer();
  PublishTwoCollections();
  EXPECT_EQ(Action("package_list"), (json::array{"budget-2024", "forest"}));
  EXPECT_EQ(Action("package_list?limit=1&offset=1"), (json::array{"forest"}));

  json::object pkg = Action("package_show?id=budget-2024").as_object();
  auto coll = node_->ResolveCollection("Budget 2024!");
  ASSERT_TRUE(coll.ok());
  EXPECT_EQ(pkg.at("id"), json::value(node::HexId(*coll)));
  EXPECT_EQ(pkg.at("name"), "budget-2024");
  EXPECT_EQ(pkg.at("title"), "Budget 2024!");
  EXPECT_EQ(pkg.at("num_resources"), 2);
  EXPECT_EQ(pkg.at("organization"), nullptr);
  EXPECT_EQ(pkg.at("private"), false);
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})");
  EXPECT_TRUE(std::regex_match(std::string(pkg.at("metadata_modified").as_string()), iso))
      << pkg.at("metadata_modified");
  EXPECT_TRUE(std::regex_match(std::string(pkg.at("metadata_created").as_string()), iso));
  // The same package by its ID and by its Kongsi name.
  EXPECT_EQ(Action("package_show?id=" + node::HexId(*coll)).at("name"), "budget-2024");
  EXPECT_EQ(Action("package_show?id=Budget%202024%21").at("name"), "budget-2024");

  const json::array& resources = pkg.at("resources").as_array();
  ASSERT_EQ(resources.size(), 2u);
  const json::object& income = resources[0].as_object();  // datasets in name order
  EXPECT_EQ(income.at("name"), "income");
  EXPECT_EQ(income.at("format"), "CSV");
  EXPECT_EQ(income.at("package_id"), pkg.at("id"));
  EXPECT_EQ(income.at("position"), 0);
  EXPECT_EQ(Action("resource_show?id=" + std::string(income.at("id").as_string())), income);
  EXPECT_NE(resources[1].at("id"), income.at("id"));
}

TEST_F(CkanApiTest, ResourceUrlDownloadsTheMergedCsvWithTheSameToken) {
  StartServer();
  PublishTwoCollections();
  const json::value pkg = Action("package_show?id=budget-2024");
  for (const auto& res : pkg.at("resources").as_array()) {
    const std::string path = PathOf(res.at("url"));
    HttpReply csv = Send("GET", path, Bearer(viewer_));
    EXPECT_EQ(csv.status, 200);
    EXPECT_EQ(csv.headers["Content-Type"], "text/csv; charset=utf-8");
    EXPECT_EQ(csv.body, res.at("name") == "spend" ? kSpend : kIncome);
    EXPECT_EQ(Send("GET", path, {}).status, 401);
  }
  EXPECT_EQ(Send("GET", "/dataset/forest/resource/0123/download/x.csv", Bearer(viewer_)).status,
            404);
}

TEST_F(CkanApiTest, PackageSearchMatchesTermsAndPages) {
  StartServer();
  PublishTwoCollections();
  json::object all = Action("package_search").as_object();
  EXPECT_EQ(all.at("count"), 2);
  EXPECT_EQ(all.at("results").as_array().size(), 2u);
  json::object trees = Action("package_search?q=TREES").as_object();  // a resource name
  EXPECT_EQ(trees.at("count"), 1);
  EXPECT_EQ(trees.at("results").as_array()[0].at("name"), "forest");
  EXPECT_EQ(Action("package_search?q=name:budget%20income").at("count"), 1);
  EXPECT_EQ(Action("package_search?q=*:*").at("count"), 2);
  EXPECT_EQ(Action("package_search?q=nothing-like-this").at("count"), 0);
  json::object page = Action("package_search?rows=1&start=1").as_object();
  EXPECT_EQ(page.at("count"), 2);  // every match, whatever the page
  ASSERT_EQ(page.at("results").as_array().size(), 1u);
  EXPECT_EQ(page.at("results").as_array()[0].at("name"), "forest");
}

TEST_F(CkanApiTest, PostedJsonParametersWorkAsCkanapiSendsThem) {
  StartServer();
  PublishTwoCollections();
  // ckanapi: POST /api/action/NAME, a JSON body, the bare token.
  HttpReply r = Send("POST", "/api/action/package_search", {{"Authorization", viewer_}},
                     R"({"q": "spend", "rows": 5})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("result").at("count"), 1);
  HttpReply old_key = Send("GET", "/api/3/action/site_read", {{"X-CKAN-API-Key", viewer_}});
  EXPECT_EQ(old_key.status, 200);
  EXPECT_EQ(old_key.Json().at("result"), true);
  json::object status = Action("status_show").as_object();
  EXPECT_EQ(status.at("site_url"), json::value(BaseUrl()));
  EXPECT_TRUE(status.contains("ckan_version"));
}

TEST_F(CkanApiTest, ErrorsAreCkansEnvelopeWithCkansStatuses) {
  StartServer();
  PublishTwoCollections();
  auto [missing, missing_error] =
      Failure("GET", "/api/3/action/package_show?id=nope", Bearer(viewer_));
  EXPECT_EQ(missing, 404);
  EXPECT_EQ(missing_error.at("__type"), "Not Found Error");
  EXPECT_NE(std::string(missing_error.at("message").as_string()).find("nope"), std::string::npos);
  EXPECT_EQ(Failure("GET", "/api/3/action/resource_show?id=feed", Bearer(viewer_)).first, 404);

  auto [no_id, no_id_error] = Failure("GET", "/api/3/action/package_show", Bearer(viewer_));
  EXPECT_EQ(no_id, 409);
  EXPECT_EQ(no_id_error.at("__type"), "Validation Error");
  EXPECT_NE(std::string(no_id_error.at("message").as_string()).find("id"), std::string::npos);
  auto [rows, rows_error] =
      Failure("GET", "/api/3/action/package_search?rows=ten", Bearer(viewer_));
  EXPECT_EQ(rows, 409);
  EXPECT_NE(std::string(rows_error.at("message").as_string()).find("rows"), std::string::npos);
  EXPECT_EQ(Failure("POST", "/api/action/package_show", Bearer(viewer_), "{not json").first, 409);

  auto [anonymous, anonymous_error] = Failure("GET", "/api/3/action/package_list", {});
  EXPECT_EQ(anonymous, 403);
  EXPECT_EQ(anonymous_error.at("__type"), "Authorization Error");
  EXPECT_EQ(Failure("GET", "/api/3/action/package_list", {{"Authorization", "kongsi_0_0"}}).first,
            403);

  auto [unknown, unknown_error] = Failure("GET", "/api/3/action/package_create", Bearer(viewer_));
  EXPECT_EQ(unknown, 400);
  EXPECT_NE(std::string(unknown_error.at("message").as_string()).find("package_create"),
            std::string::npos);
  EXPECT_EQ(Failure("DELETE", "/api/3/action/package_list", Bearer(viewer_)).first, 405);
}

TEST_F(CkanApiTest, CkanPublicOpensTheCkanRoutesAndNothingElse) {
  StartServer([](ApiContext& ctx) { ctx.ckan_public = true; });
  PublishTwoCollections();
  HttpReply list = Send("GET", "/api/3/action/package_list", {});
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.Json().at("result").as_array().size(), 2u);
  HttpReply show = Send("GET", "/api/3/action/package_show?id=forest", {});
  ASSERT_EQ(show.status, 200);
  const json::value doc = show.Json();
  const json::value& url = doc.at("result").at("resources").as_array()[0].at("url");
  HttpReply csv = Send("GET", PathOf(url), {});
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body, kTrees);
  EXPECT_EQ(Send("GET", "/v1/collections", {}).status, 401);
  EXPECT_EQ(Send("GET", "/metrics", {}).status, 401);
  // A wrong token is still refused: public means no token, not any token.
  EXPECT_EQ(Send("GET", "/api/3/action/package_list", {{"Authorization", "kongsi_0_0"}}).status,
            403);
}

TEST_F(CkanApiTest, LicenceTitleAndTagsComeFromTheDataPackage) {
  StartServer();
  auto coll = node_->CreateCollection("population", "");
  ASSERT_TRUE(coll.ok());
  node::PackagePublishOptions options;
  options.collection = *coll;
  auto report =
      node::PublishDataPackage(*node_, KONGSI_SHARED_DATA "/population/datapackage.json", options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  json::object pkg = Action("package_show?id=population").as_object();
  EXPECT_EQ(pkg.at("license_id"), "ODC-PDDL-1.0");
  EXPECT_EQ(pkg.at("license_url"), "http://opendatacommons.org/licenses/pddl/");
  EXPECT_NE(std::string(pkg.at("title").as_string()).find("Population figures"), std::string::npos);
  // The metadata dataset is not a resource.
  for (const auto& res : pkg.at("resources").as_array()) EXPECT_NE(res.at("name"), "_package");
  EXPECT_EQ(pkg.at("num_resources"), 1);
}

}  // namespace
}  // namespace kongsi::server
