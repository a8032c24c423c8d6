#include "node/commit_deps.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <string_view>

namespace kongsi::node {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Field numbers of SignedCommit.commit and Commit.deps (proto/kongsi/v1/commit.proto).
constexpr int kSignedCommitField = 1;
constexpr int kDepsField = 5;

// Calls `on_field(number, bytes)` for each length-delimited field of
// `message` named in `wanted`, skipping the rest; false when it does not parse.
template <typename F>
bool ForEachBytesField(std::string_view message, int wanted, F&& on_field) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()), static_cast<int>(message.size()));
  while (uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == wanted &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t size = 0;
      if (!in.ReadVarint32(&size)) return false;
      // The field lies inside `message`, so it is read in place rather than copied.
      const int start = in.CurrentPosition();
      if (size > message.size() - static_cast<size_t>(start)) return false;
      if (!on_field(message.substr(static_cast<size_t>(start), size))) return false;
      if (!in.Skip(static_cast<int>(size))) return false;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

}  // namespace

Result<VersionVector> StoredCommitDeps(const v1::StoredCommit& stored) {
  std::string_view commit;
  bool found = false;
  bool ok = ForEachBytesField(stored.signed_(), kSignedCommitField, [&](std::string_view bytes) {
    commit = bytes;
    found = true;
    return true;
  });
  VersionVector::Entries entries;
  ok = ok && found && ForEachBytesField(commit, kDepsField, [&](std::string_view bytes) {
         return entries.Add()->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
       });
  if (!ok) return Status::Corruption("stored commit does not decode");
  return VersionVector::FromProto(entries);
}

}  // namespace kongsi::node
