#include "node/identity.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "node/base32.h"
#include "node/commit_open.h"

namespace kongsi::node {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::shared_ptr<EVP_PKEY> WrapKey(EVP_PKEY* key) {
  return key == nullptr ? nullptr : std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

const unsigned char* Bytes(std::string_view s) {
  // OpenSSL may reject a null pointer even with length 0.
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

// Takes OpenSSL's queued errors so they do not leak into an unrelated later
// call, and returns the first one as text for a message.
std::string TakeOpenSslError() {
  unsigned long first = ERR_peek_error();
  const char* reason = first == 0 ? nullptr : ERR_reason_error_string(first);
  ERR_clear_error();
  return reason ? reason : "unknown OpenSSL error";
}

// The raw 32-byte public half of an Ed25519 key.
Result<std::string> RawPublicKey(EVP_PKEY* key) {
  std::string public_key(kPublicKeyBytes, '\0');
  size_t len = public_key.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(public_key.data()), &len) !=
          1 ||
      len != kPublicKeyBytes) {
    return Status::InvalidArgument("cannot read the Ed25519 public key: " + TakeOpenSslError());
  }
  return public_key;
}

std::string Errno(int err) { return std::strerror(err); }

// Never prompt on a terminal for a passphrase: encrypted keys just fail.
int NoPassphrase(char*, int, int, void*) { return -1; }

Status CheckName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("node name is empty");
  if (name.size() > kMaxNameBytes) {
    return Status::InvalidArgument("node name is " + std::to_string(name.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxNameBytes));
  }
  for (size_t i = 0; i < name.size();) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("node name has a control character at byte " +
                                     std::to_string(i));
    }
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    bool ok = len != 0 && i + len <= name.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (name[i + k] & 0xc0) == 0x80;
    if (!ok) return Status::InvalidArgument("node name is not UTF-8 at byte " + std::to_string(i));
    i += len;
  }
  return Status::Ok();
}

// Reads a small regular file into `out`; `mode` receives its permission bits.
Status ReadSmallFile(const std::string& path, std::string* out, mode_t* mode) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": missing");
    if (err == EACCES) return Status::PermissionDenied(path + ": unreadable: " + Errno(err));
    return Status::IoError(path + ": cannot open: " + Errno(err));
  }
  struct stat st;
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = Status::IoError(path + ": cannot stat: " + Errno(errno));
  } else if (!S_ISREG(st.st_mode)) {
    status = Status::InvalidArgument(path + ": not a regular file");
  } else if (static_cast<uint64_t>(st.st_size) > kMaxIdentityFileBytes) {
    status = Status::InvalidArgument(path + ": " + std::to_string(st.st_size) +
                                     " bytes, larger than the " +
                                     std::to_string(kMaxIdentityFileBytes) + "-byte limit");
  } else {
    *mode = st.st_mode & 07777;
    out->assign(static_cast<size_t>(st.st_size), '\0');
    size_t done = 0;
    while (status.ok() && done < out->size()) {
      ssize_t n = ::read(fd, out->data() + done, out->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) status = Status::IoError(path + ": cannot read: " + Errno(errno));
      if (n == 0) out->resize(done);  // shrank while we read
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return status;
}

// Writes `contents` to `path` through an fd opened with `flags` and `mode`,
// then fsyncs. The mode applies at creation, so there is no moment when the
// file is more open than `mode`.
Status WriteFile(const std::string& path, std::string_view contents, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) return Status::AlreadyExists(path + ": already exists");
    return Status::IoError(path + ": cannot create: " + Errno(err));
  }
  Status status;
  size_t done = 0;
  while (status.ok() && done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      status = Status::IoError(path + ": cannot write: " + Errno(errno));
    else
      done += static_cast<size_t>(n);
  }
  if (status.ok() && ::fsync(fd) != 0) status = Status::IoError(path + ": fsync: " + Errno(errno));
  if (::close(fd) != 0 && status.ok()) status = Status::IoError(path + ": close: " + Errno(errno));
  return status;
}

Status EnsureDirectory(const std::string& dir) {
  std::filesystem::path path(dir);
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  // The leaf holds the private key: only its owner should list it.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IoError(dir + ": cannot create directory: " + Errno(errno));
  }
  if (!std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(dir + ": not a directory");
  }
  return Status::Ok();
}

std::string InfoJson(const Identity& id) {
  boost::json::object info;
  info["name"] = id.name();
  info["node_id"] = id.node_id_text();
  return boost::json::serialize(info) + "\n";
}

