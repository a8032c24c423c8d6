#include "node/certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "node/identity.h"

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr ParsePem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                BIO_free);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

std::string ToDer(X509* cert) {
  unsigned char* out = nullptr;
  int len = i2d_X509(cert, &out);
  std::string der(reinterpret_cast<char*>(out), len > 0 ? size_t(len) : 0);
  OPENSSL_free(out);
  return der;
}

Identity MakeIdentity(const std::string& name) {
  Result<Identity> id = Identity::Generate(name);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return std::move(id).value();
}

TEST(CertificateTest, PemRoundTripGivesTheNodeId) {
  Identity id = MakeIdentity("Org A");
  Result<std::string> pem = MakeSelfSignedCertificatePem(id);
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  EXPECT_THAT(*pem, HasSubstr("-----BEGIN CERTIFICATE-----"));
  Result<std::string> node_id = NodeIdFromCertificatePem(*pem);
  ASSERT_TRUE(node_id.ok()) << node_id.status().ToString();
  EXPECT_EQ(*node_id, id.node_id());
}

TEST(CertificateTest, DerRoundTripGivesTheNodeId) {
  Identity id = MakeIdentity("Org A");
  Result<std::string> pem = MakeSelfSignedCertificatePem(id);
  ASSERT_TRUE(pem.ok());
  X509Ptr cert = ParsePem(*pem);
  ASSERT_TRUE(cert);
  Result<std::string> node_id = NodeIdFromCertificateDer(ToDer(cert.get()));
  ASSERT_TRUE(node_id.ok()) << node_id.status().ToString();
  EXPECT_EQ(*node_id, id.node_id());
  Result<std::string> from_x509 = NodeIdFromCertificate(cert.get());
  ASSERT_TRUE(from_x509.ok());
  EXPECT_EQ(*from_x509, id.node_id());
}

TEST(CertificateTest, CertificateFieldsAndKeyMatch) {
  Identity id = MakeIdentity("Org A");
  Result<std::string> pem = MakeSelfSignedCertificatePem(id);
  ASSERT_TRUE(pem.ok());
  X509Ptr cert = ParsePem(*pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_private_key(cert.get(), id.evp_pkey()), 1);

  char cn[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  EXPECT_EQ(std::string(cn), id.node_id_text());
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);

  // Valid now, and for about 20 years.
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(cert.get())), 0);
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                           X509_get0_notAfter(cert.get())),
            1);
  EXPECT_GE(days, 19 * 365);

  // Serials are random: two certificates of one key differ in serial only.
  Result<std::string> pem2 = MakeSelfSignedCertificatePem(id);
  ASSERT_TRUE(pem2.ok());
  X509Ptr cert2 = ParsePem(*pem2);
  ASSERT_TRUE(cert2);
  EXPECT_NE(
      ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()), X509_get0_serialNumber(cert2.get())), 0);
  Result<std::string> node_id2 = NodeIdFromCertificatePem(*pem2);
  ASSERT_TRUE(node_id2.ok());
  EXPECT_EQ(*node_id2, id.node_id());
}

TEST(CertificateTest, AnotherKeyGivesAnotherId) {
  Identity a = MakeIdentity("Org A");
  Identity b = MakeIdentity("Org B");
  Result<std::string> pem_a = MakeSelfSignedCertificatePem(a);
  Result<std::string> pem_b = MakeSelfSignedCertificatePem(b);
  ASSERT_TRUE(pem_a.ok() && pem_b.ok());
  Result<std::string> id_a = NodeIdFromCertificatePem(*pem_a);
  Result<std::string> id_b = NodeIdFromCertificatePem(*pem_b);
  ASSERT_TRUE(id_a.ok() && id_b.ok());
  EXPECT_NE(*id_a, *id_b);
  EXPECT_EQ(*id_b, b.node_id());
}

