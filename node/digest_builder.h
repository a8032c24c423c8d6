// SHA-256 over canonical bytes, each part length-prefixed so that
// concatenations cannot collide (collection digests, publish marks).
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

}  // namespace kongsi::node
