// TLS for the peer link (DESIGN §7): TLS 1.3 only, mutual authentication,
// each side presenting the self-signed certificate made from its node key.
// There is no CA and no hostname check (the certificate has no SAN): at the
// TLS level any well-formed self-signed Ed25519 certificate is accepted, the
// handshake proves the peer holds its key, and the connection then decides
// who the peer is from PeerNodeId and checks that ID against the config and
// the collections' ACLs (pinning, as Syncthing does).
#pragma once

#include <openssl/types.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "node/identity.h"
#include "storage/status.h"

namespace kongsi::server {

// One context serves both directions (accept and dial). Thread-safe once
// made: OpenSSL contexts may be shared by connections on any thread.
Result<std::shared_ptr<boost::asio::ssl::context>> MakePeerTlsContext(const node::Identity& identity);

// The raw node ID of the peer of an established TLS connection, from its
// certificate. InvalidArgument when it sent none or it is not ours.
Result<std::string> PeerNodeId(SSL* ssl);

}  // namespace kongsi::server
