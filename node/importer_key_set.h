// The set of key hashes an import has seen, to catch duplicate keys.
//
// Open addressing over 64-bit hashes: about 16 bytes per key at most (the
// table doubles at half load), where a node-based map of hash -> line costs
// ~50 bytes per key, i.e. 50 MB on a 1M-row file. The line of the first
// occurrence, needed only for the error message, is found by reading the
// file again (node/importer.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kongsi::node {

class KeyHashSet {
 public:
  KeyHashSet();
  // False when `hash` was already in the set. Hashes 0 and 1 count as one
  // (0 marks an empty slot): a caller confirms a duplicate another way.
  bool Insert(uint64_t hash);
  size_t size() const { return size_; }

 private:
  void Grow();

  std::vector<uint64_t> slots_;  // 0: empty (hash 0 is stored as 1)
  size_t size_ = 0;
};

}  // namespace kongsi::node
