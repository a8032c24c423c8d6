// The CLI's HTTP(S) client of the local API (server/cli_client.h): one
// connection per call, synchronous Beast. The node is local or named by the
// user, so no timeouts beyond the kernel's; streamed bodies are copied
// through a fixed buffer.
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "node/certificate.h"
#include "node/identity.h"
#include "server/api_types.h"
#include "server/cli_client.h"
#include "server/config.h"

namespace kongsi::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// JSON answers (a status, a log) can be long; anything past this is not an
// answer of ours.
constexpr uint64_t kMaxResponseJsonBytes = 1ull << 30;
constexpr size_t kMaxErrorBodyBytes = 1u << 20;
constexpr size_t kStreamChunkBytes = 64 * 1024;

struct ParsedUrl {
  bool tls = false;
  HostPort address;
};

Result<ParsedUrl> ParseApiUrl(std::string_view url) {
  ParsedUrl out;
  std::string_view rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return Status::InvalidArgument("--node: \"" + std::string(url) +
                                   "\" is not http://HOST:PORT or https://HOST:PORT");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  auto address = ParseHostPort(rest, "--node", /*allow_port_zero=*/false);
  if (!address.ok()) return address.status();
  out.address = std::move(address).value();
  return out;
}

Status NetError(const std::string& what, const beast::error_code& ec) {
  return Status::IoError(what + ": " + ec.message());
}

Status ErrorFromResponse(unsigned status, std::string_view body) {
  boost::json::error_code ec;
  boost::json::value doc = boost::json::parse(body, ec);
  const boost::json::value* err =
      ec || !doc.is_object() ? nullptr : doc.as_object().if_contains("error");
  if (err && err->is_object() && err->as_object().contains("code") &&
      err->as_object().at("code").is_string() && err->as_object().contains("message") &&
      err->as_object().at("message").is_string()) {
    return ApiError{static_cast<int>(status), std::string(err->at("code").as_string()),
                    std::string(err->at("message").as_string())}
        .ToStatus();
  }
  return Status::Internal("the node answered HTTP " + std::to_string(status) + ": " +
                          std::string(body.substr(0, 200)));
}

class HttpClient : public ApiClient {
 public:
  HttpClient(ParsedUrl url, std::string token, std::string pinned_node_id)
      : url_(std::move(url)), token_(std::move(token)), pinned_(std::move(pinned_node_id)) {}

  Result<boost::json::value> Call(const ApiCall& call) override {
    std::optional<boost::json::value> result;
    Status status = Exchange(call, [&](auto& stream, beast::flat_buffer& buffer) -> Status {
      http::response_parser<http::string_body> parser;
      parser.body_limit(kMaxResponseJsonBytes);
      beast::error_code ec;
      http::read(stream, buffer, parser, ec);
      if (ec) return NetError("reading the answer", ec);
      const auto& res = parser.get();
      if (res.result_int() >= 300) return ErrorFromResponse(res.result_int(), res.body());
      boost::json::error_code jec;
      result = boost::json::parse(res.body(), jec);
      if (jec) return Status::Internal("the node's answer is not JSON: " + jec.message());
      return Status::Ok();
    });
    if (!status.ok()) return status;
    return std::move(*result);
  }

