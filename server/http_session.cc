// One connection of the local API, in the shape of Beast's server examples:
// the session lives as long as its pending operations; each step is a small
// Do/On pair that checks the error first. The route handler runs on the
// server's handler pool; a streamed answer is written from there, one chunk
// at a time, each write posted to the connection's strand and waited for.
#include "server/http_session.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/serialize.hpp>
#include <future>
#include <limits>
#include <optional>

#include "server/api_header_parser.h"
#include "server/api_router.h"
#include "server/api_spool.h"
#include "server/api_url.h"
#include "server/http_chunk_buf.h"
#include "server/web_assets.h"

namespace kongsi::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Lingering close (see DoDrain).
constexpr std::chrono::seconds kApiDrainTimeout{5};
constexpr uint64_t kApiDrainBytes = 64ull << 20;

ApiError Error(int status, std::string code, std::string message) {
  return ApiError{status, std::move(code), std::move(message)};
}

// `limit_name`: the constant, so the client knows which limit it hit.
ApiError TooLarge(uint64_t limit, const char* limit_name) {
  return Error(413, kErrorPayloadTooLarge,
               "request body over " + std::to_string(limit) + " bytes, the limit (" + limit_name + ")");
}

// "Bearer TOKEN" (scheme case-insensitive) -> TOKEN. CKAN's clients send
// the bare token ("Authorization: TOKEN"), so that form is TOKEN as well.
std::string_view AuthorizationToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() > kScheme.size() && beast::iequals(header.substr(0, kScheme.size()), kScheme))
    header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  return header;
}