// Reads node.json's name and checks it describes `public_key`.
Result<std::string> LoadName(const std::string& path, const std::string& public_key) {
  std::string text;
  mode_t mode = 0;
  KONGSI_RETURN_IF_ERROR(ReadSmallFile(path, &text, &mode));
  boost::system::error_code ec;
  boost::json::value json = boost::json::parse(text, ec);
  if (ec) return Status::InvalidArgument(path + ": not JSON: " + ec.message());
  const auto* object = json.if_object();
  const boost::json::value* name = object ? object->if_contains("name") : nullptr;
  const boost::json::value* node_id = object ? object->if_contains("node_id") : nullptr;
  if (name == nullptr || !name->is_string() || node_id == nullptr || !node_id->is_string()) {
    return Status::InvalidArgument(path + R"(: expected {"name": "...", "node_id": "..."})");
  }
  std::string id_text(node_id->as_string());
  if (id_text != NodeIdText(NodeIdFromPublicKey(public_key))) {
    return Status::Corruption(path + ": node_id " + id_text + " is not the ID of the key in " +
                              kKeyFileName);
  }
  return std::string(name->as_string());
}

}  // namespace

std::string NodeIdFromPublicKey(std::string_view pubkey32) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(Bytes(pubkey32), pubkey32.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    TakeOpenSslError();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string NodeIdText(std::string_view node_id_raw) { return Base32Encode(node_id_raw); }

Result<std::string> ParseNodeId(std::string_view text) {
  // Quote at most this much of bad input so a megabyte of junk cannot
  // become a megabyte log line.
  constexpr size_t kQuoteChars = 64;
  std::string quoted = "node ID \"" + std::string(text.substr(0, kQuoteChars)) +
                       (text.size() > kQuoteChars ? "...\"" : "\"");
  if (text.size() != kNodeIdTextChars) {
    return Status::InvalidArgument(quoted + ": expected " + std::to_string(kNodeIdTextChars) +
                                   " base32 characters, got " + std::to_string(text.size()));
  }
  Result<std::string> raw = Base32Decode(text);
  if (!raw.ok()) return Status::InvalidArgument(quoted + ": " + raw.status().message());
  return raw;
}

bool VerifySignature(std::string_view pubkey32, std::string_view message,
                     std::string_view signature64) {
  if (pubkey32.size() != kPublicKeyBytes || signature64.size() != kSignatureBytes) return false;
  auto key = WrapKey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(pubkey32), pubkey32.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok = key && ctx &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), Bytes(signature64), signature64.size(), Bytes(message),
                             message.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

Identity::Identity(std::shared_ptr<EVP_PKEY> key, std::string public_key, std::string name)
    : key_(std::move(key)),
      public_key_(std::move(public_key)),
      node_id_(NodeIdFromPublicKey(public_key_)),
      node_id_text_(NodeIdText(node_id_)),
      name_(std::move(name)) {}

Result<Identity> Identity::Generate(const std::string& name) {
  KONGSI_RETURN_IF_ERROR(CheckName(name));
  auto key = WrapKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return Status::Internal("Ed25519 key generation failed: " + TakeOpenSslError());
  Result<std::string> public_key = RawPublicKey(key.get());
  if (!public_key.ok()) return public_key.status();
  return Identity(std::move(key), std::move(*public_key), name);
}

Result<Identity> Identity::FromSeed(std::string_view seed32, const std::string& name) {
  KONGSI_RETURN_IF_ERROR(CheckName(name));
  if (seed32.size() != kPrivateKeySeedBytes) {
    return Status::InvalidArgument("Ed25519 seed is " + std::to_string(seed32.size()) +
                                   " bytes, expected " + std::to_string(kPrivateKeySeedBytes));
  }
  auto key = WrapKey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed32), seed32.size()));
  if (!key) return Status::Internal("Ed25519 key from seed failed: " + TakeOpenSslError());
  Result<std::string> public_key = RawPublicKey(key.get());
  if (!public_key.ok()) return public_key.status();
  return Identity(std::move(key), std::move(*public_key), name);
}

