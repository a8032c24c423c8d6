#include "node/version_vector.h"

namespace kongsi::node {

VersionVector VersionVector::FromProto(const Entries& entries) {
  VersionVector vv;
  for (const auto& e : entries) vv.Set(e.author(), std::max(vv.Get(e.author()), e.seq()));
  return vv;
}

void VersionVector::ToProto(Entries* out) const {
  out->Clear();
  for (const auto& [author, seq] : entries_) {
    auto* e = out->Add();
    e->set_author(author);
    e->set_seq(seq);
  }
}

v1::VersionVector VersionVector::ToProto() const {
  v1::VersionVector vv;
  ToProto(vv.mutable_entries());
  return vv;
}

uint64_t VersionVector::Get(const std::string& author) const {
  auto it = entries_.find(author);
  return it == entries_.end() ? 0 : it->second;
}

void VersionVector::Set(const std::string& author, uint64_t seq) {
  if (seq == 0) {
    entries_.erase(author);
  } else {
    entries_[author] = seq;
  }
}

bool VersionVector::Dominates(const VersionVector& other) const {
  for (const auto& [author, seq] : other.entries_) {
    if (Get(author) < seq) return false;
  }
  return true;
}

void VersionVector::MergeFrom(const VersionVector& other) {
  for (const auto& [author, seq] : other.entries_) {
    if (Get(author) < seq) entries_[author] = seq;
  }
}

uint64_t VersionVector::Total() const {
  uint64_t n = 0;
  for (const auto& [_, seq] : entries_) n += seq;
  return n;
}

bool InCausalPast(const std::string& author, uint64_t seq, const std::string& y_author,
                  uint64_t y_seq, const VersionVector& y_deps) {
  if (author == y_author) return y_seq > seq;
  return y_deps.Get(author) >= seq;
}

}  // namespace kongsi::node