  Status Stream(const ApiCall& call, std::ostream& out) override {
    return Exchange(call, [&](auto& stream, beast::flat_buffer& buffer) -> Status {
      http::response_parser<http::buffer_body> parser;
      parser.body_limit(boost::none);  // copied through, never held
      beast::error_code ec;
      http::read_header(stream, buffer, parser, ec);
      if (ec) return NetError("reading the answer", ec);
      const bool failed = parser.get().result_int() >= 300;
      std::string error_body;
      char chunk[kStreamChunkBytes];
      while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof chunk;
        http::read(stream, buffer, parser, ec);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) return NetError("the export stopped part way", ec);
        size_t got = sizeof chunk - parser.get().body().size;
        if (failed) {
          if (error_body.size() + got > kMaxErrorBodyBytes) break;
          error_body.append(chunk, got);
        } else if (!out.write(chunk, static_cast<std::streamsize>(got))) {
          return Status::IoError("writing to stdout failed");
        }
      }
      if (failed) return ErrorFromResponse(parser.get().result_int(), error_body);
      out.flush();
      return Status::Ok();
    });
  }

 private:
  // Sends `call`. An upload first asks "Expect: 100-continue": a node that
  // refuses it (a bad token, too large) answers at once, and gigabytes are
  // not sent for nothing. That early answer goes to `answered`.
  template <class Stream>
  Status SendRequest(Stream& stream, beast::flat_buffer& buffer, const ApiCall& call,
                     std::optional<Status>* answered) {
    const std::string target = MakeTarget(call.path, call.query);
    const std::string host = url_.address.host + ":" + std::to_string(url_.address.port);
    beast::error_code ec;
    auto set_common = [&](auto& req) {
      req.method_string(call.method);
      req.target(target);
      req.version(11);
      req.set(http::field::host, host);
      req.set(http::field::user_agent, "kongsi-cli");
      req.keep_alive(false);
      if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    };
    if (call.upload_path.empty()) {
      http::request<http::string_body> req;
      set_common(req);
      if (!call.body.is_null()) {
        req.set(http::field::content_type, "application/json");
        req.body() = boost::json::serialize(call.body);
      }
      req.prepare_payload();
      http::write(stream, req, ec);
      if (ec) return NetError("sending the request", ec);
      return Status::Ok();
    }
    http::request<http::file_body> req;
    set_common(req);
    req.set(http::field::content_type, "text/csv");
    req.set(http::field::expect, "100-continue");
    req.body().open(call.upload_path.c_str(), beast::file_mode::scan, ec);
    if (ec) return Status::NotFound(call.upload_path + ": cannot open: " + ec.message());
    req.prepare_payload();
    const uint64_t total = req.body().size();
    http::request_serializer<http::file_body> serializer(req);
    http::write_header(stream, serializer, ec);
    if (ec) return NetError("sending the request", ec);
    http::response_parser<http::string_body> interim;
    interim.body_limit(kMaxErrorBodyBytes);
    http::read(stream, buffer, interim, ec);
    if (ec) return NetError("reading the answer", ec);
    if (interim.get().result() != http::status::continue_) {
      const auto& res = interim.get();
      *answered = res.result_int() >= 300
                      ? ErrorFromResponse(res.result_int(), res.body())
                      : Status::Internal("the node answered before the upload was sent");
      return Status::Ok();
    }
    while (!serializer.is_done()) {
      http::write_some(stream, serializer, ec);
      if (ec) return NetError("sending " + call.upload_path, ec);
      if (call.progress) {
        beast::error_code pos_ec;
        call.progress(0, std::min<uint64_t>(total, req.body().file().pos(pos_ec)), 0);
      }
    }
    return Status::Ok();
  }

  // Connects, sends `call` and lets `read` take the answer.
  template <class ReadFn>
  Status Exchange(const ApiCall& call, ReadFn&& read) {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(url_.address.host, std::to_string(url_.address.port), ec);
    const std::string where = url_.address.host + ":" + std::to_string(url_.address.port);
    if (ec) return NetError("cannot resolve " + where, ec);
    beast::tcp_stream tcp(ioc);
    tcp.connect(endpoints, ec);
    if (ec) return NetError("cannot reach the node at " + where, ec);
    beast::flat_buffer buffer;
    std::optional<Status> answered;
    if (!url_.tls) {
      KONGSI_RETURN_IF_ERROR(SendRequest(tcp, buffer, call, &answered));
      return answered ? *answered : read(tcp, buffer);
    }
    auto ctx = TlsContext();
    if (!ctx.ok()) return ctx.status();
    beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), **ctx);
    tls.handshake(asio::ssl::stream_base::client, ec);
    if (ec) return NetError("TLS with " + where + " (is its node ID " + pinned_ + "?)", ec);
    KONGSI_RETURN_IF_ERROR(SendRequest(tls, buffer, call, &answered));
    return answered ? *answered : read(tls, buffer);
  }

  // There is no CA: the node's certificate is self-signed from its key, so
  // the only check that means anything is that it is the node we expect.
  Result<std::unique_ptr<asio::ssl::context>> TlsContext() {
    if (pinned_.empty()) {
      return Status::InvalidArgument(
          "--node https://...: give the node's ID with --node-id to check its certificate");
    }
    auto raw = node::ParseNodeId(pinned_);
    if (!raw.ok()) return raw.status().WithContext("--node-id");
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_verify_mode(asio::ssl::verify_peer);
    ctx->set_verify_callback([expected = *raw](bool, asio::ssl::verify_context& vctx) {
      X509_STORE_CTX* store = vctx.native_handle();
      if (X509_STORE_CTX_get_error_depth(store) != 0) return false;
      auto id = node::NodeIdFromCertificate(X509_STORE_CTX_get_current_cert(store));
      return id.ok() && *id == expected;
    });
    return ctx;
  }

  ParsedUrl url_;
  std::string token_;
  std::string pinned_;
};

}  // namespace

Result<std::unique_ptr<ApiClient>> MakeHttpClient(const std::string& url, std::string token,
                                                  const std::string& node_id) {
  auto parsed = ParseApiUrl(url);
  if (!parsed.ok()) return parsed.status();
  return std::unique_ptr<ApiClient>(
      new HttpClient(std::move(parsed).value(), std::move(token), node_id));
}

}  // namespace kongsi::server
