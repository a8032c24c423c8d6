#include "node/invalidation.h"
#include "node/commit_deps.h"

#include "node/identity.h"
#include "node/node.h"
#include "node/record_merge.h"
#include "node/store_keys.h"
#include "storage/key_codec.h"

namespace kongsi::node {
namespace {

constexpr std::string_view kInvalidPrefix = "invalid/";
constexpr std::string_view kTagOpPrefix = "tagop/";

std::string TagOpsPrefix(std::string_view coll, std::string_view name) {
  std::string k(kTagOpPrefix);
  k.append(coll);
  storage::AppendBytes(&k, name);
  return k;
}

}  // namespace

std::string InvalidCommitsPrefix(std::string_view coll) {
  std::string k(kInvalidPrefix);
  k.append(coll);
  return k;
}

std::string InvalidCommitKey(std::string_view coll, std::string_view author, uint64_t seq) {
  std::string k = InvalidCommitsPrefix(coll);
  k.append(author);
  storage::AppendU64(&k, seq);
  return k;
}

std::string TagOpKey(std::string_view coll, std::string_view name, std::string_view author,
                     uint64_t seq, uint32_t index) {
  std::string k = TagOpsPrefix(coll, name);
  k.append(author);
  storage::AppendU64(&k, seq);
  storage::AppendU64(&k, index);
  return k;
}

void PutVerdict(storage::WriteBatch* batch, std::string_view coll, std::string_view author,
                uint64_t seq, const Verdict& verdict, v1::StoredCommit* stored) {
  stored->set_valid(verdict.valid);
  stored->set_invalid_reason(verdict.valid ? "" : verdict.reason);
  if (verdict.valid) {
    batch->Delete(storage::Family::kMeta, InvalidCommitKey(coll, author, seq));
  } else {
    batch->Put(storage::Family::kMeta, InvalidCommitKey(coll, author, seq), verdict.reason);
  }
}

Result<const CommitFacts::Facts*> CommitFacts::Get(const std::string& author, uint64_t seq) {
  auto key = std::make_pair(author, seq);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    if (cache_.size() >= kMaxCachedCommits) cache_.clear();  // bounded memory; overlay_ is kept
    std::string bytes;
    KONGSI_RETURN_IF_ERROR(
        db_.Get(storage::Family::kCommits, keys::Commit(coll_, author, seq), &bytes, snapshot_));
    v1::StoredCommit stored;
    if (!stored.ParseFromString(bytes)) return Status::Corruption("stored commit does not decode");
    auto deps = StoredCommitDeps(stored);
    if (!deps.ok()) return deps.status();
    Facts f;
    f.deps = std::move(deps).value();
    f.valid = stored.valid();
    it = cache_.emplace(key, std::move(f)).first;
  }
  auto changed = overlay_.find(key);
  if (changed != overlay_.end()) it->second.valid = changed->second;
  return &it->second;
}

Result<bool> CommitFacts::Valid(const std::string& author, uint64_t seq) {
  const auto key = std::make_pair(author, seq);
  if (auto changed = overlay_.find(key); changed != overlay_.end()) return changed->second;
  if (auto known = cache_.find(key); known != cache_.end()) return known->second.valid;
  std::string reason;
  Status s =
      db_.Get(storage::Family::kMeta, InvalidCommitKey(coll_, author, seq), &reason, snapshot_);
  if (s.ok()) return false;
  if (s.IsNotFound()) return true;
  return s;
}

Status Revalidation::Rejudge(const Acl& acl, const VersionVector& authors,
                             const std::set<std::string>& orgs) {
  for (const auto& [author, _] : authors.entries()) {
    if (!orgs.count(NodeIdFromPublicKey(author))) continue;
    std::string prefix(coll_);
    prefix.append(author);
    auto it = db_.NewPrefixIterator(storage::Family::kCommits, prefix);
    for (; it->Valid(); it->Next()) {
      Flip f;
      if (!f.stored.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return Status::Corruption("stored commit does not decode");
      }
      auto c = DecodeStoredCommit(f.stored);
      if (!c.ok()) return c.status();
      f.verdict =
          JudgeCommit(acl, author, c->seq(), VersionVector::FromProto(c->deps()), RoleNeeded(*c));
      if (f.verdict.valid == f.stored.valid() &&
          (f.verdict.valid || f.verdict.reason == f.stored.invalid_reason())) {
        continue;
      }
      f.author = author;
      f.seq = c->seq();
      if (f.verdict.valid != f.stored.valid()) {
        for (const auto& op : c->ops()) {
          if (op.has_upsert() || op.has_delete_()) {
            const auto& ds = op.has_upsert() ? op.upsert().dataset() : op.delete_().dataset();
            const auto& key = op.has_upsert() ? op.upsert().key() : op.delete_().key();
            f.record_keys.push_back(keys::Record(coll_, ds, storage::EncodeKey(key)));
          } else if (op.has_tag()) {
            f.tags.push_back(op.tag().name());
          }
        }
      }
      facts_.SetValid(author, f.seq, f.verdict.valid);
      flips_.push_back(std::move(f));
    }
    KONGSI_RETURN_IF_ERROR(it->status());
  }
  return Status::Ok();
}

Result<std::set<std::string>> Revalidation::Write(storage::WriteBatch* batch,
                                                  std::map<std::string, v1::RecordState>* records) {
  std::set<std::string> record_keys, tags;
  for (auto& f : flips_) {
    PutVerdict(batch, coll_, f.author, f.seq, f.verdict, &f.stored);
    batch->Put(storage::Family::kCommits, keys::Commit(coll_, f.author, f.seq),
               f.stored.SerializeAsString());
    record_keys.insert(f.record_keys.begin(), f.record_keys.end());
    tags.insert(f.tags.begin(), f.tags.end());
  }
  for (const auto& key : record_keys) {
    auto state = ReplayRecord(
        db_, nullptr, key, [&](const v1::Provenance& by) -> Result<std::optional<VersionVector>> {
          auto facts = facts_.Get(by.author(), by.seq());
          if (!facts.ok()) return facts.status();
          if (!(*facts)->valid) return std::optional<VersionVector>();
          return std::optional<VersionVector>((*facts)->deps);
        });
    if (!state.ok()) return state.status();
    (*records)[key] = std::move(state).value();
  }
  return tags;
}

Status RecomputeTag(const storage::Db& db, std::string_view coll, const std::string& name,
                    const std::vector<v1::TagInfo>& extra, CommitFacts* facts,
                    storage::WriteBatch* batch) {
  std::optional<v1::TagInfo> best;
  auto consider = [&](const v1::TagInfo& t) {
    // `>=`: within one commit (equal stamps) the later op wins.
    if (!best || CompareStamps(t.by(), best->by()) >= 0) best = t;
  };
  auto it = db.NewPrefixIterator(storage::Family::kMeta, TagOpsPrefix(coll, name));
  for (; it->Valid(); it->Next()) {
    v1::TagInfo t;
    if (!t.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Status::Corruption("tag op does not decode");
    }
    auto f = facts->Get(t.by().author(), t.by().seq());
    if (!f.ok()) return f.status();
    if ((*f)->valid) consider(t);
  }
  KONGSI_RETURN_IF_ERROR(it->status());
  for (const auto& t : extra) consider(t);
  if (best) {
    batch->Put(storage::Family::kTags, keys::Tag(coll, name), best->SerializeAsString());
  } else {
    batch->Delete(storage::Family::kTags, keys::Tag(coll, name));
  }
  return Status::Ok();
}

}  // namespace kongsi::node
