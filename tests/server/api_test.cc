// The local HTTP API over real HTTP on loopback: an ApiServer on its own
// io_context thread in this process, a real node in a temp dir, and a plain
// Beast client. Every route is called, and every error class is provoked.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "node/node.h"
#include "server/api_router.h"
#include "server/api_server.h"
#include "server/api_url.h"
#include "server/cli_client.h"
#include "server/token_store.h"

namespace kongsi::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr uint64_t kTestUploadLimit = 4096;

const char kCsv[] = "id,name,amount\n1,Alpha,10\n2,Beta,20.50\n";
const char kCsvChanged[] = "id,name,amount\n1,Alpha,10\n2,Beta,21\n";

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  json::value Json() const { return json::parse(body); }
  std::string ErrorCode() const { return std::string(Json().at("error").at("code").as_string()); }
  std::string ErrorMessage() const {
    return std::string(Json().at("error").at("message").as_string());
  }
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kongsi-api-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto node = node::Node::Init(dir_ + "/data", "Org A");
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    node_ = std::move(node).value();
    TokenStore tokens(node_->db());
    admin_ = tokens.Create(ApiRole::kAdmin, "admin").value().token;
    publisher_ = tokens.Create(ApiRole::kPublisher, "publisher").value().token;
    viewer_ = tokens.Create(ApiRole::kViewer, "viewer").value().token;
    StartServer("127.0.0.1:0");
  }

  void StartServer(const std::string& listen) {
    ApiServerOptions options;
    options.max_upload_bytes = kTestUploadLimit;
    server_ = std::make_unique<ApiServer>(ioc_, ApiContext{*node_, nullptr, dir_ + "/data", {}},
                                          listen, options);
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    if (!thread_.joinable()) thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override {
    if (server_) server_->Stop();
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    node_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // One request on a fresh connection. `routes_hit_` records the route
  // each request matched, for the every-route check.
  Reply Send(const std::string& method, const std::string& target, const std::string& token,
             const std::string& body = "", const std::string& content_type = "application/json") {
    auto split = ParseTarget(target);
    ApiMatch match = DefaultApiRouter().Match(method, split.ok() ? split->path : target);
    if (match.ok()) routes_hit_.insert(match.route->method + " " + match.route->pattern);
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    return Read(stream);
  }

  static Reply Read(beast::tcp_stream& stream) {
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    http::read(stream, buffer, parser);
    Reply r;
    r.status = parser.get().result_int();
    r.body = parser.get().body();
    for (const auto& f : parser.get())
      r.headers[std::string(f.name_string())] = std::string(f.value());
    return r;
  }

  std::string Coll(const std::string& tail = "") { return "/v1/collections/budget" + tail; }

  // A collection "budget" with dataset "spend" from kCsv.
  void Publish(const std::string& csv = kCsv) {
    if (Send("GET", Coll(), admin_).status == 404) {
      ASSERT_EQ(Send("POST", "/v1/collections", publisher_, R"({"name":"budget"})").status, 201);
    }
    Reply r = Send("PUT", Coll("/datasets/spend?key=id"), publisher_, csv, "text/csv");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::string Digest() {
    return std::string(Send("GET", Coll("/digest"), viewer_).Json().at("digest").as_string());
  }

  std::string dir_;
  std::unique_ptr<node::Node> node_;
  std::string admin_, publisher_, viewer_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::thread thread_;
  std::unique_ptr<ApiServer> server_;
  std::set<std::string> routes_hit_;
};

TEST_F(ApiTest, PublishThenExportStreamsTheSameCsvBack) {
  Publish();
  Reply csv = Send("GET", Coll("/datasets/spend/export"), viewer_);
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body, kCsv);
  EXPECT_EQ(csv.headers["Transfer-Encoding"], "chunked");
  EXPECT_EQ(csv.headers["Content-Type"], "text/csv; charset=utf-8");

  json::value rows = Send("GET", Coll("/datasets/spend/export?format=json"), viewer_).Json();
  ASSERT_EQ(rows.as_array().size(), 2u);
  EXPECT_EQ(rows.as_array()[1].at("name").as_string(), "Beta");
  Reply nd = Send("GET", Coll("/datasets/spend/export?format=ndjson&provenance=true"), viewer_);
  EXPECT_EQ(std::count(nd.body.begin(), nd.body.end(), '\n'), 2) << nd.body;
  EXPECT_NE(nd.body.find("\"_by\""), std::string::npos) << nd.body;
}

TEST_F(ApiTest, TagDiffAndAsOfExportFollowTheHistory) {
  Publish();
  Reply tag = Send("POST", Coll("/tags"), publisher_, R"({"name":"v1","message":"first cut"})");
  ASSERT_EQ(tag.status, 201) << tag.body;
  Publish(kCsvChanged);
  EXPECT_EQ(Send("GET", Coll("/datasets/spend/export?as_of=v1"), viewer_).body, kCsv);
  EXPECT_EQ(Send("GET", Coll("/datasets/spend/export"), viewer_).body, kCsvChanged);

  json::value diff = Send("GET", Coll("/diff?from=v1"), viewer_).Json();
  const json::array& records = diff.at("records").as_array();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].at("key_text").as_string(), "2");
  EXPECT_EQ(records[0].at("changes").as_array()[0].at("before_text").as_string(), "20.50");

  json::value history = Send("GET", Coll("/datasets/spend/records/2/history"), viewer_).Json();
  EXPECT_EQ(history.as_array().size(), 2u);
  EXPECT_EQ(Send("GET", Coll("/log?limit=1"), viewer_).Json().as_array().size(), 1u);
  EXPECT_EQ(Send("GET", Coll("/tags"), viewer_).Json().as_array()[0].at("note").as_string(),
            "first cut");

  Reply again = Send("POST", Coll("/tags"), publisher_, R"({"name":"v1"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.ErrorCode(), "already_exists");
}

