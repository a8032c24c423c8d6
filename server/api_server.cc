#include "server/api_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "server/api_spool.h"
#include "server/config.h"
#include "server/http_session.h"
#include "server/tls_context.h"
#include "server/token_store.h"

namespace kongsi::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class ApiServer::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, std::shared_ptr<HttpShared> shared)
      : ioc_(ioc), shared_(std::move(shared)), acceptor_(asio::make_strand(ioc)) {}

  Status Listen(const tcp::endpoint& endpoint) {
    boost::system::error_code ec;
    const std::string where =
        endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::IoError("local API: cannot listen on " + where + ": " + ec.message());
    bound_ = acceptor_.local_endpoint(ec);
    return Status::Ok();
  }
  const tcp::endpoint& bound() const { return bound_; }

  void Start() {
    asio::post(acceptor_.get_executor(),
               boost::beast::bind_front_handler(&Listener::DoAccept, shared_from_this()));
  }
  void Stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ec;
      self->acceptor_.close(ec);
    });
  }

 private:
  void DoAccept() {
    // Each connection gets its own strand.
    acceptor_.async_accept(asio::make_strand(ioc_), boost::beast::bind_front_handler(
                                                        &Listener::OnAccept, shared_from_this()));
  }
  void OnAccept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      spdlog::warn("local API: accept: {}", ec.message());
    } else {
      StartHttpSession(shared_, std::move(socket));
    }
    DoAccept();
  }

  asio::io_context& ioc_;
  std::shared_ptr<HttpShared> shared_;
  tcp::acceptor acceptor_;
  tcp::endpoint bound_;
};

ApiServer::ApiServer(asio::io_context& ioc, ApiContext context, std::string listen,
                     ApiServerOptions options)
    : ioc_(ioc),
      listen_(std::move(listen)),
      shared_(std::make_shared<HttpShared>(std::move(context), options)) {}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Start() {
  auto address = ParseHostPort(listen_, "--api-listen", /*allow_port_zero=*/true);
  if (!address.ok()) return address.status();
  tcp::resolver resolver(ioc_);
  boost::system::error_code ec;
  auto results = resolver.resolve(address->host, std::to_string(address->port), ec);
  if (ec || results.empty()) {
    return Status::InvalidArgument("--api-listen: cannot resolve \"" + address->host +
                                   "\": " + ec.message());
  }
  const tcp::endpoint endpoint = *results.begin();
  // Tokens are secrets: beyond this machine they travel in TLS only.
  if (!endpoint.address().is_loopback()) {
    auto tls = MakePeerTlsContext(shared_->ctx.node.identity());
    if (!tls.ok()) return tls.status();
    shared_->tls = std::move(tls).value();
    // API clients prove who they are with tokens, not certificates.
    shared_->tls->set_verify_mode(asio::ssl::verify_none, ec);
    if (ec) return Status::Internal("local API: TLS setup: " + ec.message());
  }
  RemoveStaleSpoolFiles(shared_->ctx.data_dir);
  listener_ = std::make_shared<Listener>(ioc_, shared_);
  KONGSI_RETURN_IF_ERROR(listener_->Listen(endpoint));
  bound_ = listener_->bound();
  listener_->Start();
  spdlog::info("local API on {}", url());
  return Status::Ok();
}

void ApiServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (listener_) listener_->Stop();
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopping = true;
  }
  for (const auto& session : shared_->LiveSessions()) session->Close();
  shared_->handlers->join();
}

uint16_t ApiServer::port() const { return bound_.port(); }

bool ApiServer::tls() const { return shared_->tls != nullptr; }

std::string ApiServer::url() const {
  asio::ip::address address = bound_.address();
  if (address.is_unspecified()) {
    address = address.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                              : asio::ip::address(asio::ip::address_v4::loopback());
  }
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return std::string(tls() ? "https://" : "http://") + host + ":" + std::to_string(bound_.port());
}

Result<std::unique_ptr<ApiServer>> StartLocalApi(asio::io_context& ioc, ApiContext context,
                                                 const HostPort& listen, RuntimeInfo* runtime) {
  const std::string host =
      listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host;
  TokenStore tokens(context.node.db());
  auto server = std::make_unique<ApiServer>(ioc, std::move(context),
                                            host + ":" + std::to_string(listen.port));
  KONGSI_RETURN_IF_ERROR(server->Start());
  auto token = tokens.Replace(ApiRole::kAdmin, kLocalCliTokenName);
  if (!token.ok()) return token.status();
  runtime->api_url = server->url();
  runtime->api_token = token->token;
  return server;
}

}  // namespace kongsi::server
