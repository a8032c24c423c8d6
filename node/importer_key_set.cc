#include "node/importer_key_set.h"

namespace kongsi::node {
namespace {

constexpr size_t kInitialSlots = 1024;  // a power of two

// The hashes come from SHA-256, so their low bits are already uniform.
size_t SlotOf(uint64_t hash, size_t mask) { return static_cast<size_t>(hash) & mask; }

}  // namespace

KeyHashSet::KeyHashSet() : slots_(kInitialSlots, 0) {}

bool KeyHashSet::Insert(uint64_t hash) {
  if (hash == 0) hash = 1;
  if (2 * (size_ + 1) > slots_.size()) Grow();
  size_t mask = slots_.size() - 1;
  for (size_t i = SlotOf(hash, mask);; i = (i + 1) & mask) {
    if (slots_[i] == hash) return false;
    if (slots_[i] == 0) {
      slots_[i] = hash;
      ++size_;
      return true;
    }
  }
}

void KeyHashSet::Grow() {
  std::vector<uint64_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  size_t mask = slots_.size() - 1;
  for (uint64_t h : old) {
    if (h == 0) continue;
    size_t i = SlotOf(h, mask);
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = h;
  }
}

}  // namespace kongsi::node
