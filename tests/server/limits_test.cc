// Server-level limits of docs/LIMITS.md, each at its edge (accepted) and one
// past it (refused with an error naming the constant, nothing changed): the
// local API's request body, upload, header bytes, connections and tokens over
// real HTTP on loopback (tests/server/loopback_api.h); links per pair of
// nodes over real TLS (tests/server/raw_peer.h); config.json's size and peer
// count. Frame size and collections per link: hostile_peer_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/token_store.h"
#include "tests/server/loopback_api.h"
#include "tests/server/raw_peer.h"

namespace kongsi::server::testing {
namespace {

using ::testing::HasSubstr;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr uint64_t kLoweredUploadLimit = 4096;

// One raw HTTP exchange on a connection of its own io_context, bounded by
// kWait: writes `bytes` as they are, reads one response (status 0 when the
// server answered nothing and closed).
class RawHttp {
 public:
  explicit RawHttp(uint16_t port) : stream_(ioc_) {
    boost::system::error_code ec;
    stream_.socket().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    EXPECT_FALSE(ec) << ec.message();
  }

  HttpReply Exchange(const std::string& bytes) {
    HttpReply reply;
    auto parser = std::make_shared<http::response_parser<http::string_body>>();
    parser->body_limit(64u << 20);
    stream_.expires_after(kWait);
    asio::async_write(stream_, asio::buffer(bytes), [&](boost::system::error_code, size_t) {
      // Write errors (the server closed first) show as a failed read.
      stream_.expires_after(kWait);
      http::async_read(stream_, buffer_, *parser, [&](boost::system::error_code ec, size_t) {
        if (ec) return;
        reply.status = parser->get().result_int();
        reply.body = parser->get().body();
      });
    });
    ioc_.restart();
    ioc_.run();
    return reply;
  }
  void Close() {
    boost::system::error_code ec;
    stream_.socket().close(ec);
  }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

std::string ErrorMessage(const HttpReply& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error")) return "<no error: " + r.body + ">";
  return std::string(v.at("error").at("message").as_string());
}

std::string Head(const std::string& method, const std::string& target, const std::string& token,
                 const std::string& extra = "") {
  return method + " " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n" +
         extra + "\r\n";
}

// One chunk holding all of `body`, then the last chunk.
std::string Chunked(const std::string& body) {
  std::ostringstream size;
  size << std::hex << body.size();
  return size.str() + "\r\n" + body + "\r\n0\r\n\r\n";
}

class ApiLimitsTest : public LoopbackApiTest {
 protected:
  void SetUp() override {
    LoopbackApiTest::SetUp();
    admin_ = TokenStore(node_->db()).Create(ApiRole::kAdmin, "admin").value().token;
  }

  HttpReply Raw(const std::string& bytes) { return RawHttp(server_->port()).Exchange(bytes); }

  // `{"name": NAME}` padded with blanks to exactly `size` bytes.
  static std::string CollectionBody(const std::string& name, size_t size) {
    std::string body = boost::json::serialize(boost::json::object{{"name", name}});
    body.resize(size, ' ');
    return body;
  }

  std::string admin_;
};

TEST_F(ApiLimitsTest, JsonBodiesAtAndPastKMaxApiJsonBodyBytes) {
  StartServer();
  const size_t collections = node_->ListCollections().size();
  // Declared past the limit: refused on the header.
  HttpReply r = Send("POST", "/v1/collections", Bearer(publisher_),
                     CollectionBody("past", kMaxApiJsonBodyBytes + 1));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("over 1048576 bytes, the limit (kMaxApiJsonBodyBytes)"));
  // Chunked, so only the body reader can tell.
  r = Raw(Head("POST", "/v1/collections", publisher_, "Transfer-Encoding: chunked\r\n") +
          Chunked(CollectionBody("past", kMaxApiJsonBodyBytes + 1)));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("(kMaxApiJsonBodyBytes)"));
  EXPECT_EQ(node_->ListCollections().size(), collections);

