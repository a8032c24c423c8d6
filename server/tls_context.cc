#include "server/tls_context.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "node/certificate.h"

namespace kongsi::server {
namespace {

namespace ssl = boost::asio::ssl;

constexpr unsigned char kSessionIdContext[] = "kongsi-peer";

// Accepts exactly one self-signed certificate whose key is Ed25519 and whose
// self-signature verifies; every other verdict of OpenSSL's chain check
// (untrusted self-signed, dates) is about a CA model we do not use.
bool VerifyPeerCertificate(bool /*preverified*/, ssl::verify_context& ctx) {
  X509_STORE_CTX* store = ctx.native_handle();
  if (X509_STORE_CTX_get_error_depth(store) != 0) return false;  // no chains
  const X509* cert = X509_STORE_CTX_get_current_cert(store);
  return cert != nullptr && node::NodeIdFromCertificate(cert).ok();
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakePeerTlsContext(const node::Identity& identity) {
  auto pem = node::MakeSelfSignedCertificatePem(identity);
  if (!pem.ok()) return pem.status();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
    return Status::Internal("OpenSSL refuses to limit the peer link to TLS 1.3");
  }
  boost::system::error_code ec;
  ctx->use_certificate(boost::asio::buffer(*pem), ssl::context::pem, ec);
  if (ec) return Status::Internal("cannot load the node certificate: " + ec.message());
  if (SSL_CTX_use_PrivateKey(native, identity.evp_pkey()) != 1 || SSL_CTX_check_private_key(native) != 1) {
    return Status::Internal("cannot load the node key into the TLS context");
  }
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  if (ec) return Status::Internal("cannot require peer certificates: " + ec.message());
  ctx->set_verify_callback(VerifyPeerCertificate, ec);
  if (ec) return Status::Internal("cannot set the certificate check: " + ec.message());
  // No resumption: every connection shows its certificate, so the node ID
  // is always taken from a certificate verified on this very connection.
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_id_context(native, kSessionIdContext, sizeof kSessionIdContext - 1);
  return ctx;
}

Result<std::string> PeerNodeId(SSL* ssl) {
  const X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return Status::InvalidArgument("the peer sent no certificate");
  return node::NodeIdFromCertificate(cert);
}

}  // namespace kongsi::server
