// What Node::Open rebuilds from the store before the node is used: the
// per-collection caches (version, last stamps, datasets, ACL and its
// verdicts, change-feed position, pending count) and an import that a crash
// interrupted (applied if it was fully staged, discarded otherwise).
#include <algorithm>

#include "node/commit_deps.h"
#include "node/node.h"
#include "node/schema_history.h"
#include "node/store_keys.h"
#include "node/validity.h"

namespace kongsi::node {

Status Node::LoadCaches() {
  for (auto it = db_->NewPrefixIterator(storage::Family::kCollections, ""); it->Valid(); it->Next()) {
    CollectionCache cache;
    if (!cache.info.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Status::Corruption("collection record does not decode");
    }
    collections_[std::string(it->key())] = std::move(cache);
  }
  for (auto& [coll, cache] : collections_) {
    for (auto it = db_->NewPrefixIterator(storage::Family::kVersions, coll); it->Valid(); it->Next()) {
      std::string_view v = it->value();
      uint64_t seq = 0;
      if (!storage::ConsumeU64(&v, &seq)) return Status::Corruption("version entry does not decode");
      std::string author(it->key().substr(coll.size()));
      cache.vv.Set(author, seq);
      auto stored = GetCommit(coll, author, seq);
      if (!stored.ok()) return stored.status();
      auto hlc = StoredCommitHlc(*stored);  // the stamp alone: the ops may be 10,000
      if (!hlc.ok()) return hlc.status();
      cache.last_hlc[author] = *hlc;
      clock_->Observe(*hlc);  // resume after every stamp in the log
    }
    for (auto it = db_->NewPrefixIterator(storage::Family::kDatasets, coll); it->Valid(); it->Next()) {
      v1::DatasetInfo info;
      if (!info.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return Status::Corruption("dataset record does not decode");
      }
      UpgradeLegacyDatasetInfo(&info);
      cache.datasets[info.name()] = info;
    }
    for (auto it = db_->NewPrefixIterator(storage::Family::kAcl, coll); it->Valid(); it->Next()) {
      v1::AclEntry e;
      if (!e.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return Status::Corruption("acl entry does not decode");
      }
      std::string_view k = it->key().substr(coll.size() + kPublicKeyBytes + 8);
      uint64_t index = 0;
      (void)storage::ConsumeU64(&k, &index);
      AclOp op;
      op.at.author = e.by().author();
      op.at.seq = e.by().seq();
      op.at.hlc = e.by().hlc();
      op.at.index = static_cast<uint32_t>(index);
      op.at.deps = VersionVector::FromProto(e.deps());
      op.genesis = e.genesis();
      if (e.genesis()) {
        op.org = NodeIdFromPublicKey(e.by().author());
        op.role = v1::ROLE_ADMIN;
      } else if (e.has_grant()) {
        op.org = e.grant().org();
        op.role = e.grant().role();
      } else {
        op.org = e.revoke().org();
        op.revoke = true;
      }
      cache.acl.Add(std::move(op));
    }
    JudgeAcl(&cache.acl);  // verdicts are not stored: a function of the ops
    auto last = db_->NewIterator(storage::Family::kChanges, coll, storage::PrefixSuccessor(coll));
    last->SeekToLast();
    if (last->Valid()) {
      std::string_view k = last->key().substr(coll.size());
      uint64_t n = 0;
      (void)storage::ConsumeU64(&k, &n);
      cache.next_local_seq = n + 1;
    }
    for (auto it = db_->NewPrefixIterator(storage::Family::kPending, coll); it->Valid(); it->Next()) {
      ++cache.pending;
    }
  }
  return Status::Ok();
}

Status Node::RecoverStaging() {
  std::string in_use;
  Status got = db_->Get(storage::Family::kMeta, keys::kStagingInUse, &in_use);
  if (got.ok() && in_use == "0") return Status::Ok();
  if (!got.ok() && !got.IsNotFound()) return got;
  std::vector<std::string> complete, incomplete;
  std::string last_id;
  for (auto it = db_->NewPrefixIterator(storage::Family::kStaging, ""); it->Valid(); it->Next()) {
    std::string_view k = it->key();
    std::string id(k.substr(0, k.find_first_of(std::string_view("\0\1", 2))));
    if (k.size() == id.size() + 1 && k.back() == '\1') {
      complete.push_back(id);
    } else if (id != last_id) {
      incomplete.push_back(id);
    }
    last_id = id;
  }
  for (const auto& id : complete) {
    auto r = ApplyStaged(id);
    if (!r.ok()) return r.status().WithContext("recovering staged import");
  }
  for (const auto& id : incomplete) {
    if (std::find(complete.begin(), complete.end(), id) == complete.end()) {
      KONGSI_RETURN_IF_ERROR(DiscardStaged(id));
    }
  }
  storage::WriteBatch b(*db_);
  MarkStaging(&b, false);
  return db_->Write(b);
}

}  // namespace kongsi::node
