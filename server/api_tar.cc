#include "server/api_tar.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>

#include "node/data_package.h"

namespace kongsi::server {
namespace {

namespace fs = std::filesystem;

constexpr size_t kBlock = 512;
using Block = std::array<char, kBlock>;

// ustar header fields: offset, length.
constexpr size_t kName = 0, kNameLen = 100;
constexpr size_t kMode = 100, kSize = 124, kSizeLen = 12, kMtime = 136;
constexpr size_t kChecksum = 148, kChecksumLen = 8, kType = 156;
constexpr size_t kMagic = 257, kPrefix = 345, kPrefixLen = 155;
// Pax and GNU long-name records are metadata, not data: kept small.
constexpr uint64_t kMaxMetaRecordBytes = 64 * 1024;

std::string Field(const Block& b, size_t at, size_t len) {
  const char* p = b.data() + at;
  return std::string(p, strnlen(p, len));
}

// Octal, or GNU base-256 (high bit of the first byte) for sizes over 8 GiB.
std::optional<uint64_t> Number(const Block& b, size_t at, size_t len) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data() + at);
  uint64_t v = 0;
  if (p[0] & 0x80) {
    for (size_t i = 1; i < len; ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | p[i];
    }
    return (p[0] & 0x7f) == 0 ? std::optional<uint64_t>(v) : std::nullopt;
  }
  size_t i = 0;
  while (i < len && p[i] == ' ') ++i;
  for (; i < len && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + (p[i] - '0');
  }
  for (; i < len; ++i) {
    if (p[i] != ' ' && p[i] != '\0') return std::nullopt;
  }
  return v;
}

bool ChecksumOk(const Block& b) {
  auto stored = Number(b, kChecksum, kChecksumLen);
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    bool in_field = i >= kChecksum && i < kChecksum + kChecksumLen;
    sum += in_field ? ' ' : static_cast<unsigned char>(b[i]);
  }
  return stored && *stored == sum;
}

// The value of `path` in a pax extended header ("LEN path=VALUE\n"...).
std::optional<std::string> PaxPath(std::string_view records) {
  while (!records.empty()) {
    size_t space = records.find(' ');
    if (space == std::string_view::npos) break;
    size_t len = 0;
    for (char c : records.substr(0, space)) len = len * 10 + static_cast<size_t>(c - '0');
    if (len <= space || len > records.size()) break;
    std::string_view record = records.substr(space + 1, len - space - 2);  // without '\n'
    if (record.rfind("path=", 0) == 0) return std::string(record.substr(5));
    records.remove_prefix(len);
  }
  return std::nullopt;
}

// The name as the package sees it: "./a/b" -> "a/b", "dir/" -> "dir".
std::string Clean(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name == "." ? "" : name;
}

class TarInput {
 public:
  TarInput(std::ifstream& in, const std::function<void(uint64_t)>& progress)
      : in_(in), progress_(progress) {}

  // false at end of file.
  bool ReadBlock(Block* b) {
    if (!in_.read(b->data(), kBlock)) return false;
    offset_ += kBlock;
    if (progress_ && offset_ % (1u << 20) == 0) progress_(offset_);
    return true;
  }
  // Copies `size` bytes of member data (plus padding) to `out`, or into
  // `text` when out is null.
  bool Copy(uint64_t size, std::ostream* out, std::string* text) {
    Block b;
    for (uint64_t left = size; left > 0;) {
      if (!ReadBlock(&b)) return false;
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, kBlock));
      if (out) out->write(b.data(), static_cast<std::streamsize>(n));
      if (text) text->append(b.data(), n);
      left -= n;
    }
    return true;
  }
  uint64_t offset() const { return offset_; }

 private:
  std::ifstream& in_;
  const std::function<void(uint64_t)>& progress_;
  uint64_t offset_ = 0;
};

Status Bad(const std::string& member, const std::string& why) {
  return Status::InvalidArgument("tar member \"" + member + "\": " + why);
}

}  // namespace

