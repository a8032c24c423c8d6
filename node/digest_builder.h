// SHA-256 over canonical bytes, each part length-prefixed so that
// concatenations cannot collide (collection digests, publish marks); and
// SHA-256 of many short inputs in turn (an import's keys).
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "storage/key_codec.h"

namespace kongsi::node {

class DigestBuilder {
 public:
  DigestBuilder() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~DigestBuilder() { EVP_MD_CTX_free(ctx_); }
  DigestBuilder(const DigestBuilder&) = delete;
  DigestBuilder& operator=(const DigestBuilder&) = delete;

  void Add(std::string_view part) {
    std::string len;
    storage::AppendU64(&len, part.size());
    Update(len);
    Update(part);
  }
  // Raw bytes, no prefix: for one part streamed in pieces (a file).
  void Update(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
  // The 32-byte digest; the builder is spent.
  std::string Finish() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, md, &n);
    return std::string(reinterpret_cast<char*>(md), n);
  }

 private:
  EVP_MD_CTX* ctx_;
};

// SHA-256 of many short inputs one after another (a key per row of an
// import). OpenSSL 3's one-shot SHA256() looks the algorithm up and makes a
// context on every call: ~3% of a 1M-row import. This keeps both.
class Sha256Hasher {
 public:
  Sha256Hasher() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {}
  ~Sha256Hasher() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  // The 32-byte digest of `data`.
  std::string Digest(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestInit_ex2(ctx_, md_, nullptr);
    EVP_DigestUpdate(ctx_, data.data(), data.size());
    EVP_DigestFinal_ex(ctx_, md, &n);
    return std::string(reinterpret_cast<char*>(md), n);
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

}  // namespace kongsi::node
