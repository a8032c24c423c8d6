#include "server/peer_listener.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace kongsi::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

}  // namespace

PeerListener::PeerListener(PeerEnvironment& env)
    : env_(env), acceptor_(asio::make_strand(env.ioc)), retry_timer_(acceptor_.get_executor()) {}

Status PeerListener::Listen(const HostPort& address) {
  const std::string where = "peer listener on " + address.host + ":" + std::to_string(address.port);
  error_code ec;
  tcp::resolver resolver(env_.ioc);
  auto results = resolver.resolve(address.host, std::to_string(address.port), tcp::resolver::passive, ec);
  if (ec || results.empty()) return Status::InvalidArgument(where + ": cannot resolve the host: " + ec.message());
  tcp::endpoint endpoint = results.begin()->endpoint();
  if (acceptor_.open(endpoint.protocol(), ec); ec) return Status::IoError(where + ": open: " + ec.message());
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return Status::IoError(where + ": SO_REUSEADDR: " + ec.message());
  }
  if (acceptor_.bind(endpoint, ec); ec) return Status::IoError(where + ": bind: " + ec.message());
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status::IoError(where + ": listen: " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  return Status::Ok();
}

void PeerListener::Start() {
  asio::post(acceptor_.get_executor(), [this] { DoAccept(); });
}

void PeerListener::Stop() {
  asio::post(acceptor_.get_executor(), [this] {
    error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
  });
}

void PeerListener::DoAccept() {
  // Each accepted socket gets its own strand: the connection's network strand.
  acceptor_.async_accept(asio::make_strand(env_.ioc), [this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
    if (!ec) {
      AcceptPeer(env_, std::move(socket));
      return DoAccept();
    }
    spdlog::warn("[{}] accept on port {}: {}", ShortId(env_.hub.self_id()), port_, ec.message());
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([this](error_code ec) {
      if (!ec && acceptor_.is_open()) DoAccept();
    });
  });
}

}  // namespace kongsi::server
