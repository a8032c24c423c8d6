// Self-signed X.509 certificates made from the node key, for mutual TLS with
// pinned node IDs (DESIGN §7, as Syncthing does): no CA; a peer is whoever
// holds the private key of the Ed25519 public key in its certificate, and its
// node ID is derived from that key. The TLS layer (server/) loads the
// certificate and Identity::PrivateKeyPem() into its context, and in its
// verify callback maps the peer certificate to a node ID with the functions
// below and checks it against the configured peers.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "node/identity.h"
#include "storage/status.h"

namespace kongsi::node {

// A certificate is one or two kilobytes; bound what we parse from a peer.
inline constexpr size_t kMaxCertificateBytes = 64 * 1024;
// Long enough never to need renewal in practice: trust comes from the pinned
// node ID, not from dates, so expiry would only break working links.
inline constexpr int kCertificateValidityDays = 20 * 365;

// An X.509 v3 certificate, PEM, self-signed with `identity`'s Ed25519 key:
// CN = node ID text, 128-bit random serial, notBefore one day in the past
// (tolerates peers with slow clocks), valid kCertificateValidityDays, with
// basicConstraints CA:FALSE, keyUsage digitalSignature and extendedKeyUsage
// serverAuth + clientAuth. A new serial each call; the node ID is stable.
Result<std::string> MakeSelfSignedCertificatePem(const Identity& identity);

// The raw 32-byte node ID of a peer certificate. InvalidArgument when the
// input is not one certificate, its key is not Ed25519 (the error names the
// key type found), or its self-signature does not verify. Dates are not
// checked: pinning makes them irrelevant.
Result<std::string> NodeIdFromCertificatePem(std::string_view pem);
Result<std::string> NodeIdFromCertificateDer(std::string_view der);
// For an X509* in hand (SSL_get0_peer_certificate, a verify callback).
Result<std::string> NodeIdFromCertificate(const X509* cert);

}  // namespace kongsi::node
