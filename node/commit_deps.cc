#include "node/commit_deps.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <optional>
#include <string_view>

namespace kongsi::node {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Field numbers of SignedCommit.commit and Commit.deps (proto/kongsi/v1/commit.proto).
constexpr int kSignedCommitField = 1;
constexpr int kHlcField = 4;
constexpr int kDepsField = 5;

// Calls `on_field(in)` at each field of `message` numbered `wanted` and of
// wire type `type`, with `in` positioned at its value, which `on_field` must
// consume; skips the rest. False when it does not parse or `on_field` says
// so. A wanted number with another wire type is skipped, as protobuf's own
// parser keeps it as an unknown field: the bytes are signed and stored as
// sent, and a full decode and this read must agree on them.
template <typename F>
bool ForEachField(std::string_view message, int wanted, WireFormatLite::WireType type, F&& on_field) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()), static_cast<int>(message.size()));
  while (uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == wanted && WireFormatLite::GetTagWireType(tag) == type) {
      if (!on_field(in)) return false;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

// ForEachField for a length-delimited field: `on_field(bytes)`, the bytes
// read in place inside `message` rather than copied.
template <typename F>
bool ForEachBytesField(std::string_view message, int wanted, F&& on_field) {
  return ForEachField(message, wanted, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, [&](CodedInputStream& in) {
    uint32_t size = 0;
    if (!in.ReadVarint32(&size)) return false;
    const int start = in.CurrentPosition();
    if (size > message.size() - static_cast<size_t>(start)) return false;
    return on_field(message.substr(static_cast<size_t>(start), size)) && in.Skip(static_cast<int>(size));
  });
}

// The serialized Commit inside a stored SignedCommit; nullopt when absent
// or unparsable.
std::optional<std::string_view> CommitBytes(const v1::StoredCommit& stored) {
  std::optional<std::string_view> commit;
  bool ok = ForEachBytesField(stored.signed_(), kSignedCommitField, [&](std::string_view bytes) {
    commit = bytes;
    return true;
  });
  return ok ? commit : std::nullopt;
}

}  // namespace

Result<VersionVector> StoredCommitDeps(const v1::StoredCommit& stored) {
  std::optional<std::string_view> commit = CommitBytes(stored);
  VersionVector::Entries entries;
  bool ok = commit && ForEachBytesField(*commit, kDepsField, [&](std::string_view bytes) {
              return entries.Add()->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
            });
  if (!ok) return Status::Corruption("stored commit does not decode");
  return VersionVector::FromProto(entries);
}

Result<uint64_t> StoredCommitHlc(const v1::StoredCommit& stored) {
  std::optional<std::string_view> commit = CommitBytes(stored);
  uint64_t hlc = 0;  // proto3: absent is 0, and the last occurrence wins
  bool ok = commit && ForEachField(*commit, kHlcField, WireFormatLite::WIRETYPE_VARINT,
                                   [&](CodedInputStream& in) { return in.ReadVarint64(&hlc); });
  if (!ok) return Status::Corruption("stored commit does not decode");
  return hlc;
}

}  // namespace kongsi::node
