// server/api_router: the local API from a raw HTTP request. The input is
// parsed as server/http_session.cc does: the header by ApiHeaderParser (the
// server's limits, including the two Beast lacks), then the body by a
// string_body parser taking over from it. Then it is split into path
// and query (ParseTarget), matched (DefaultApiRouter), role-checked and run
// by the real handler (RunRoute) against a node opened once, the way
// server/http_session.cc does it minus the socket. The answer, JSON or a
// streamed body, is produced in full and discarded.
//
// The role: bearer tokens are random, so no seed could hold a valid one. A
// request with "X-Fuzz-Role: viewer|publisher|admin" gets that role; one
// with an Authorization header goes through the real TokenStore (and is
// refused); one with neither gets the anonymous role. "X-Fuzz-Public: 1"
// turns on ckan_public and metrics_public.
//
// Left out: POST /v1/backup, which writes a copy of the database to any
// path the request names (the source tree included).
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>

#include "fuzz/fuzz_env.h"
#include "node/importer.h"
#include "server/api_header_parser.h"
#include "server/api_router.h"
#include "server/api_spool.h"
#include "server/api_url.h"
#include "server/token_store.h"
#include "server/web_assets.h"

namespace {

namespace http = boost::beast::http;
namespace node = kongsi::node;
namespace server = kongsi::server;
using kongsi::fuzz::FuzzNode;

// A streamed answer is written here: counted, then dropped.
class NullBuf : public std::streambuf {
 protected:
  int_type overflow(int_type c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

std::unique_ptr<FuzzNode>* fuzz_node = nullptr;

// The shared collection (base history) and a collection of the node's own
// with one dataset, so that routes naming "shared-gdp", "local" and "gdp"
// find something.
void Build(node::Node& n) {
  kongsi::fuzz::ReceiveBaseHistory(n);
  auto coll = n.CreateCollection("local", "the node's own collection");
  if (!coll.ok()) kongsi::fuzz::Die(coll.status().ToString());
  node::PublishOptions p;
  p.collection = *coll;
  p.dataset = "gdp";
  p.key_columns = {"Country Code", "Year"};
  auto published =
      node::Publish(n, std::string(KONGSI_FUZZ_DIR) + "/fixtures/data_package/data/gdp.csv", p);
  if (!published.ok()) kongsi::fuzz::Die(published.status().ToString());
}

void Drain(const server::ApiResponse& response) {
  if (response.stream) {
    NullBuf buf;
    std::ostream out(&buf);
    (void)response.stream(out);
  } else {
    (void)boost::json::serialize(response.json);
  }
}

void Answer(const server::ApiError& error, const server::ApiRequest& request) {
  if (error.code.empty() || error.http_status < 400) __builtin_trap();  // errors are 4xx/5xx
  Drain(server::ErrorResponse(error, request.path, request.base_url));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz_node = new std::unique_ptr<FuzzNode>(std::make_unique<FuzzNode>("fuzz_http_router", Build));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  server::ApiHeaderParser header;
  header.header_limit(server::kMaxApiHeaderBytes);
  header.body_limit(std::numeric_limits<std::uint64_t>::max());
  boost::beast::error_code ec;
  // Not eager: put() stops once the header is complete, as async_read_header.
  const size_t header_bytes = header.put(boost::asio::buffer(data, size), ec);
  if (server::ApiHeaderParser::OverLimit(ec, header_bytes)) {
    if (header.why().empty()) __builtin_trap();  // the 431 names the limit
    return 0;
  }
  if (ec || !header.is_header_done()) return 0;  // the server answers 400 or waits for more
  // As HttpSession does before it makes the body parser (413): the parser
  // would otherwise reserve the whole announced length.
  if (auto length = header.content_length(); length && *length > server::kMaxApiJsonBodyBytes) {
    return 0;
  }
  http::request_parser<http::string_body> parser(header.ToBodyParser());
  parser.body_limit(server::kMaxApiJsonBodyBytes);
  parser.eager(true);
  if (!parser.is_done()) {
    parser.put(boost::asio::buffer(data + header_bytes, size - header_bytes), ec);
    if (ec || !parser.is_done()) return 0;
  }
  const auto& req = parser.get();

  FuzzNode& fuzz = **fuzz_node;
  server::ApiContext ctx{fuzz.node()};
  ctx.data_dir = fuzz.data_dir();
  ctx.ckan_public = ctx.metrics_public = !req["X-Fuzz-Public"].empty();

  server::ApiRequest request;
  auto target = server::ParseTarget(req.target());
  if (!target.ok()) return Answer(server::ApiError::FromStatus(target.status()), request), 0;
  request.method = std::string(req.method_string());
  request.base_url = "http://" + std::string(req[http::field::host]);
  request.path = target->path;
  request.query = std::move(target->query);
  if (server::IsWebPath(request.path)) {
    (void)server::FindWebAsset(request.path);
    return 0;
  }
  if (!req["X-Fuzz-Role"].empty()) {
    if (!server::ParseApiRole(req["X-Fuzz-Role"], &request.role)) return 0;
  } else if (!req[http::field::authorization].empty()) {
    server::TokenStore tokens(fuzz.node().db());
    auto info = tokens.Authenticate(req[http::field::authorization]);
    if (info.ok()) __builtin_trap();  // no token was ever created
    return 0;
  } else {
    request.role = server::AnonymousRole(ctx, request.path);
  }

  server::ApiMatch match = server::DefaultApiRouter().Match(request.method, request.path);
  if (!match.ok()) return Answer(match.error, request), 0;
  if (match.route->pattern == "/v1/backup") return 0;
  server::ApiError denied = server::RoleError(*match.route, request.role);
  if (!denied.code.empty()) return Answer(denied, request), 0;

  std::unique_ptr<server::SpoolFile> spool;
  if (match.route->body == server::ApiBody::kUpload) {
    auto created = server::SpoolFile::Create(ctx.data_dir, ".csv");
    if (!created.ok()) kongsi::fuzz::Die(created.status().ToString());
    spool = std::move(created).value();
    if (!spool->Write(req.body()).ok()) kongsi::fuzz::Die("cannot write " + spool->path());
    request.upload_path = spool->path();
  } else if (match.route->body == server::ApiBody::kJson) {
    request.body = req.body();
  }
  server::ApiOutcome outcome = server::RunRoute(match, ctx, request);
  spool.reset();
  if (outcome.ok()) {
    Drain(outcome.response);
  } else {
    Answer(outcome.error, request);
  }
  if (request.method != "GET") fuzz.Changed();  // may have written: bound the growth
  return 0;
}