template <class Stream>
class HttpSession : public HttpSessionBase,
                    public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  HttpSession(std::shared_ptr<HttpShared> shared, Stream stream)
      : shared_(std::move(shared)), stream_(std::move(stream)) {}

  ~HttpSession() override {
    std::lock_guard lock(shared_->mu);
    shared_->sessions.erase(id_);
  }

  void Start() {
    {
      std::lock_guard lock(shared_->mu);
      if (shared_->stopping || shared_->sessions.size() >= kMaxApiConnections) {
        if (!shared_->stopping)
          spdlog::warn("local API: {} connections already; closing a new one", kMaxApiConnections);
        beast::get_lowest_layer(stream_).close();
        return;
      }
      id_ = ++shared_->next_id;
      shared_->sessions[id_] = this->weak_from_this();
    }
    if constexpr (kTls) {
      Lowest().expires_after(kApiReadTimeout);
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          beast::bind_front_handler(&HttpSession::OnHandshake, this->shared_from_this()));
    } else {
      asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::DoReadHeader,
                                                                       this->shared_from_this()));
    }
  }

  void Close() override {
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this()] { self->Lowest().close(); });
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnHandshake(beast::error_code ec) {
    if (ec) return;  // not a TLS client, or gone: nothing to answer
    DoReadHeader();
  }

  // "http(s)://" + the Host header, else the address the client reached.
  std::string BaseUrl(std::string_view host) {
    std::string scheme = kTls ? "https://" : "http://";
    if (!host.empty()) return scheme + std::string(host);
    beast::error_code ec;
    auto local = Lowest().socket().local_endpoint(ec);
    if (ec) return {};
    std::string address = local.address().to_string();
    if (local.address().is_v6()) address = "[" + address + "]";
    return scheme + address + ":" + std::to_string(local.port());
  }

  // ---- request ----
  void DoReadHeader() {
    request_ = ApiRequest{};
    match_ = ApiMatch{};
    json_.reset();
    upload_.reset();
    spool_.reset();
    header_.emplace();
    header_->header_limit(kMaxApiHeaderBytes);
    // The body's limit depends on the route, set once it is known. (Not
    // boost::none: the header-only parser still applied its default limit.)
    header_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Lowest().expires_after(kApiReadTimeout);
    http::async_read_header(
        stream_, buffer_, *header_,
        beast::bind_front_handler(&HttpSession::OnHeader, this->shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t header_bytes) {
    if (ec == http::error::end_of_stream) return DoShutdown();
    if (ApiHeaderParser::OverLimit(ec, header_bytes)) {
      return SendError(Error(431, kErrorHeaderTooLarge, header_->why()), true);
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return SendError(Error(400, CodeName(Status::Code::kInvalidArgument),
                             "malformed request: " + ec.message()),
                       true);
    }
    if (ec) return;  // timeout, reset: nobody to answer
    const auto& req = header_->get();
    keep_alive_ = req.keep_alive();
    body_pending_ = !header_->is_done();
    auto target = ParseTarget(req.target());
    if (!target.ok()) return SendError(ApiError::FromStatus(target.status()), body_pending_);
    request_.method = std::string(req.method_string());
    request_.base_url = BaseUrl(req[http::field::host]);
    request_.path = target->path;
    request_.query = std::move(target->query);
    // The web console loads without a token; it signs in from its page.
    if (IsWebPath(request_.path)) return SendWeb(req[http::field::if_none_match]);

    // Older CKAN clients send their key as X-CKAN-API-Key.
    auto auth = req[http::field::authorization];
    if (auth.empty()) auth = req["X-CKAN-API-Key"];
    if (!auth.empty()) {
      std::string_view token = AuthorizationToken(auth);
      auto info =
          token.empty()
              ? Result<TokenInfo>(Status::NotFound("expected \"Authorization: Bearer TOKEN\""))
              : shared_->tokens.Authenticate(token);
      if (!info.ok())
        return SendError(Error(401, kErrorUnauthenticated, info.status().message()), body_pending_);
      request_.role = info->role;
    } else {
      request_.role = AnonymousRole(shared_->ctx, request_.path);
    }
    match_ = DefaultApiRouter().Match(request_.method, request_.path);
    if (!match_.ok()) return SendError(match_.error, body_pending_);
    // Before the body: an upload from a client that may not make it is
    // refused before a byte of it is stored.
    ApiError denied = RoleError(*match_.route, request_.role);
    if (!denied.code.empty()) return SendError(denied, body_pending_);
    if (match_.route->body == ApiBody::kUpload) return StartUpload();
    StartJsonBody();
  }

  void StartJsonBody() {
    if (!body_pending_) return Dispatch();
    auto length = header_->content_length();
    if (length && *length > kMaxApiJsonBodyBytes)
      return SendError(TooLarge(kMaxApiJsonBodyBytes, "kMaxApiJsonBodyBytes"), true);
    json_.emplace(header_->ToBodyParser());
    json_->body_limit(kMaxApiJsonBodyBytes);
    ContinueThen([self = this->shared_from_this()] {
      self->Lowest().expires_after(kApiReadTimeout);
      http::async_read(self->stream_, self->buffer_, *self->json_,
                       beast::bind_front_handler(&HttpSession::OnJsonBody, self));
    });
  }

  void OnJsonBody(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) return SendError(TooLarge(kMaxApiJsonBodyBytes, "kMaxApiJsonBodyBytes"), true);
    if (ec) return;
    body_pending_ = false;
    request_.body = std::move(json_->get().body());
    Dispatch();
  }

  void StartUpload() {
    const uint64_t limit = shared_->options.max_upload_bytes;
    auto length = header_->content_length();
    if (length && *length > limit) return SendError(TooLarge(limit, "kMaxApiUploadBytes"), true);
    auto spool = SpoolFile::Create(shared_->ctx.data_dir, ".csv");
    if (!spool.ok()) return SendError(ApiError::FromStatus(spool.status()), true);
    spool_ = std::move(spool).value();
    upload_.emplace(header_->ToBodyParser());
    upload_->body_limit(limit);
    beast::error_code ec;
    // write_existing: the spool file exists, empty. `write` would reopen it
    // with O_TRUNC, and ext4 then starts writeback of a truncated file when
    // it is closed: a disk write per upload (ahead of the commit's own
    // flush) for a file deleted right after the publish.
    upload_->get().body().open(spool_->path().c_str(), beast::file_mode::write_existing, ec);
    if (ec)
      return SendError(ApiError::FromStatus(Status::IoError(spool_->path() + ": " + ec.message())),
                       true);
    ContinueThen([self = this->shared_from_this()] { self->DoReadUpload(); });
  }

  // Piece by piece, so a slow but steady upload never times out.
  void DoReadUpload() {
    Lowest().expires_after(kApiReadTimeout);
    http::async_read_some(
        stream_, buffer_, *upload_,
        beast::bind_front_handler(&HttpSession::OnUpload, this->shared_from_this()));
  }

  void OnUpload(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit)
      return SendError(TooLarge(shared_->options.max_upload_bytes, "kMaxApiUploadBytes"), true);
    if (ec) return;  // the client went away: the spool file goes with us
    if (!upload_->is_done()) return DoReadUpload();
    upload_->get().body().close();
    body_pending_ = false;
    request_.upload_path = spool_->path();
    Dispatch();
  }

  // Answers "Expect: 100-continue" once the request is known to be taken.
  template <class Next>
  void ContinueThen(Next next) {
    auto expect = json_ ? json_->get()[http::field::expect] : upload_->get()[http::field::expect];
    if (!beast::iequals(expect, "100-continue")) return next();
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    Lowest().expires_after(kApiWriteTimeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, next](beast::error_code ec, size_t) {
                        if (!ec) next();
                      });
  }

  // ---- handling ----
  void Dispatch() {
    {
      std::lock_guard lock(shared_->mu);
      if (shared_->stopping) return Lowest().close();
    }
    asio::post(*shared_->handlers, [self = this->shared_from_this()] { self->Handle(); });
  }

  // On a handler thread.
  void Handle() {
    ApiOutcome outcome = RunRoute(match_, shared_->ctx, request_);
    spool_.reset();  // the handler is done with the upload
    auto self = this->shared_from_this();
    if (!outcome.ok()) {
      return asio::post(stream_.get_executor(),
                        [self, error = outcome.error] { self->SendError(error, false); });
    }
    if (!outcome.response.stream) {
      return asio::post(stream_.get_executor(), [self, response = std::move(outcome.response)] {
        self->SendJson(response.status, response.json, false);
      });
    }
    WriteStream(outcome.response);
  }

  // On a handler thread: the body as chunks. A failure after the header can
  // only cut the stream, which the client sees as an incomplete message.
  void WriteStream(const ApiResponse& response) {
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::server, "kongsi");
    res.set(http::field::content_type, response.content_type);
    res.keep_alive(keep_alive_);
    res.chunked(true);
    http::response_serializer<http::empty_body> serializer{res};
    beast::error_code ec =
        OnStrand([&](auto done) { http::async_write_header(stream_, serializer, done); });
    bool ok = !ec;
    if (ok) shared_->ctx.counters->CountResponse(200);
    Status written;
    if (ok) {
      auto send_chunk = [&](std::string_view data) {
        return !OnStrand([&](auto done) {
          asio::async_write(stream_, http::make_chunk(asio::buffer(data)), done);
        });
      };
      ChunkBuf chunks(send_chunk, kApiStreamChunkBytes);
      std::ostream out(&chunks);
      written = response.stream(out);
      out.flush();
      ok = written.ok() && !chunks.failed();
    }
    if (ok)
      ok = !OnStrand([&](auto done) { asio::async_write(stream_, http::make_chunk_last(), done); });
    if (!written.ok())
      spdlog::warn("local API: {} {}: stream cut: {}", request_.method, request_.path,
                   written.message());
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), ok] {
      if (!ok) return self->Lowest().close();
      if (self->keep_alive_) return self->DoReadHeader();
      self->DoShutdown();
    });
  }

  // Starts `op(done)` on the strand and waits for `done(ec, bytes)`; the
  // write itself times out after kApiWriteTimeout. Only the strand's side
  // holds the promise: if the io_context drops the work, the promise breaks
  // and the wait ends.
  template <class Op>
  beast::error_code OnStrand(Op op) {
    std::future<beast::error_code> future;
    {
      auto result = std::make_shared<std::promise<beast::error_code>>();
      future = result->get_future();
      asio::post(stream_.get_executor(), [this, op, result = std::move(result)]() mutable {
        Lowest().expires_after(kApiWriteTimeout);
        op([result = std::move(result)](beast::error_code ec, size_t) { result->set_value(ec); });
      });
    }
    try {
      return future.get();
    } catch (const std::future_error&) {
      return asio::error::operation_aborted;
    }
  }

  // ---- response ----
  void SendError(const ApiError& error, bool close) {
    ApiResponse response = ErrorResponse(error, request_.path, request_.base_url);
    SendJson(response.status, response.json, close);
  }

  // `close` when the request's body was not read: the connection cannot
  // carry another request.
  void SendJson(int status, const boost::json::value& doc, bool close) {
    auto res = std::make_shared<http::response<http::string_body>>(http::int_to_status(status), 11);
    res->set(http::field::server, "kongsi");
    res->set(http::field::content_type, "application/json");
    if (status == 401) res->set(http::field::www_authenticate, "Bearer");
    res->body() = boost::json::serialize(doc) + "\n";
    res->prepare_payload();
    Write(std::move(res), close);
  }

  // The web console's files (server/web_assets.h): no token needed, GET and
  // HEAD only, 304 when the client has this version.
  void SendWeb(std::string_view if_none_match) {
    const bool head = request_.method == "HEAD";
    if (request_.method != "GET" && !head) {
      return SendError(Error(405, kErrorMethodNotAllowed,
                             request_.method + " is not allowed on " + request_.path +
                                 " (allowed: GET, HEAD)"),
                       body_pending_);
    }
    const WebAsset* asset = FindWebAsset(request_.path);
    if (asset == nullptr) {
      return SendError(Error(404, CodeName(Status::Code::kNotFound),
                             "no such file in the web console: " + request_.path),
                       body_pending_);
    }
    const bool fresh = if_none_match == asset->etag;
    auto res = std::make_shared<http::response<http::string_body>>(
        fresh ? http::status::not_modified : http::status::ok, 11);
    res->set(http::field::server, "kongsi");
    res->set(http::field::content_type, asset->content_type);
    res->set(http::field::cache_control, kWebCacheControl);
    res->set(http::field::etag, asset->etag);
    for (const auto& [name, value] : WebSecurityHeaders()) res->set(name, value);
    if (!fresh && !head) res->body() = std::string(asset->body);
    if (!fresh) res->content_length(asset->body.size());
    Write(std::move(res), body_pending_);
  }

  // Sends `res` (its payload prepared); `close` as for SendJson.
  void Write(std::shared_ptr<http::response<http::string_body>> res, bool close) {
    res->keep_alive(keep_alive_ && !close && !body_pending_);
    unread_input_ = close;
    shared_->ctx.counters->CountResponse(res->result_int());
    Lowest().expires_after(kApiWriteTimeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (!res->keep_alive()) return self->DoShutdown();
                        self->DoReadHeader();
                      });
  }

  void DoShutdown() {
    if constexpr (kTls) {
      Lowest().expires_after(kApiWriteTimeout);
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->Lowest().close(); });
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
      if (unread_input_) DoDrain();
    }
  }

  // After answering a request whose input was not all read: closing with
  // unread input would send a reset, and the client could lose the answer
  // before reading it. So read and drop what still comes, for a while.
  void DoDrain() {
    Lowest().expires_after(kApiDrainTimeout);
    Lowest().async_read_some(asio::buffer(drain_.data(), drain_.size()),
                             [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                               self->drained_ += n;
                               if (!ec && self->drained_ < kApiDrainBytes) self->DoDrain();
                             });
  }

  std::shared_ptr<HttpShared> shared_;
  Stream stream_;
  uint64_t id_ = 0;
  beast::flat_buffer buffer_;
  std::optional<ApiHeaderParser> header_;
  std::optional<http::request_parser<http::string_body>> json_;
  std::optional<http::request_parser<http::file_body>> upload_;
  std::unique_ptr<SpoolFile> spool_;
  ApiRequest request_;
  ApiMatch match_;
  bool keep_alive_ = false;
  bool body_pending_ = false;  // the request has a body not read (yet)
  bool unread_input_ = false;  // answered before reading all of the request
  std::array<char, 16 * 1024> drain_{};
  uint64_t drained_ = 0;
};

}  // namespace

std::vector<std::shared_ptr<HttpSessionBase>> HttpShared::LiveSessions() {
  std::vector<std::shared_ptr<HttpSessionBase>> out;
  std::lock_guard lock(mu);
  for (auto& [id, weak] : sessions) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

void StartHttpSession(const std::shared_ptr<HttpShared>& shared, asio::ip::tcp::socket socket) {
  if (shared->tls) {
    std::make_shared<HttpSession<TlsStream>>(shared, TlsStream(std::move(socket), *shared->tls))
        ->Start();
  } else {
    std::make_shared<HttpSession<PlainStream>>(shared, PlainStream(std::move(socket)))->Start();
  }
}

}  // namespace kongsi::server
