// The web console as a browser gets it, over real HTTP on loopback: the
// page and its modules with the right types and security headers, no token
// needed; every module the page imports is there; unknown files are 404;
// revalidation gives 304. (Its behaviour in a browser: tests/e2e/web_console_test.py.)
#include "server/web_assets.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "tests/server/loopback_api.h"
#include "web/embedded_files.h"

namespace kongsi::server {
namespace {

std::string Header(const HttpReply& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

std::string ErrorCode(const HttpReply& r) {
  return std::string(r.Json().at("error").at("code").as_string());
}

class WebAssetsTest : public LoopbackApiTest {
 protected:
  void SetUp() override {
    LoopbackApiTest::SetUp();
    StartServer();
  }

  HttpReply Get(const std::string& target, const HttpHeaders& headers = {}) {
    return Send("GET", target, headers);
  }

  // HEAD: the answer has a Content-Length but no body to wait for.
  HttpReply Head(const std::string& target) {
    namespace http = boost::beast::http;
    boost::asio::io_context ioc;
    boost::beast::tcp_stream stream(ioc);
    stream.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    http::request<http::empty_body> req{http::verb::head, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.skip(true);
    http::read(stream, buffer, parser);
    HttpReply r;
    r.status = parser.get().result_int();
    r.body = parser.get().body();
    for (const auto& f : parser.get())
      r.headers[std::string(f.name_string())] = std::string(f.value());
    return r;
  }

  void ExpectSecurityHeaders(const HttpReply& r, const std::string& what) {
    EXPECT_EQ(Header(r, "Content-Security-Policy"), kWebContentSecurityPolicy) << what;
    EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff") << what;
    EXPECT_EQ(Header(r, "X-Frame-Options"), "DENY") << what;
    EXPECT_EQ(Header(r, "Referrer-Policy"), "no-referrer") << what;
  }
};

TEST_F(WebAssetsTest, ThePageIsServedWithoutATokenWithItsHeaders) {
  HttpReply page = Get("/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(Header(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Header(page, "Cache-Control"), "no-cache");
  EXPECT_FALSE(Header(page, "ETag").empty());
  ExpectSecurityHeaders(page, "/");
  EXPECT_NE(page.body.find(R"(<script type="module" src="/ui/app.js">)"), std::string::npos);
  EXPECT_EQ(Get("/index.html").body, page.body);
  EXPECT_EQ(Get("/ui/index.html").body, page.body);
  // A stale token in the browser does not stop the page from loading.
  EXPECT_EQ(Get("/", Bearer("kongsi_nope_nope")).status, 200);
  // The API still wants one.
  EXPECT_EQ(Get("/v1/status").status, 401);
}

TEST_F(WebAssetsTest, EachKindOfFileHasItsContentType) {
  const std::pair<const char*, const char*> kFiles[] = {
      {"/ui/app.js", "text/javascript; charset=utf-8"},
      {"/ui/views/table.js", "text/javascript; charset=utf-8"},
      {"/ui/style.css", "text/css; charset=utf-8"},
      {"/ui/icon.svg", "image/svg+xml"},
  };
  for (const auto& [path, type] : kFiles) {
    HttpReply r = Get(path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(Header(r, "Content-Type"), type) << path;
    EXPECT_FALSE(r.body.empty()) << path;
    ExpectSecurityHeaders(r, path);
  }
  EXPECT_EQ(WebContentType("x.bin"), "application/octet-stream");
}

// Every module specifier ('./x.js', '../x.js') in every script resolves to
// a file that is served: a renamed module cannot break the page unseen.
TEST_F(WebAssetsTest, EveryModuleThePagesImportIsServed) {
  const std::regex specifier(R"('(\.\.?/[A-Za-z0-9_./-]+\.js)')");
  std::set<std::string> checked;
  size_t scripts = 0;
  for (const web::EmbeddedFile& f : web::EmbeddedFiles()) {
    if (!f.path.ends_with(".js")) continue;
    ++scripts;
    std::string dir = "/ui/" + std::string(f.path.substr(0, f.path.rfind('/') + 1));
    if (f.path.find('/') == std::string_view::npos) dir = "/ui/";
    std::string text(f.data);
    for (std::sregex_iterator it(text.begin(), text.end(), specifier), end; it != end; ++it) {
      std::string spec = (*it)[1];
      std::string base = dir;
      while (spec.starts_with("../")) {
        base = base.substr(0, base.rfind('/', base.size() - 2) + 1);
        spec = spec.substr(3);
      }
      if (spec.starts_with("./")) spec = spec.substr(2);
      std::string url = base + spec;
      if (!checked.insert(url).second) continue;
      EXPECT_EQ(Get(url).status, 200) << url << " imported by " << f.path;
    }
  }
  EXPECT_GE(scripts, 5u);
  EXPECT_GE(checked.size(), 10u) << "the import scan found too little to be trusted";
}

TEST_F(WebAssetsTest, AnUnknownFileIs404AndOtherMethodsAre405) {
  for (const char* path : {"/ui/x", "/ui/", "/ui/../v1/status", "/ui/app.js.map"}) {
    HttpReply r = Get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(ErrorCode(r), "not_found") << path;
  }
  HttpReply post = Send("POST", "/", Bearer(viewer_), "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(ErrorCode(post), "method_not_allowed");
  EXPECT_NE(std::string(post.Json().at("error").at("message").as_string()).find("GET, HEAD"),
            std::string::npos)
      << std::string(post.Json().at("error").at("message").as_string());
}

TEST_F(WebAssetsTest, RevalidationIs304AndHeadHasNoBody) {
  HttpReply first = Get("/ui/app.js");
  ASSERT_EQ(first.status, 200);
  HttpReply again = Get("/ui/app.js", {{"If-None-Match", Header(first, "ETag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Header(again, "ETag"), Header(first, "ETag"));
  HttpReply other = Get("/ui/app.js", {{"If-None-Match", "\"something-else\""}});
  EXPECT_EQ(other.status, 200);
  EXPECT_NE(Header(Get("/ui/style.css"), "ETag"), Header(first, "ETag"));

  HttpReply head = Head("/ui/app.js");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(Header(head, "Content-Length"), std::to_string(first.body.size()));
}

}  // namespace
}  // namespace kongsi::server