  r = Send("POST", "/v1/collections", Bearer(publisher_), CollectionBody("at", kMaxApiJsonBodyBytes));
  EXPECT_EQ(r.status, 201) << r.body;
  r = Raw(Head("POST", "/v1/collections", publisher_, "Transfer-Encoding: chunked\r\n") +
          Chunked(CollectionBody("at chunked", kMaxApiJsonBodyBytes)));
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(node_->ListCollections().size(), collections + 2);
}

// 16 GiB cannot be sent in a test: the real constant is checked on the
// declared Content-Length (answered before any body byte), the body reader
// with the limit lowered below.
TEST_F(ApiLimitsTest, UploadsDeclaredAtKMaxApiUploadBytesAreTakenAndOneMoreRefused) {
  StartServer();
  Publish("c", "t", "id,a\n1,x\n", "id");
  const std::string target = "/v1/collections/c/datasets/t?key=id";
  auto declared = [&](uint64_t length) {
    return Raw(Head("PUT", target, publisher_,
                    "Content-Length: " + std::to_string(length) + "\r\nExpect: 100-continue\r\n"));
  };
  HttpReply past = declared(kMaxApiUploadBytes + 1);
  EXPECT_EQ(past.status, 413);
  EXPECT_THAT(ErrorMessage(past), HasSubstr("over 17179869184 bytes, the limit (kMaxApiUploadBytes)"));
  EXPECT_EQ(declared(kMaxApiUploadBytes).status, 100) << "the body was not asked for";
}

TEST_F(ApiLimitsTest, UploadsAtAndPastALoweredLimit) {
  StartServer({}, ApiServerOptions{kApiHandlerThreads, kLoweredUploadLimit});
  Publish("c", "t", "id,a\n1,x\n", "id");
  const std::string coll = node_->ResolveCollection("c").value();
  const std::string digest = node::testing::DigestOf(*node_, coll);
  const std::string target = "/v1/collections/c/datasets/t?key=id";
  auto csv_of = [](size_t size) {
    std::string csv = "id,a\n2,";
    csv += std::string(size - csv.size() - 1, 'y') + "\n";
    return csv;
  };
  HttpReply r = Send("PUT", target, Bearer(publisher_), csv_of(kLoweredUploadLimit + 1));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("over 4096 bytes, the limit (kMaxApiUploadBytes)"));
  r = Raw(Head("PUT", target, publisher_, "Transfer-Encoding: chunked\r\n") +
          Chunked(csv_of(kLoweredUploadLimit + 1)));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(node::testing::ScanVisible(*node_, coll, "t").count("2"), 0u);
  EXPECT_EQ(node::testing::DigestOf(*node_, coll), digest);

  r = Send("PUT", target, Bearer(publisher_), csv_of(kLoweredUploadLimit));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(node::testing::ScanVisible(*node_, coll, "t").count("2"), 1u);
}

TEST_F(ApiLimitsTest, HeadersAtAndPastKMaxApiHeaderBytes) {
  StartServer();
  // The whole header, request line to the blank line, padded in the target
  // (where a percent-encoded schema travels; a field cannot be this long).
  auto head_of = [&](size_t size) {
    std::string head = Head("GET", "/v1/status?pad=", viewer_);
    head.insert(head.find(" HTTP/1.1"), std::string(size - head.size(), 'p'));
    EXPECT_EQ(head.size(), size);
    return head;
  };
  HttpReply r = Raw(head_of(kMaxApiHeaderBytes + 1));
  EXPECT_EQ(r.status, 431);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("over 3145728 bytes, the limit (kMaxApiHeaderBytes)"));
  EXPECT_EQ(Raw(head_of(kMaxApiHeaderBytes)).status, 200);
}

// Beast cannot hold a field over 64 KiB and threw from the io thread, which
// aborted the server: a 100 KiB field must get a 431 and leave it serving.
TEST_F(ApiLimitsTest, HeaderFieldsAtAndPastKMaxApiHeaderFieldBytes) {
  StartServer();
  auto field_of = [](size_t size) {  // "X-Pad: ppp", name and value `size` bytes
    return "X-Pad: " + std::string(size - 5, 'p') + "\r\n";
  };
  for (size_t size : {kMaxApiHeaderFieldBytes + 1, size_t{100} << 10}) {
    HttpReply r = Raw(Head("GET", "/v1/status", viewer_, field_of(size)));
    EXPECT_EQ(r.status, 431) << size;
    EXPECT_THAT(ErrorMessage(r), HasSubstr("a header field over 8192 bytes, the limit "
                                           "(kMaxApiHeaderFieldBytes)"));
  }
  EXPECT_EQ(Raw(Head("GET", "/v1/status", viewer_, field_of(kMaxApiHeaderFieldBytes))).status, 200);
}