TEST(CertificateTest, RejectsNonEd25519Key) {
  // `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 ...`
  const std::string ec_pem =
      "-----BEGIN CERTIFICATE-----\n"
      "MIIBfzCCASWgAwIBAgIUGcCZ6yiqe/dlLlIgbUpESBokBiUwCgYIKoZIzj0EAwIw\n"
      "FTETMBEGA1UEAwwKbm90LWtvbmdzaTAeFw0yNjExMjMxMDQ4NTRaFw00NjExMTgx\n"
      "MDQ4NTRaMBUxEzARBgNVBAMMCm5vdC1rb25nc2kwWTATBgcqhkjOPQIBBggqhkjO\n"
      "PQMBBwNCAAR4wdMOLVXQXgIp0hH4Uo2MWYJ+PFP7Pn5uUDL6cJZQF69ZScN0fi8A\n"
      "hYN2nCu8VJjwnTPTzW7+koAZaTzP2Rzno1MwUTAdBgNVHQ4EFgQU1+LSJKLgJlGf\n"
      "lMJLqHYauSTEjaUwHwYDVR0jBBgwFoAU1+LSJKLgJlGflMJLqHYauSTEjaUwDwYD\n"
      "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiAcg3nxCsVSm3J74QgYt8Wk\n"
      "47mYL7kzV64H1HehNnQs8QIhAJ/AiwEUBVkYgwiLGU0+G1MjmLS3NGvM24BjeVXE\n"
      "Ff0N\n"
      "-----END CERTIFICATE-----\n";
  Result<std::string> node_id = NodeIdFromCertificatePem(ec_pem);
  ASSERT_FALSE(node_id.ok());
  EXPECT_EQ(node_id.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(node_id.status().message(), HasSubstr("certificate key is EC, not Ed25519"));
}

TEST(CertificateTest, RejectsGarbageAndTampering) {
  EXPECT_FALSE(NodeIdFromCertificatePem("").ok());
  EXPECT_THAT(NodeIdFromCertificatePem("hello").status().message(),
              HasSubstr("not a PEM certificate"));
  EXPECT_THAT(NodeIdFromCertificateDer("\x30\x03\x02\x01\x01").status().message(),
              HasSubstr("not a DER certificate"));
  EXPECT_THAT(
      NodeIdFromCertificateDer(std::string(kMaxCertificateBytes + 1, '\x30')).status().message(),
      HasSubstr("limit"));

  Identity a = MakeIdentity("Org A");
  Result<std::string> pem = MakeSelfSignedCertificatePem(a);
  ASSERT_TRUE(pem.ok());
  X509Ptr cert = ParsePem(*pem);
  ASSERT_TRUE(cert);
  std::string der = ToDer(cert.get());

  EXPECT_THAT(NodeIdFromCertificateDer(der + "x").status().message(), HasSubstr("1 stray bytes"));

  std::string bad_signature = der;
  bad_signature.back() ^= 0x01;  // the Ed25519 signature ends the DER
  EXPECT_THAT(NodeIdFromCertificateDer(bad_signature).status().message(),
              HasSubstr("self-signature does not verify"));

  // A certificate that claims B's key but was signed by A: whoever made it
  // does not hold B's key, so it must not yield B's node ID.
  Identity b = MakeIdentity("Org B");
  ASSERT_EQ(X509_set_pubkey(cert.get(), b.evp_pkey()), 1);
  unsigned char* tbs = nullptr;  // drop the cached encoding of the signed part
  ASSERT_GT(i2d_re_X509_tbs(cert.get(), &tbs), 0);
  OPENSSL_free(tbs);
  std::string swapped_der = ToDer(cert.get());
  ASSERT_NE(swapped_der, der);
  Result<std::string> swapped = NodeIdFromCertificateDer(swapped_der);
  ASSERT_FALSE(swapped.ok());
  EXPECT_THAT(swapped.status().message(), HasSubstr("self-signature does not verify"));
}

TEST(CertificateTest, PrivateKeyPemLoadsBackAsTheSameKey) {
  Identity id = MakeIdentity("Org A");
  Result<std::string> pem = id.PrivateKeyPem();
  ASSERT_TRUE(pem.ok());
  EXPECT_THAT(*pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem->data(), int(pem->size())),
                                                BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_eq(key.get(), id.evp_pkey()), 1);
}

}  // namespace
}  // namespace kongsi::node
