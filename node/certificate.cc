#include "node/certificate.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace kongsi::node {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;

// Empties OpenSSL's error queue so it cannot leak into a later, unrelated
// call, and returns the first reason for a message.
std::string TakeOpenSslError() {
  unsigned long first = ERR_peek_error();
  const char* reason = first == 0 ? nullptr : ERR_reason_error_string(first);
  ERR_clear_error();
  return reason ? reason : "unknown OpenSSL error";
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value), X509_EXTENSION_free);
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Status::Internal(std::string("cannot add certificate extension ") + OBJ_nid2sn(nid) +
                            ": " + TakeOpenSslError());
  }
  return Status::Ok();
}

// Fills in everything but the signature.
Status BuildCertificate(X509* cert, const Identity& identity) {
  EVP_PKEY* key = identity.evp_pkey();
  // 127 random bits with the top one set: positive, non-zero, 16 DER bytes,
  // well within RFC 5280's 20-octet limit.
  BnPtr serial(BN_new(), BN_free);
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return Status::Internal("cannot make a certificate serial: " + TakeOpenSslError());
  }
  constexpr long kOneDaySeconds = 24L * 60 * 60;
  X509_NAME* name = X509_get_subject_name(cert);
  const std::string& cn = identity.node_id_text();
  if (X509_set_version(cert, X509_VERSION_3) != 1 ||
      X509_time_adj_ex(X509_getm_notBefore(cert), 0, -kOneDaySeconds, nullptr) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), kCertificateValidityDays, 0, nullptr) == nullptr ||
      X509_set_pubkey(cert, key) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(cn.data()),
                                 static_cast<int>(cn.size()), -1, 0) != 1 ||
      X509_set_issuer_name(cert, name) != 1) {
    return Status::Internal("cannot fill in the certificate: " + TakeOpenSslError());
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  KONGSI_RETURN_IF_ERROR(AddExtension(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  KONGSI_RETURN_IF_ERROR(AddExtension(cert, &ctx, NID_key_usage, "critical,digitalSignature"));
  KONGSI_RETURN_IF_ERROR(AddExtension(cert, &ctx, NID_ext_key_usage, "serverAuth,clientAuth"));
  KONGSI_RETURN_IF_ERROR(AddExtension(cert, &ctx, NID_subject_key_identifier, "hash"));
  return Status::Ok();
}

Status CheckSize(std::string_view input, const char* what) {
  if (input.empty()) return Status::InvalidArgument(std::string(what) + " certificate is empty");
  if (input.size() > kMaxCertificateBytes) {
    return Status::InvalidArgument(std::string(what) + " certificate is " +
                                   std::to_string(input.size()) + " bytes, over the " +
                                   std::to_string(kMaxCertificateBytes) + "-byte limit");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> MakeSelfSignedCertificatePem(const Identity& identity) {
  X509Ptr cert(X509_new(), X509_free);
  if (!cert) return Status::Internal("X509_new failed: " + TakeOpenSslError());
  KONGSI_RETURN_IF_ERROR(BuildCertificate(cert.get(), identity));
  // Ed25519 hashes internally (PureEdDSA): the digest argument must be null.
  if (X509_sign(cert.get(), identity.evp_pkey(), nullptr) <= 0) {
    return Status::Internal("cannot sign the certificate: " + TakeOpenSslError());
  }
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
    return Status::Internal("cannot encode the certificate as PEM: " + TakeOpenSslError());
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

Result<std::string> NodeIdFromCertificate(const X509* cert) {
  if (cert == nullptr) return Status::InvalidArgument("no certificate");
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) {
    return Status::InvalidArgument("certificate public key does not decode: " + TakeOpenSslError());
  }
  if (!EVP_PKEY_is_a(key, "ED25519")) {
    const char* type = EVP_PKEY_get0_type_name(key);
    return Status::InvalidArgument(std::string("certificate key is ") +
                                   (type ? type : "of an unknown type") +
                                   ", not Ed25519: not a Kongsi node certificate");
  }
  // The TLS handshake proves the peer holds the key; the self-signature
  // costs little and turns away certificates no Kongsi node made.
  // X509_verify only reads the certificate; its prototype lacks the const.
  if (X509_verify(const_cast<X509*>(cert), key) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("certificate self-signature does not verify");
  }
  unsigned char raw[kPublicKeyBytes];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != kPublicKeyBytes) {
    return Status::InvalidArgument("cannot read the certificate's Ed25519 key: " +
                                   TakeOpenSslError());
  }
  return NodeIdFromPublicKey(std::string_view(reinterpret_cast<const char*>(raw), len));
}

Result<std::string> NodeIdFromCertificatePem(std::string_view pem) {
  KONGSI_RETURN_IF_ERROR(CheckSize(pem, "PEM"));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  // Certificates carry no passphrase; the empty string keeps OpenSSL from
  // ever prompting on a terminal.
  X509Ptr cert(
      bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, const_cast<char*>("")) : nullptr,
      X509_free);
  if (!cert) {
    return Status::InvalidArgument("not a PEM certificate: " + TakeOpenSslError());
  }
  return NodeIdFromCertificate(cert.get());
}

Result<std::string> NodeIdFromCertificateDer(std::string_view der) {
  KONGSI_RETURN_IF_ERROR(CheckSize(der, "DER"));
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())), X509_free);
  if (!cert) return Status::InvalidArgument("not a DER certificate: " + TakeOpenSslError());
  if (p != end) {
    return Status::InvalidArgument("DER certificate is followed by " + std::to_string(end - p) +
                                   " stray bytes");
  }
  return NodeIdFromCertificate(cert.get());
}

}  // namespace kongsi::node
