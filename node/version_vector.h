// Version vectors: author (32-byte public key) -> highest seq applied.
// A node's current version of a collection is its VV (DESIGN §1, §5).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <google/protobuf/repeated_ptr_field.h>

#include "kongsi/v1/commit.pb.h"
#include "storage/status.h"

namespace kongsi::node {

class VersionVector {
 public:
  using Entries = google::protobuf::RepeatedPtrField<v1::VersionEntry>;

  VersionVector() = default;
  static VersionVector FromProto(const Entries& entries);
  static VersionVector FromProto(const v1::VersionVector& vv) { return FromProto(vv.entries()); }
  // Sorted by author, zero entries left out: the canonical wire form.
  void ToProto(Entries* out) const;
  v1::VersionVector ToProto() const;

  uint64_t Get(const std::string& author) const;
  void Set(const std::string& author, uint64_t seq);
  // True when commit (author, seq) is at or below this vector.
  bool Includes(const std::string& author, uint64_t seq) const { return Get(author) >= seq; }
  // True when every entry of `other` is at or below this vector.
  bool Dominates(const VersionVector& other) const;
  void MergeFrom(const VersionVector& other);
  uint64_t Total() const;  // sum of seqs: the number of commits covered
  bool empty() const { return entries_.empty(); }
  const std::map<std::string, uint64_t>& entries() const { return entries_; }
  bool operator==(const VersionVector&) const = default;

 private:
  std::map<std::string, uint64_t> entries_;
};

// Commit X = (author, seq) is in the causal past of a commit by `y_author`
// at `y_seq` with deps `y_deps` (DESIGN §4).
bool InCausalPast(const std::string& author, uint64_t seq, const std::string& y_author,
                  uint64_t y_seq, const VersionVector& y_deps);

}  // namespace kongsi::node