TEST_F(ApiLimitsTest, HeaderFieldCountAtAndPastKMaxApiHeaderFields) {
  StartServer();
  auto fields = [](size_t n) {  // Head() sends Host and Authorization
    std::string extra;
    for (size_t i = 2; i < n; ++i) extra += "X-F" + std::to_string(i) + ": v\r\n";
    return extra;
  };
  HttpReply r = Raw(Head("GET", "/v1/status", viewer_, fields(kMaxApiHeaderFields + 1)));
  EXPECT_EQ(r.status, 431);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("more than 100 header fields, the limit (kMaxApiHeaderFields)"));
  EXPECT_EQ(Raw(Head("GET", "/v1/status", viewer_, fields(kMaxApiHeaderFields))).status, 200);
}

TEST_F(ApiLimitsTest, KMaxApiConnectionsAreServedAndOneMoreIsClosed) {
  StartServer();
  const std::string status = Head("GET", "/v1/status", viewer_);
  std::vector<std::unique_ptr<RawHttp>> open;
  for (size_t i = 0; i < kMaxApiConnections; ++i) {
    open.push_back(std::make_unique<RawHttp>(server_->port()));
    ASSERT_EQ(open.back()->Exchange(status).status, 200) << "connection " << i + 1;
  }
  EXPECT_EQ(RawHttp(server_->port()).Exchange(status).status, 0) << "connection 65 was served";
  // Every one of the 64 is still served (keep-alive).
  EXPECT_EQ(open.front()->Exchange(status).status, 200);
  EXPECT_EQ(open.back()->Exchange(status).status, 200);
  // One closes: its place is free again once the server noticed.
  open.back()->Close();
  EXPECT_TRUE(WaitUntil([&] { return RawHttp(server_->port()).Exchange(status).status == 200; }))
      << "a closed connection's place was never freed";
}

TEST_F(ApiLimitsTest, TokenNamesAtAndPastKMaxTokenNameBytes) {
  StartServer();
  TokenStore tokens(node_->db());
  const size_t count = tokens.List().size();
  auto past = tokens.Create(ApiRole::kViewer, std::string(kMaxTokenNameBytes + 1, 'n'));
  ASSERT_FALSE(past.ok());
  EXPECT_THAT(past.status().message(), HasSubstr("longer than 128 bytes, the limit (kMaxTokenNameBytes)"));
  auto body = [](size_t n) {
    return boost::json::serialize(boost::json::object{{"role", "viewer"}, {"name", std::string(n, 'm')}});
  };
  HttpReply r = Send("POST", "/v1/tokens", Bearer(admin_), body(kMaxTokenNameBytes + 1));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(ErrorMessage(r), HasSubstr("(kMaxTokenNameBytes)"));
  EXPECT_EQ(tokens.List().size(), count);

  EXPECT_TRUE(tokens.Create(ApiRole::kViewer, std::string(kMaxTokenNameBytes, 'n')).ok());
  EXPECT_EQ(Send("POST", "/v1/tokens", Bearer(admin_), body(kMaxTokenNameBytes)).status, 201);
  EXPECT_EQ(tokens.List().size(), count + 2);
}

// 1,024 tokens take seconds of fsyncs: the count is checked with the limit
// lowered through the constructor, which is the same code path.
TEST_F(ApiLimitsTest, LiveTokensUpToTheLimitAndNoMore) {
  StartServer();
  const size_t count = TokenStore(node_->db()).List().size();
  TokenStore tokens(node_->db(), count + 1);
  auto at = tokens.Create(ApiRole::kViewer, "the last");
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  auto past = tokens.Create(ApiRole::kViewer, "one more");
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(past.status().message(), HasSubstr("the limit (" + std::to_string(count + 1) + ", kMaxApiTokens)"));
  EXPECT_EQ(tokens.List().size(), count + 1);
  // The daemon's own token is replaced whatever the count.
  EXPECT_TRUE(tokens.Replace(ApiRole::kAdmin, kLocalCliTokenName).ok());
  EXPECT_TRUE(tokens.Replace(ApiRole::kAdmin, kLocalCliTokenName).ok());
  EXPECT_EQ(tokens.List().size(), count + 2);
  EXPECT_TRUE(TokenStore(node_->db()).Create(ApiRole::kViewer, "under the real limit").ok());
}

TEST_F(ApiLimitsTest, PresentedTokensOfAnyOtherLengthThanKApiTokenCharsAre401) {
  StartServer();
  ASSERT_EQ(viewer_.size(), kApiTokenChars);
  EXPECT_EQ(Send("GET", "/v1/status", Bearer(viewer_)).status, 200);
  EXPECT_EQ(Send("GET", "/v1/status", Bearer(viewer_ + "0")).status, 401);
  EXPECT_EQ(Send("GET", "/v1/status", Bearer(viewer_.substr(0, kApiTokenChars - 1))).status, 401);
}