Result<Identity> Identity::Create(const std::string& dir, const std::string& name) {
  Result<Identity> id = Generate(name);
  if (!id.ok()) return id;
  KONGSI_RETURN_IF_ERROR(EnsureDirectory(dir));
  Result<std::string> pem = id->PrivateKeyPem();
  if (!pem.ok()) return pem.status();
  const std::string key_path = dir + "/" + kKeyFileName;
  const std::string info_path = dir + "/" + kInfoFileName;
  // O_EXCL: refusing to overwrite a key is the point, and it also closes
  // the race with a concurrent Create.
  Status status = WriteFile(key_path, *pem, O_EXCL, 0600);
  if (status.code() == Status::Code::kAlreadyExists) {
    return Status::AlreadyExists(key_path +
                                 ": an identity already exists here; it is never "
                                 "overwritten");
  }
  KONGSI_RETURN_IF_ERROR(status);
  // node.json is derived data: write it whole and rename, so a crash leaves
  // either no file or a complete one.
  const std::string tmp_path = info_path + ".tmp";
  status = WriteFile(tmp_path, InfoJson(*id), O_TRUNC, 0644);
  if (status.ok() && ::rename(tmp_path.c_str(), info_path.c_str()) != 0) {
    status = Status::IoError(info_path + ": cannot rename into place: " + Errno(errno));
  }
  if (!status.ok()) {
    // Without node.json the key is unusable by Load; remove it so that a
    // retry of Create can succeed.
    ::unlink(tmp_path.c_str());
    ::unlink(key_path.c_str());
    return status;
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);  // make the new directory entries durable
    ::close(dir_fd);
  }
  return id;
}

Result<Identity> Identity::Load(const std::string& dir) {
  const std::string key_path = dir + "/" + kKeyFileName;
  std::string pem;
  mode_t mode = 0;
  KONGSI_RETURN_IF_ERROR(ReadSmallFile(key_path, &pem, &mode));
  if ((mode & 0077) != 0) {
    char octal[16];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    return Status::PermissionDenied(key_path + ": permissions " + octal +
                                    " are too open; a private key must be readable "
                                    "only by its owner. Fix with: chmod 600 " +
                                    key_path);
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  auto key =
      WrapKey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  if (!key) {
    std::string reason = pem.find("ENCRYPTED") != std::string::npos
                             ? "encrypted keys are not supported"
                             : TakeOpenSslError();
    ERR_clear_error();
    return Status::InvalidArgument(key_path + ": not a PEM private key (" + reason + ")");
  }
  if (!EVP_PKEY_is_a(key.get(), "ED25519")) {
    const char* type = EVP_PKEY_get0_type_name(key.get());
    return Status::InvalidArgument(key_path + ": holds a " + (type ? type : "non-Ed25519") +
                                   " key; a node key must be Ed25519");
  }
  Result<std::string> public_key = RawPublicKey(key.get());
  if (!public_key.ok()) return public_key.status().WithContext(key_path);
  Result<std::string> name = LoadName(dir + "/" + kInfoFileName, *public_key);
  if (!name.ok()) return name.status();
  return Identity(std::move(key), std::move(*public_key), std::move(*name));
}

std::string Identity::Sign(std::string_view message) const {
  // A context per call: EVP_MD_CTX is not shareable across threads, the key is.
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string signature(kSignatureBytes, '\0');
  size_t len = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     Bytes(message), message.size()) != 1 ||
      len != kSignatureBytes) {
    ERR_clear_error();
    return {};
  }
  return signature;
}

Result<std::string> Identity::PrivateKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3.
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status::Internal("cannot encode the private key as PEM: " + TakeOpenSslError());
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

v1::SignedCommit SignCommit(const v1::Commit& commit, const Identity& identity) {
  v1::SignedCommit signed_commit;
  std::string* bytes = signed_commit.mutable_commit();
  {
    google::protobuf::io::StringOutputStream stream(bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    // Fails only past 2 GiB (proto3 has no required fields), far beyond any
    // commit size limit; the bytes then do not open, so nothing bad spreads.
    (void)commit.SerializeToCodedStream(&coded);
  }
  signed_commit.set_signature(identity.Sign(*bytes));
  return signed_commit;
}

Status OpenSignedCommitInto(const v1::SignedCommit& signed_commit, v1::Commit* out) {
  v1::Commit& commit = *out;
  if (!commit.ParseFromString(signed_commit.commit())) {
    return Status::InvalidArgument("commit bytes do not decode");
  }
  if (commit.author().size() != kPublicKeyBytes) {
    return Status::InvalidArgument("author is not a 32-byte key (it is " +
                                   std::to_string(commit.author().size()) + " bytes)");
  }
  if (!VerifySignature(commit.author(), signed_commit.commit(), signed_commit.signature())) {
    return Status::InvalidArgument("signature does not verify");
  }
  return Status::Ok();
}

Result<v1::Commit> OpenSignedCommit(const v1::SignedCommit& signed_commit) {
  v1::Commit commit;
  KONGSI_RETURN_IF_ERROR(OpenSignedCommitInto(signed_commit, &commit));
  return commit;
}

}  // namespace kongsi::node
