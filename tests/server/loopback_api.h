// A real node in a temp dir, served by a real ApiServer on 127.0.0.1 (on its
// own io_context thread), and a plain Beast client that sends exactly the
// headers a test gives: for tests of routes whose clients are not ours
// (CKAN's, Prometheus').
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "node/node.h"
#include "server/api_server.h"
#include "server/api_url.h"
#include "server/token_store.h"

namespace kongsi::server {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  boost::json::value Json() const { return boost::json::parse(body); }
};

using HttpHeaders = std::map<std::string, std::string>;

class LoopbackApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kongsi-loopback-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto node = node::Node::Init(dir_ + "/data", "Org A");
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    node_ = std::move(node).value();
    TokenStore tokens(node_->db());
    viewer_ = tokens.Create(ApiRole::kViewer, "viewer").value().token;
    publisher_ = tokens.Create(ApiRole::kPublisher, "publisher").value().token;
  }

  // Starts the server; `configure` may set the context's switches first,
  // `options` lower its limits.
  void StartServer(const std::function<void(ApiContext&)>& configure = {},
                   ApiServerOptions options = {}) {
    ApiContext ctx{*node_, nullptr, dir_ + "/data", {}};
    if (configure) configure(ctx);
    counters_ = ctx.counters;
    server_ = std::make_unique<ApiServer>(ioc_, std::move(ctx), "127.0.0.1:0", options);
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override {
    if (server_) server_->Stop();
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    node_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static HttpHeaders Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  // One request on a fresh connection, with these headers only (and Host).
  HttpReply Send(const std::string& method, const std::string& target, const HttpHeaders& headers,
                 const std::string& body = "") {
    namespace http = boost::beast::http;
    boost::asio::io_context ioc;
    boost::beast::tcp_stream stream(ioc);
    stream.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(server_->port()));
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    http::read(stream, buffer, parser);
    HttpReply r;
    r.status = parser.get().result_int();
    r.body = parser.get().body();
    for (const auto& f : parser.get())
      r.headers[std::string(f.name_string())] = std::string(f.value());
    return r;
  }

  // Publishes `csv` into dataset `dataset` of collection `coll` (created if
  // needed) through the API.
  void Publish(const std::string& coll, const std::string& dataset, const std::string& csv,
               const std::string& key) {
    const std::string path = "/v1/collections/" + PercentEncode(coll);
    if (Send("GET", path, Bearer(viewer_)).status == 404) {
      ASSERT_EQ(Send("POST", "/v1/collections", Bearer(publisher_),
                     boost::json::serialize(boost::json::object{{"name", coll}}))
                    .status,
                201);
    }
    HttpReply r = Send("PUT", path + "/datasets/" + PercentEncode(dataset) + "?key=" + key,
                       Bearer(publisher_), csv);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::string dir_;
  std::unique_ptr<node::Node> node_;
  std::string viewer_, publisher_;
  std::shared_ptr<ApiCounters> counters_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      ioc_.get_executor()};
  std::thread thread_;
  std::unique_ptr<ApiServer> server_;
};

}  // namespace kongsi::server