TEST(PeerLimitsTest, ASecondLinkFromTheSamePeerReplacesTheFirst) {
  TestPeer a(1, "ngo-a");
  node::Identity raw_id = node::testing::SeededIdentity(7, "raw");
  MakeCollection(a, {&raw_id});
  a.Serve();
  auto connects = [&] {
    auto p = PeerOf(*a.daemon, raw_id.node_id());
    return p && p->connected ? p->connects : 0;
  };
  RawPeer first(raw_id);
  ASSERT_FALSE(first.Connect(a.daemon->peer_port()));
  first.StartRecording();
  ASSERT_FALSE(first.SendHello());
  ASSERT_TRUE(WaitUntil([&] { return connects() == 1; })) << "the first link never registered";

  RawPeer second(raw_id);
  ASSERT_FALSE(second.Connect(a.daemon->peer_port()));
  second.StartRecording();
  ASSERT_FALSE(second.SendHello());
  ASSERT_TRUE(first.WaitFor([](const Recording& r) { return r.ended; })) << "two links to one peer";
  EXPECT_EQ(first.recording().close_code, node::kCloseNormal);
  EXPECT_THAT(first.recording().close_reason, HasSubstr("duplicate connection"));
  EXPECT_THAT(first.recording().close_reason, HasSubstr("(kMaxLinksPerPeer)"));
  // The one kept carries on.
  ASSERT_FALSE(second.SendPing(7));
  EXPECT_TRUE(second.WaitFor([](const Recording& r) { return r.Pongs(7) == 1; }));
  EXPECT_FALSE(second.recording().ended);
  EXPECT_EQ(connects(), 2u);
}

std::string PeerIdText(uint32_t n) {
  std::string raw(node::kNodeIdBytes, '\x42');
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<char>(n >> (8 * i));
  return node::NodeIdText(raw);
}

TEST(ConfigLimitsTest, KMaxConfiguredPeersAreTakenAndOneMoreRefused) {
  Config config;
  for (uint32_t n = 0; n < kMaxConfiguredPeers; ++n) {
    Status s = AddPeer(config, "wss://p" + std::to_string(n) + ".example:7600/v1/sync", PeerIdText(n), "", false);
    ASSERT_TRUE(s.ok()) << "peer " << n + 1 << ": " << s.ToString();
  }
  Status past = AddPeer(config, "wss://past.example:7600/v1/sync", PeerIdText(kMaxConfiguredPeers), "", false);
  EXPECT_EQ(past.code(), Status::Code::kResourceExhausted);
  EXPECT_THAT(past.message(), HasSubstr("more than 1024 peers, the limit (kMaxConfiguredPeers)"));
  EXPECT_EQ(config.peers.size(), kMaxConfiguredPeers);
  // The file form alike: the full list reads back, one more does not.
  std::string json = ConfigToJson(config);
  auto at = ParseConfig(json, "config.json");
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_EQ(at->peers.size(), kMaxConfiguredPeers);
  config.peers.push_back(PeerConfig{"wss://past.example:7600/v1/sync", std::string(node::kNodeIdBytes, '\x01'), "",
                                    false});
  auto over = ParseConfig(ConfigToJson(config), "config.json");
  ASSERT_FALSE(over.ok());
  EXPECT_THAT(over.status().message(), HasSubstr("(kMaxConfiguredPeers)"));
}

TEST(ConfigLimitsTest, ConfigJsonAtAndPastKMaxConfigBytes) {
  node::testing::TempDir dir;
  auto write = [&](size_t size) {
    std::string text = "{\"reconnect_min_ms\": 100}";
    text.resize(size, ' ');
    std::ofstream(ConfigPath(dir.path()), std::ios::binary | std::ios::trunc) << text;
  };
  write(kMaxConfigBytes + 1);
  auto past = LoadConfig(dir.path());
  ASSERT_FALSE(past.ok());
  EXPECT_THAT(past.status().message(), HasSubstr("larger than 1048576 bytes, the limit (kMaxConfigBytes)"));
  write(kMaxConfigBytes);
  auto at = LoadConfig(dir.path());
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_EQ(at->reconnect_min_ms, 100u);
}

}  // namespace
}  // namespace kongsi::server::testing