TEST_F(ApiTest, MissingOrWrongTokenIs401) {
  Reply none = Send("GET", "/v1/status", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.ErrorCode(), "unauthenticated");
  EXPECT_EQ(none.headers["WWW-Authenticate"], "Bearer");
  std::string wrong = viewer_;
  wrong.back() = wrong.back() == '0' ? '1' : '0';  // right ID, wrong secret
  EXPECT_EQ(Send("GET", "/v1/status", wrong).status, 401);
  EXPECT_EQ(Send("GET", "/v1/status", "garbage").status, 401);
  // Public routes need no token.
  EXPECT_EQ(Send("GET", "/healthz", "").Json().at("status").as_string(), "ok");
}

TEST_F(ApiTest, RolesBelowTheRouteAre403AndChangeNothing) {
  Publish();
  const std::string digest = Digest();
  Reply r = Send("PUT", Coll("/datasets/spend?key=id"), viewer_, kCsvChanged, "text/csv");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.ErrorCode(), "permission_denied");
  EXPECT_NE(r.ErrorMessage().find("publisher"), std::string::npos) << r.body;
  const std::string other = "7C3A5XBF4ZWLXTAGHBNIGYVBRZT2JF5LPTWXZ2SHRJ6IYSO3OPUA";
  EXPECT_EQ(
      Send("POST", Coll("/acl"), publisher_, R"({"node_id":")" + other + R"(","role":"writer"})")
          .status,
      403);
  EXPECT_EQ(Send("POST", "/v1/tokens", publisher_, R"({"role":"admin"})").status, 403);
  EXPECT_EQ(Send("GET", "/v1/tokens", viewer_).status, 403);
  EXPECT_EQ(Digest(), digest);
}

TEST_F(ApiTest, UnknownThingsAre404AndWrongMethodsAre405) {
  Publish();
  EXPECT_EQ(Send("GET", "/v1/collections/nope/digest", viewer_).status, 404);
  Reply ds = Send("GET", Coll("/datasets/nope/export"), viewer_);
  EXPECT_EQ(ds.status, 404);
  EXPECT_NE(ds.ErrorMessage().find("nope"), std::string::npos);
  EXPECT_EQ(Send("GET", Coll("/datasets/spend/records/99/history"), viewer_).status, 404);
  EXPECT_EQ(Send("GET", "/v1/no/such/route", viewer_).status, 404);
  Reply method = Send("DELETE", "/v1/collections", admin_);
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.ErrorCode(), "method_not_allowed");
}