Result<std::vector<std::string>> ExtractTar(const std::string& tar_path, const std::string& dir,
                                            const TarLimits& limits,
                                            const std::function<void(uint64_t bytes)>& progress) {
  std::ifstream file(tar_path, std::ios::binary);
  if (!file) return Status::IoError(tar_path + ": cannot open");
  TarInput in(file, progress);
  std::vector<std::string> files;
  std::optional<std::string> long_name;  // from a GNU 'L' or pax 'x' record
  size_t members = 0;
  Block b;
  while (true) {
    const uint64_t at = in.offset();
    if (!in.ReadBlock(&b)) {
      if (at == 0) return Status::InvalidArgument("not a tar archive: it is empty");
      return Status::InvalidArgument("tar archive: ends at byte " + std::to_string(at) +
                                     " without its end marker (truncated?)");
    }
    if (std::all_of(b.begin(), b.end(), [](char c) { return c == 0; })) break;  // end marker
    if (!ChecksumOk(b)) {
      return Status::InvalidArgument("not a tar archive: the header at byte " +
                                     std::to_string(at) +
                                     " has a bad checksum (send an uncompressed tar)");
    }
    std::string raw = Field(b, kName, kNameLen);
    if (std::memcmp(b.data() + kMagic, "ustar", 5) == 0 && b[kPrefix] != '\0') {
      raw = Field(b, kPrefix, kPrefixLen) + "/" + raw;
    }
    if (long_name) raw = *std::exchange(long_name, std::nullopt);
    const std::string name = Clean(raw);
    const char type = b[kType];
    auto size = Number(b, kSize, kSizeLen);
    if (!size) return Bad(raw, "unreadable size field");
    if (++members > limits.max_members) {
      return Bad(raw, "more than " + std::to_string(limits.max_members) + " members");
    }
    if (type == 'L' || type == 'x' || type == 'g') {
      if (*size > kMaxMetaRecordBytes) return Bad(raw, "extended header over 64 KiB");
      std::string text;
      if (!in.Copy(*size, nullptr, &text)) return Bad(raw, "truncated");
      if (type == 'L') long_name = std::string(text.c_str());
      if (type == 'x') long_name = PaxPath(text);
      continue;
    }
    if (type != '0' && type != '\0' && type != '5') {
      const char* what = type == '1'   ? "a hard link"
                         : type == '2' ? "a symbolic link"
                                       : "not a regular file or directory";
      return Bad(raw, std::string(what) + " (only files and folders are accepted)");
    }
    if (!name.empty() && !node::IsPackageRelativePath(name)) {
      return Bad(raw, "the name must be relative, without \"..\"");
    }
    std::error_code ec;
    if (type == '5' || name.empty()) {
      if (!name.empty()) fs::create_directories(fs::path(dir) / name, ec);
      if (ec) return Bad(raw, "cannot create: " + ec.message());
      if (!in.Copy(*size, nullptr, nullptr)) return Bad(raw, "truncated");
      continue;
    }
    if (*size > limits.max_member_bytes) {
      return Bad(raw, std::to_string(*size) + " bytes, over the limit of " +
                          std::to_string(limits.max_member_bytes));
    }
    const fs::path target = fs::path(dir) / name;
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Bad(raw, "cannot create its folder: " + ec.message());
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!out) return Bad(raw, "cannot create (a folder of that name?)");
    if (!in.Copy(*size, &out, nullptr)) return Bad(raw, "truncated");
    out.close();
    if (!out) return Status::IoError(target.string() + ": write failed");
    files.push_back(name);
  }
  return files;
}

Status WriteTar(const std::string& root, const std::vector<std::string>& files, std::ostream& out) {
  for (const std::string& name : files) {
    const fs::path path = fs::path(root) / name;
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    const uint64_t size = fs::file_size(path, ec);
    if (!in || ec) return Status::IoError(path.string() + ": cannot read");
    Block h{};
    // Names over 100 bytes go into prefix/name, split at a '/'.
    std::string prefix, base = name;
    if (name.size() > kNameLen) {
      size_t slash = name.rfind('/', kPrefixLen);
      if (slash == std::string::npos || name.size() - slash - 1 > kNameLen) {
        return Status::InvalidArgument(name + ": name too long for a tar archive");
      }
      prefix = name.substr(0, slash);
      base = name.substr(slash + 1);
    }
    std::memcpy(h.data() + kName, base.data(), base.size());
    std::memcpy(h.data() + kPrefix, prefix.data(), prefix.size());
    std::snprintf(h.data() + kMode, 8, "%07o", 0644);
    std::snprintf(h.data() + 108, 8, "%07o", 0);  // uid
    std::snprintf(h.data() + 116, 8, "%07o", 0);  // gid
    if (size >= (1ull << 33)) return Status::InvalidArgument(name + ": over 8 GiB");
    std::snprintf(h.data() + kSize, kSizeLen, "%011llo", static_cast<unsigned long long>(size));
    std::snprintf(h.data() + kMtime, 12, "%011o", 0);
    h[kType] = '0';
    std::memcpy(h.data() + kMagic, "ustar\0" "00", 8);
    std::memset(h.data() + kChecksum, ' ', kChecksumLen);
    unsigned sum = 0;
    for (char c : h) sum += static_cast<unsigned char>(c);
    std::snprintf(h.data() + kChecksum, 7, "%06o", sum);  // then '\0', ' '
    out.write(h.data(), kBlock);
    Block chunk;
    uint64_t left = size;
    while (left > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, kBlock));
      if (!in.read(chunk.data(), static_cast<std::streamsize>(n))) {
        return Status::IoError(path.string() + ": changed while being archived");
      }
      if (n < kBlock) std::memset(chunk.data() + n, 0, kBlock - n);
      out.write(chunk.data(), kBlock);
      left -= n;
    }
    if (!out) return Status::IoError("writing the archive failed");
  }
  Block zero{};
  out.write(zero.data(), kBlock);
  out.write(zero.data(), kBlock);
  return out ? Status::Ok() : Status::IoError("writing the archive failed");
}

}  // namespace kongsi::server