TEST_F(ApiTest, MalformedJsonAndCsvAre400NamingThePosition) {
  Publish();
  const std::string digest = Digest();
  Reply bad_json = Send("POST", "/v1/collections", admin_, "{\"name\":\n  }");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.ErrorCode(), "invalid_argument");
  EXPECT_NE(bad_json.ErrorMessage().find("line 2, column 3"), std::string::npos) << bad_json.body;

  Reply ragged = Send("PUT", Coll("/datasets/spend?key=id&source=mine.csv"), publisher_,
                      "id,name\n1,a\n2\n", "text/csv");
  EXPECT_EQ(ragged.status, 400);
  EXPECT_NE(ragged.ErrorMessage().find("mine.csv: line 3"), std::string::npos) << ragged.body;
  EXPECT_EQ(ragged.ErrorMessage().find("/tmp/upload-"), std::string::npos)
      << "names the spool file";

  Reply bad_query = Send("GET", Coll("/datasets/spend/export?format=xml"), viewer_);
  EXPECT_EQ(bad_query.status, 400);
  EXPECT_NE(bad_query.ErrorMessage().find("format"), std::string::npos);
  EXPECT_EQ(Send("GET", Coll("/datasets/spend/records/abc/history"), viewer_).status, 400);
  EXPECT_EQ(Digest(), digest);
  // Nothing left behind in the spool directory.
  EXPECT_TRUE(fs::is_empty(dir_ + "/data/tmp"));
}

TEST_F(ApiTest, BodiesOverTheLimitAre413AndChangeNothing) {
  Publish();
  const std::string digest = Digest();
  std::string big = "id,name\n";
  while (big.size() <= kTestUploadLimit)
    big += "1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
  Reply upload = Send("PUT", Coll("/datasets/big?key=id"), publisher_, big, "text/csv");
  EXPECT_EQ(upload.status, 413);
  EXPECT_EQ(upload.ErrorCode(), "payload_too_large");
  Reply json_body =
      Send("POST", "/v1/collections", admin_, std::string(kMaxApiJsonBodyBytes + 1, ' '));
  EXPECT_EQ(json_body.status, 413);
  EXPECT_EQ(Send("GET", Coll("/datasets"), viewer_).Json().as_array().size(), 1u);  // no "big"
  EXPECT_EQ(Digest(), digest);
}

TEST_F(ApiTest, HeadersOverTheLimitAre431) {
  Reply r = Send("GET", "/v1/status?x=" + std::string(kMaxApiHeaderBytes, 'a'), viewer_);
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.ErrorCode(), "header_too_large");
}

TEST_F(ApiTest, AnUploadIsRefusedBeforeItsBodyIsSent) {
  Publish();
  // "Expect: 100-continue" with a body that never comes: the answer must
  // come from the header alone.
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  std::string head = "PUT " + Coll("/datasets/spend?key=id") +
                     " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + viewer_ +
                     "\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n";
  asio::write(stream, asio::buffer(head));
  EXPECT_EQ(Read(stream).status, 403);

  beast::tcp_stream allowed(ioc);
  allowed.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  std::string body = kCsvChanged;
  head = "PUT " + Coll("/datasets/spend?key=id") +
         " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + publisher_ +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n";
  asio::write(allowed, asio::buffer(head));
  EXPECT_EQ(Read(allowed).status, 100);
  asio::write(allowed, asio::buffer(body));
  Reply done = Read(allowed);
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.Json().at("rows_changed").as_int64(), 1);
}

TEST_F(ApiTest, TokensAreCreatedListedWithoutSecretsAndRevoked) {
  Reply created = Send("POST", "/v1/tokens", admin_, R"({"role":"viewer","name":"dashboard"})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string token(created.Json().at("token").as_string());
  EXPECT_EQ(Send("GET", "/v1/node", token).status, 200);
  Reply list = Send("GET", "/v1/tokens", admin_);
  EXPECT_EQ(list.body.find(token.substr(24)), std::string::npos) << "a secret in the list";
  EXPECT_NE(list.body.find("dashboard"), std::string::npos);
  EXPECT_EQ(Send("POST", "/v1/tokens", admin_, R"({"role":"viewer","name":"dashboard"})").status,
            409);
  EXPECT_EQ(Send("POST", "/v1/tokens", admin_, R"({"role":"boss"})").status, 400);
  EXPECT_EQ(Send("DELETE", "/v1/tokens/dashboard", admin_).status, 200);
  EXPECT_EQ(Send("GET", "/v1/node", token).status, 401);
  EXPECT_EQ(Send("DELETE", "/v1/tokens/dashboard", admin_).status, 404);
}

TEST_F(ApiTest, PeersAreAddedListedAndRemovedInTheConfig) {
  const std::string other = "7C3A5XBF4ZWLXTAGHBNIGYVBRZT2JF5LPTWXZ2SHRJ6IYSO3OPUA";
  Reply added =
      Send("POST", "/v1/peers", admin_,
           R"({"url":"wss://10.0.0.2:7600/v1/sync","node_id":")" + other + R"(","name":"b"})");
  ASSERT_EQ(added.status, 201) << added.body;
  json::value peers = Send("GET", "/v1/peers", viewer_).Json();
  ASSERT_EQ(peers.as_array().size(), 1u);
  EXPECT_EQ(peers.as_array()[0].at("name").as_string(), "b");
  EXPECT_FALSE(peers.as_array()[0].at("connected").as_bool());
  EXPECT_EQ(Send("POST", "/v1/peers", admin_, R"({"url":"http://x","node_id":")" + other + R"("})")
                .status,
            400);
  EXPECT_EQ(Send("DELETE", "/v1/peers/b", admin_).status, 200);
  EXPECT_TRUE(Send("GET", "/v1/peers", viewer_).Json().as_array().empty());
  EXPECT_EQ(Send("DELETE", "/v1/peers/b", admin_).status, 404);
}

// Every route of the router answers over HTTP with the role it asks for.
TEST_F(ApiTest, EveryRouteIsServed) {
  const std::string other = "7C3A5XBF4ZWLXTAGHBNIGYVBRZT2JF5LPTWXZ2SHRJ6IYSO3OPUA";
  Publish();
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> calls = {
      {"GET", "/healthz", "", ""},
      {"GET", "/v1/openapi.json", "", ""},
      {"GET", "/v1/node", viewer_, ""},
      {"GET", "/v1/status", viewer_, ""},
      {"GET", "/v1/collections", viewer_, ""},
      {"GET", Coll(), viewer_, ""},
      {"GET", Coll("/datasets"), viewer_, ""},
      {"GET", Coll("/datasets/spend/export"), viewer_, ""},
      {"GET", Coll("/datasets/spend/records/1/history"), viewer_, ""},
      {"GET", Coll("/log"), viewer_, ""},
      {"POST", Coll("/tags"), publisher_, R"({"name":"t"})"},
      {"GET", Coll("/tags"), viewer_, ""},
      {"GET", Coll("/diff?from=t"), viewer_, ""},
      {"GET", Coll("/conflicts"), viewer_, ""},
      {"GET", Coll("/digest"), viewer_, ""},
      {"GET", Coll("/acl"), viewer_, ""},
      {"POST", Coll("/acl"), admin_, R"({"node_id":")" + other + R"(","role":"reader"})"},
      {"DELETE", Coll("/acl/") + other, admin_, ""},
      {"GET", "/v1/invites", viewer_, ""},
      {"GET", "/v1/peers", viewer_, ""},
      {"POST", "/v1/peers", admin_,
       R"({"url":"wss://10.0.0.2:7600/v1/sync","node_id":")" + other + R"("})"},
      {"DELETE", "/v1/peers/" + other, admin_, ""},
      {"GET", "/v1/tokens", admin_, ""},
      {"GET", Coll("/acl/log"), viewer_, ""},
      {"GET", Coll("/members"), viewer_, ""},
      {"GET", Coll("/datasets/spend/rows"), viewer_, ""},
      {"GET", Coll("/datapackage"), viewer_, ""},
      {"POST", "/v1/backup", admin_, R"({"to":")" + dir_ + R"(/backup"})"},
      {"GET", "/metrics", viewer_, ""},
      {"GET", "/api/3/action/package_list", viewer_, ""},
      {"POST", "/api/3/action/package_list", viewer_, "{}"},
      {"GET", "/api/action/package_list", viewer_, ""},
      {"POST", "/api/action/package_list", viewer_, "{}"},
  };
  for (const auto& [method, target, token, body] : calls) {
    Reply r = Send(method, target, token, body);
    EXPECT_LT(r.status, 300) << method << " " << target << ": " << r.body;
  }
  // The rest were covered above in this test's own setup or answer errors
  // on a node without invitations: they are still served.
  EXPECT_EQ(Send("POST", "/v1/invites/nothing/join", admin_).status, 404);
  EXPECT_EQ(Send("DELETE", "/v1/tokens/nothing", admin_).status, 404);
  EXPECT_EQ(Send("POST", "/v1/tokens", admin_, R"({"role":"viewer"})").status, 201);
  // A Data Package upload must be a tar: anything else is a 400 that is still served.
  EXPECT_EQ(Send("PUT", Coll("/datapackage"), publisher_, "not a tar", "application/x-tar").status, 400);
  // A resource's download URL comes from CKAN's package_show, as a harvester finds it.
  Reply show = Send("GET", "/api/3/action/package_show?id=budget", viewer_);
  ASSERT_EQ(show.status, 200) << show.body;
  std::string url(json::parse(show.body).at("result").at("resources").at(0).at("url").as_string());
  const auto path = url.find("/dataset/");
  ASSERT_NE(path, std::string::npos) << url;
  Reply csv = Send("GET", url.substr(path), viewer_);
  EXPECT_EQ(csv.status, 200) << csv.body;
  for (const ApiRoute& r : DefaultApiRouter().routes()) {
    EXPECT_TRUE(routes_hit_.count(r.method + " " + r.pattern))
        << r.method << " " << r.pattern << " not called";
  }
}

// The OpenAPI document describes exactly the router's routes.
TEST(ApiOpenApiTest, DescribesEveryRouteAndNothingElse) {
  const json::object& paths = OpenApiDocument().at("paths").as_object();
  std::set<std::string> described;
  for (const auto& [path, item] : paths) {
    for (const auto& [method, op] : item.as_object()) {
      if (method == "parameters") continue;
      std::string upper(method);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      described.insert(upper + " " + std::string(path));
      EXPECT_TRUE(op.as_object().contains("responses")) << upper << " " << path;
    }
  }
  std::set<std::string> routed;
  for (const ApiRoute& r : DefaultApiRouter().routes()) routed.insert(r.method + " " + r.pattern);
  EXPECT_EQ(described, routed);
  EXPECT_EQ(std::string(OpenApiDocument().at("openapi").as_string()).substr(0, 2), "3.");
}

TEST_F(ApiTest, TheCliClientMapsAnswersAndErrorsBackToStatuses) {
  Publish();
  auto client = MakeHttpClient(server_->url(), viewer_, "");
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto node = (*client)->Call({"GET", "/v1/node"});
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->at("node_id").as_string(), node_->identity().node_id_text());
  std::ostringstream csv;
  ASSERT_TRUE(
      (*client)
          ->Stream({"GET", ApiPath({"v1", "collections", "budget", "datasets", "spend", "export"})},
                   csv)
          .ok());
  EXPECT_EQ(csv.str(), kCsv);
  auto missing = (*client)->Call({"GET", ApiPath({"v1", "collections", "no such", "digest"})});
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  ApiCall upload{"PUT", ApiPath({"v1", "collections", "budget", "datasets", "spend"})};
  fs::path file = fs::path(dir_) / "changed.csv";
  std::ofstream(file) << kCsvChanged;
  upload.upload_path = file.string();
  auto refused = (*client)->Call(upload);  // a viewer: refused before the upload
  EXPECT_EQ(refused.status().code(), Status::Code::kPermissionDenied)
      << refused.status().ToString();
}

TEST_F(ApiTest, BeyondLoopbackTheApiIsHttpsPinnedToTheNodeId) {
  server_->Stop();
  StartServer("0.0.0.0:0");
  ASSERT_TRUE(server_->tls());
  EXPECT_EQ(server_->url().rfind("https://127.0.0.1:", 0), 0u) << server_->url();
  auto pinned = MakeHttpClient(server_->url(), viewer_, node_->identity().node_id_text());
  ASSERT_TRUE(pinned.ok());
  auto node = (*pinned)->Call({"GET", "/v1/node"});
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->at("name").as_string(), "Org A");
  auto wrong = MakeHttpClient(server_->url(), viewer_,
                              "7C3A5XBF4ZWLXTAGHBNIGYVBRZT2JF5LPTWXZ2SHRJ6IYSO3OPUA");
  EXPECT_FALSE((*wrong)->Call({"GET", "/v1/node"}).ok());
  EXPECT_FALSE(MakeHttpClient(server_->url(), viewer_, "").value()->Call({"GET", "/v1/node"}).ok());
}

}  // namespace
}  // namespace kongsi::server
