#include "node/commit_applier.h"

#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "node/commit_open.h"
#include "node/invalidation.h"
#include "node/large_arena.h"
#include "node/op_validation.h"
#include "node/proto_append.h"
#include "node/record_codec.h"
#include "node/record_merge.h"
#include "node/schema_history.h"
#include "node/store_keys.h"
#include "node/validity.h"

namespace kongsi::node {
namespace {

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

OpPoint PointOf(const v1::Commit& c, uint32_t index) {
  OpPoint p;
  p.author = c.author();
  p.seq = c.seq();
  p.index = index;
  p.hlc = c.hlc();
  p.deps = VersionVector::FromProto(c.deps());
  return p;
}

std::string OpName(const v1::Op& op) {
  switch (op.kind_case()) {
    case v1::Op::kCreateCollection: return "CreateCollection";
    case v1::Op::kCreateDataset: return "CreateDataset";
    case v1::Op::kAddField: return "AddField";
    case v1::Op::kUpsert: return "Upsert";
    case v1::Op::kDelete: return "Delete";
    case v1::Op::kGrant: return "Grant";
    case v1::Op::kRevoke: return "Revoke";
    case v1::Op::kTag: return "Tag";
    case v1::Op::KIND_NOT_SET: break;
  }
  return "empty op";
}

// "commit ABCDEFGH:7": author (short node ID) and seq, for errors.
std::string CommitName(const v1::Commit& c) {
  return "commit " + NodeIdText(NodeIdFromPublicKey(c.author())).substr(0, 8) + ":" + std::to_string(c.seq());
}

bool IsGenesis(const v1::Commit& c) {
  return c.seq() == 1 && c.deps_size() == 0 && c.ops_size() > 0 &&
         c.ops(0).has_create_collection();
}

// The orgs whose stored commits a new ACL commit may re-judge: those its
// Revokes are about (a new Grant cannot matter yet: no stored commit has it
// in its deps), and for every ACL op whose verdict JudgeAcl changed, the org
// it is about (whose roles moved) and its author's (whose commit flipped).
std::set<std::string> OrgsToRejudge(const Acl& before, const Acl& after) {
  std::map<std::tuple<std::string, uint64_t, uint32_t>, const AclOp*> old;
  for (const auto& op : before.ops()) old[{op.at.author, op.at.seq, op.at.index}] = &op;
  std::set<std::string> orgs;
  for (const auto& op : after.ops()) {
    auto it = old.find({op.at.author, op.at.seq, op.at.index});
    if (it == old.end()) {
      if (op.revoke) orgs.insert(op.org);
    } else if (it->second->valid != op.valid || it->second->invalid_reason != op.invalid_reason) {
      orgs.insert(op.org);
      orgs.insert(NodeIdFromPublicKey(op.at.author));
    }
  }
  return orgs;
}

// A record a commit touches, held in the form that is cheapest to get to
// its stored bytes: a record the commit creates with one upsert (every row of
// an import or an initial sync) is built in the stored form directly.
enum class Form { kFull, kNew, kStored };  // kNew: absent, nothing applied yet
struct Touched {
  v1::RecordState* rec;
  Form form = Form::kFull;
};

Status ApplyRecordOp(const v1::Op& op, const OpPoint& at, Touched* t) {
  if (t->form == Form::kNew) {
    t->form = Form::kFull;
    if (op.has_upsert() && EncodeFirstUpsert(op.upsert(), at, t->rec)) {
      t->form = Form::kStored;
      return Status::Ok();
    }
  } else if (t->form == Form::kStored) {  // touched again by the same commit
    KONGSI_RETURN_IF_ERROR(ExpandStoredForm(t->rec));
    t->form = Form::kFull;
  }
  if (op.has_upsert()) {
    ApplyUpsert(t->rec, op.upsert(), at);
  } else {
    ApplyDelete(t->rec, op.delete_(), at);
  }
  return Status::Ok();
}
}  // namespace

std::string CollectionIdFor(std::string_view author, std::string_view nonce) {
  std::string buf(author);
  buf.append(nonce);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(buf.data()), buf.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), keys::kCollectionIdBytes);
}

Status CommitApplier::CheckStructure(const v1::Commit& c) const {
  if (c.collection().size() != keys::kCollectionIdBytes) {
    return Status::InvalidArgument("collection id is not 16 bytes");
  }
  if (c.seq() == 0) return Status::InvalidArgument("seq must start at 1");
  if (c.ops_size() == 0) return Status::InvalidArgument("commit has no ops");
  const std::string* prev = nullptr;
  uint64_t own = 0;
  for (const auto& d : c.deps()) {
    if (d.author().size() != kPublicKeyBytes) return Status::InvalidArgument("dep author is not 32 bytes");
    if (d.seq() == 0) return Status::InvalidArgument("dep with seq 0");
    if (prev && *prev >= d.author()) return Status::InvalidArgument("deps not sorted by author");
    prev = &d.author();
    if (d.author() == c.author()) own = d.seq();
  }
  if (own != c.seq() - 1) {
    return Status::InvalidArgument("deps name seq " + std::to_string(own) + " of the author, expected " +
                                   std::to_string(c.seq() - 1));
  }
  if (HybridClock::TooFarAhead(c.hlc(), NowMs())) {
    return Status::InvalidArgument("hlc is more than 5 minutes ahead of this node's clock, the limit (kMaxClockSkewMs)");
  }
  return Status::Ok();
}

Status CommitApplier::CheckOps(const v1::Commit& c, CollectionCache& scratch) const {
  const std::string author_id = NodeIdFromPublicKey(c.author());
  CommitSchemas schemas(&scratch.datasets);
  OpPoint at = PointOf(c, 0);
  // The author's role can change within the commit only after one of its
  // own Grant/Revoke ops; until then it is the role at the previous op, so
  // a 10,000-upsert commit evaluates the ACL once, not per op.
  std::optional<v1::Role> role;
  for (int i = 0; i < c.ops_size(); ++i) {
    const v1::Op& op = c.ops(i);
    at.index = static_cast<uint32_t>(i);
    auto fail = [&](const Status& s) {
      return s.WithContext("op " + std::to_string(i + 1) + " (" + OpName(op) + ")");
    };
    if (op.has_create_collection()) {
      if (i != 0 || !IsGenesis(c)) return fail(Status::InvalidArgument("only a genesis commit creates a collection"));
      KONGSI_RETURN_IF_ERROR(fail(CheckName("collection", op.create_collection().name())));
      continue;
    }
    v1::Role need = (op.has_grant() || op.has_revoke()) ? v1::ROLE_ADMIN : v1::ROLE_WRITER;
    if (!role) role = scratch.acl.RoleAt(author_id, at);
    v1::Role have = *role;
    if (have < need) {
      return fail(Status::PermissionDenied("author " + NodeIdText(author_id) + " is " + RoleName(have) +
                                           ", needs " + RoleName(need)));
    }
    switch (op.kind_case()) {
      case v1::Op::kCreateDataset:
      case v1::Op::kAddField:
        KONGSI_RETURN_IF_ERROR(fail(schemas.Admit(op, at)));
        break;
      case v1::Op::kUpsert:
      case v1::Op::kDelete: {
        // Against the schema at the commit's deps (node/schema_history.h).
        const std::string& ds = op.has_upsert() ? op.upsert().dataset() : op.delete_().dataset();
        auto schema = schemas.SchemaFor(ds, at);
        if (!schema.ok()) return fail(schema.status());
        KONGSI_RETURN_IF_ERROR(fail(op.has_upsert() ? CheckUpsert(op.upsert(), **schema)
                                                    : CheckKey(op.delete_().key(), **schema)));
        break;
      }
      case v1::Op::kGrant:
      case v1::Op::kRevoke: {
        AclOp acl_op;
        acl_op.at = at;
        acl_op.revoke = op.has_revoke();
        acl_op.org = op.has_grant() ? op.grant().org() : op.revoke().org();
        acl_op.role = op.has_grant() ? op.grant().role() : v1::ROLE_NONE;
        if (acl_op.org.size() != kNodeIdBytes) {
          return fail(Status::InvalidArgument("org is not a 32-byte node ID"));
        }
        if (op.has_grant() && (acl_op.role < v1::ROLE_READER || acl_op.role > v1::ROLE_ADMIN)) {
          return fail(Status::InvalidArgument("unknown role " + std::to_string(acl_op.role)));
        }
        if (op.has_revoke()) {
          if (scratch.acl.RoleAt(acl_op.org, at) == v1::ROLE_NONE) {
            return fail(Status::FailedPrecondition(NodeIdText(acl_op.org) + " is not a member"));
          }
          if (scratch.acl.AdminsAfter(at, acl_op) == 0) {
            return fail(Status::FailedPrecondition("revoking " + NodeIdText(acl_op.org) +
                                                   " would leave the collection with no admin"));
          }
        }
        scratch.acl.Add(std::move(acl_op));
        role.reset();
        break;
      }
      case v1::Op::kTag: {
        KONGSI_RETURN_IF_ERROR(fail(CheckName("tag", op.tag().name())));
        VersionVector tagged = VersionVector::FromProto(op.tag().vv());
        VersionVector seen = at.deps;
        if (!seen.Dominates(tagged)) {
          return fail(Status::InvalidArgument("tag names a version its author had not seen"));
        }
        break;
      }
      default:
        return fail(Status::InvalidArgument("unknown op"));
    }
  }
  return Status::Ok();
}

ReceiveOutcome CommitApplier::Apply(std::string_view signed_bytes, const std::string* staged_key,
                                    std::string_view expect_collection, bool refuse_invalid) {
  ReceiveOutcome out;
  auto reject = [&](const Status& s) {
    out.status = ReceiveStatus::kRejected;
    out.reason = s.message();
    ++node_.counters_.commits_rejected;
    return out;
  };
  if (signed_bytes.size() > kMaxCommitBytes) {
    return reject(Status::ResourceExhausted("commit is larger than " + std::to_string(kMaxCommitBytes) +
                                            " bytes, the limit (kMaxCommitBytes)"));
  }
  v1::SignedCommit sc;
  if (!sc.ParseFromArray(signed_bytes.data(), static_cast<int>(signed_bytes.size()))) {
    return reject(Status::InvalidArgument("signed commit does not decode"));
  }
  // Decoded on an arena: one commit's ops (~30 objects each) are freed at
  // once instead of one by one.
  google::protobuf::Arena arena(LargeArenaBlocks());
  auto* commit = google::protobuf::Arena::CreateMessage<v1::Commit>(&arena);
  if (Status opened = OpenSignedCommitInto(sc, commit); !opened.ok()) {
    // The sender is told which commit it was, as far as its bytes say.
    v1::Commit claimed;
    if (claimed.ParseFromString(sc.commit()) && claimed.author().size() == kPublicKeyBytes) {
      out.author = claimed.author();
      out.seq = claimed.seq();
      return reject(opened.WithContext(CommitName(claimed)));
    }
    return reject(opened);
  }
  const v1::Commit& c = *commit;
  out.author = c.author();
  out.seq = c.seq();
  std::string where = CommitName(c);
  if (auto s = CheckStructure(c); !s.ok()) return reject(s.WithContext(where));
  if (!expect_collection.empty() && c.collection() != expect_collection) {
    return reject(Status::InvalidArgument(where + ": belongs to collection " + HexId(c.collection()) +
                                          ", sent as part of " + HexId(expect_collection)));
  }

  const std::string& coll = c.collection();
  std::string stored;
  auto existing = node_.db_->Get(storage::Family::kCommits, keys::Commit(coll, c.author(), c.seq()), &stored);
  if (existing.ok()) {
    v1::StoredCommit prior;
    if (prior.ParseFromString(stored) && prior.signed_() == signed_bytes) {
      out.status = ReceiveStatus::kDuplicate;
      ++node_.counters_.commits_duplicate;
      return out;
    }
    // Same (author, seq), different bytes: keep the first, raise the alarm.
    out.status = ReceiveStatus::kEquivocation;
    out.reason = where + ": equivocation: a different commit with this author and seq is already held";
    ++node_.counters_.equivocations;
    node_.alarms_.push_back(out.reason);
    return out;
  }

  auto it = node_.collections_.find(coll);
  CollectionCache scratch;
  if (it == node_.collections_.end()) {
    if (!IsGenesis(c)) return reject(Status::NotFound(where + ": unknown collection " + HexId(coll)));
    const auto& cc = c.ops(0).create_collection();
    if (CollectionIdFor(c.author(), cc.nonce()) != coll) {
      return reject(Status::InvalidArgument(where + ": collection id does not match its genesis"));
    }
    scratch.info.set_id(coll);
    scratch.info.set_name(cc.name());
    scratch.info.set_description(cc.description());
    scratch.info.set_creator(c.author());
    scratch.info.set_joined(true);
    AclOp genesis;
    genesis.at = PointOf(c, 0);
    genesis.org = NodeIdFromPublicKey(c.author());
    genesis.role = v1::ROLE_ADMIN;
    genesis.genesis = true;
    scratch.acl.Add(genesis);
  } else {
    scratch = it->second;
    if (IsGenesis(c)) return reject(Status::AlreadyExists(where + ": collection already has a genesis"));
    if (c.hlc() <= scratch.last_hlc[c.author()]) {
      return reject(Status::InvalidArgument(where + ": hlc does not increase over the author's previous commit"));
    }
    VersionVector deps = VersionVector::FromProto(c.deps());
    if (scratch.vv.Get(c.author()) != c.seq() - 1 || !scratch.vv.Dominates(deps)) {
      out.status = ReceiveStatus::kPending;
      out.reason = where + ": waiting for the commits it depends on";
      return out;
    }
  }

  if (auto s = CheckOps(c, scratch); !s.ok()) return reject(s.WithContext(where));

  // Validity (DESIGN §6): an ACL commit re-judges the ACL, then the stored
  // commits of every org the changed verdicts are about.
  Revalidation revalidation(*node_.db_, coll);
  if (HoldsAclOps(c)) {
    JudgeAcl(&scratch.acl);
    std::set<std::string> orgs =
        OrgsToRejudge(it == node_.collections_.end() ? Acl() : it->second.acl, scratch.acl);
    if (auto s = revalidation.Rejudge(scratch.acl, scratch.vv, orgs); !s.ok()) return reject(s.WithContext(where));
  }
  Verdict verdict = JudgeCommit(scratch.acl, c.author(), c.seq(), VersionVector::FromProto(c.deps()), RoleNeeded(c));
  if (!verdict.valid && refuse_invalid) {
    return reject(Status::PermissionDenied(where + ": would be invalid: " + verdict.reason));
  }
  AppliedCommit applied;
  if (auto s = Write(c, signed_bytes, scratch, staged_key, verdict, &revalidation, &applied); !s.ok()) {
    return reject(s.WithContext(where));
  }
  node_.collections_[coll] = std::move(scratch);
  ++node_.counters_.commits_applied;
  if (!verdict.valid) ++node_.counters_.commits_invalid;
  out.status = verdict.valid ? ReceiveStatus::kApplied : ReceiveStatus::kInvalid;
  if (!verdict.valid) out.reason = where + ": stored, invalid: " + verdict.reason;
  out.applied.push_back(std::move(applied));
  return out;
}

Result<AppliedCommit> CommitApplier::ApplyOwn(Node& node, std::string_view signed_bytes) {
  ReceiveOutcome out;
  {
    std::lock_guard lock(node.mu_);
    out = CommitApplier(node).Apply(signed_bytes, nullptr, {}, /*refuse_invalid=*/true);
  }
  if (out.status != ReceiveStatus::kApplied) return Status::InvalidArgument(out.reason);
  node.Notify(out.applied);
  return std::move(out.applied.front());
}

Status CommitApplier::Write(const v1::Commit& c, std::string_view signed_bytes,
                            CollectionCache& scratch, const std::string* staged_key,
                            const Verdict& verdict, Revalidation* revalidation, AppliedCommit* applied) {
  const std::string& coll = c.collection();
  // Each op's row lands about four times over (in the commit, its record op
  // and its record, with their keys): with room for five times the commit,
  // a 1 MB commit's batch does not grow by copying itself (3.5% of a
  // receiving node's time in a sync).
  storage::WriteBatch batch(*node_.db_, 5 * signed_bytes.size());
  uint64_t local_seq = scratch.next_local_seq++;

  v1::StoredCommit sc;
  PutVerdict(&batch, coll, c.author(), c.seq(), verdict, &sc);
  sc.set_local_seq(local_seq);
  sc.set_received_ms(SystemNowMs());
  // The signed commit (field 1, so first, as the message would write it) is
  // appended as it is: set on `sc` and serialized, it was copied twice more
  // (an import's commits are ~1 MB).
  std::string stored;
  stored.reserve(signed_bytes.size() + 64);
  AppendLengthDelimitedHeader(v1::StoredCommit::kSignedFieldNumber, signed_bytes.size(), &stored);
  stored.append(signed_bytes);
  sc.AppendToString(&stored);
  batch.Put(storage::Family::kCommits, keys::Commit(coll, c.author(), c.seq()), stored);
  std::string change(c.author());
  storage::AppendU64(&change, c.seq());
  batch.Put(storage::Family::kChanges, keys::Change(coll, local_seq), change);
  std::string seq_bytes;
  storage::AppendU64(&seq_bytes, c.seq());
  batch.Put(storage::Family::kVersions, keys::Version(coll, c.author()), seq_bytes);

  // Records touched by this commit, read once and written once; those
  // commits whose verdict changed touched are recomputed first.
  std::map<std::string, v1::RecordState> records;
  auto retagged = revalidation->Write(&batch, &records);
  if (!retagged.ok()) return retagged.status();
  std::set<std::string> tag_names = std::move(retagged).value();
  std::vector<v1::TagInfo> new_tags;  // this commit's, if valid

  // The key of every record this commit touches; those not already loaded
  // by the revalidation are read in key order, each once (an import or an
  // initial sync writes kChainOpsPerCommit records a commit).
  std::vector<std::string> record_keys(c.ops_size());
  std::vector<std::string> to_load;
  for (int i = 0; i < c.ops_size(); ++i) {
    const v1::Op& op = c.ops(i);
    if (!op.has_upsert() && !op.has_delete_()) continue;
    const std::string& ds = op.has_upsert() ? op.upsert().dataset() : op.delete_().dataset();
    const auto& key = op.has_upsert() ? op.upsert().key() : op.delete_().key();
    record_keys[i] = keys::Record(coll, ds, storage::EncodeKey(key));
    // An invalid commit's ops change no record: nothing to read.
    if (verdict.valid && !records.contains(record_keys[i])) to_load.push_back(record_keys[i]);
  }
  std::sort(to_load.begin(), to_load.end());
  to_load.erase(std::unique(to_load.begin(), to_load.end()), to_load.end());
  // Every touched record by key: the revalidation's, and those read here,
  // which live on an arena: one commit's thousands of states are freed at once
  // instead of field by field (that was ~15% of an import's time).
  std::map<std::string_view, Touched> touched;
  for (auto& [key, rec] : records) touched.emplace(key, Touched{&rec});
  google::protobuf::Arena arena(LargeArenaBlocks());
  KONGSI_RETURN_IF_ERROR(node_.db_->MultiGet(
      storage::Family::kRecords, to_load, [&](size_t i, const std::string_view* bytes) -> Status {
        auto* rec = google::protobuf::Arena::CreateMessage<v1::RecordState>(&arena);
        if (bytes) KONGSI_RETURN_IF_ERROR(DecodeRecordState(*bytes, rec));
        touched.emplace_hint(touched.end(), to_load[i], Touched{rec, bytes ? Form::kFull : Form::kNew});
        return Status::Ok();
      }));

  // One point and one provenance for the whole commit; only the op index
  // varies (a VersionVector copy per op was a map allocation per row).
  OpPoint at = PointOf(c, 0);
  v1::Provenance by;
  by.set_author(c.author());
  by.set_seq(c.seq());
  by.set_hlc(c.hlc());
  // A record op's key holds the author, seq and op index (store_keys.h):
  // its value keeps the hlc and the op, ~40 bytes a row fewer to write.
  v1::RecordOp rop;
  rop.mutable_by()->set_hlc(c.hlc());
  std::string rop_bytes;
  for (int i = 0; i < c.ops_size(); ++i) {
    const v1::Op& op = c.ops(i);
    at.index = static_cast<uint32_t>(i);
    if (op.has_upsert() || op.has_delete_()) {
      const std::string& rkey = record_keys[i];
      // An invalid commit's ops are kept (history, and a later verdict may
      // count them) but change nothing.
      if (verdict.valid) KONGSI_RETURN_IF_ERROR(ApplyRecordOp(op, at, &touched.at(rkey)));
      batch.Put(storage::Family::kRecordOps, keys::RecordOp(rkey, c.author(), c.seq(), i),
                SerializeRecordOp(rop, op, &rop_bytes));
    } else if (op.has_grant() || op.has_revoke()) {
      v1::AclEntry e;
      *e.mutable_by() = by;
      *e.mutable_deps() = c.deps();
      if (op.has_grant()) *e.mutable_grant() = op.grant();
      if (op.has_revoke()) *e.mutable_revoke() = op.revoke();
      batch.Put(storage::Family::kAcl, keys::AclEntry(coll, c.author(), c.seq(), i), e.SerializeAsString());
    } else if (op.has_create_collection()) {
      v1::AclEntry e;
      *e.mutable_by() = by;
      e.set_genesis(true);
      batch.Put(storage::Family::kAcl, keys::AclEntry(coll, c.author(), c.seq(), i), e.SerializeAsString());
    } else if (op.has_tag()) {
      // A tag is its greatest-stamped valid Tag op: deterministic on every
      // node; every Tag op is kept so an invalidated one can fall back.
      v1::TagInfo t;
      t.set_name(op.tag().name());
      *t.mutable_vv() = op.tag().vv();
      *t.mutable_by() = by;
      t.set_note(c.note());
      batch.Put(storage::Family::kMeta, TagOpKey(coll, t.name(), c.author(), c.seq(), i), t.SerializeAsString());
      tag_names.insert(t.name());
      if (verdict.valid) new_tags.push_back(std::move(t));
    }
  }
  for (const auto& name : tag_names) {
    std::vector<v1::TagInfo> extra;
    for (const auto& t : new_tags) {
      if (t.name() == name) extra.push_back(t);
    }
    KONGSI_RETURN_IF_ERROR(RecomputeTag(*node_.db_, coll, name, extra, revalidation->facts(), &batch));
  }
  std::string bytes;
  for (const auto& [rkey, t] : touched) {
    // A record only invalid commits touched does not exist.
    if (!t.rec->has_last_upsert() && !t.rec->has_last_delete()) {
      batch.Delete(storage::Family::kRecords, rkey);
    } else if (t.form == Form::kStored) {
      bytes.clear();
      t.rec->AppendToString(&bytes);
      batch.Put(storage::Family::kRecords, rkey, bytes);
    } else {
      EncodeRecordState(t.rec, &bytes);  // the states are dropped after this batch
      batch.Put(storage::Family::kRecords, rkey, bytes);
    }
  }
  for (const auto& [name, info] : scratch.datasets) {
    batch.Put(storage::Family::kDatasets, keys::Dataset(coll, name), info.SerializeAsString());
  }
  batch.Put(storage::Family::kCollections, keys::Collection(coll), scratch.info.SerializeAsString());
  if (staged_key) batch.Delete(storage::Family::kStaging, *staged_key);

  KONGSI_RETURN_IF_ERROR(node_.db_->Write(batch, /*sync=*/durability_ == Durability::kFsync));

  scratch.vv.Set(c.author(), c.seq());
  scratch.last_hlc[c.author()] = c.hlc();
  applied->collection = coll;
  applied->author = c.author();
  applied->seq = c.seq();
  applied->hlc = c.hlc();
  applied->local_seq = local_seq;
  applied->signed_bytes = std::string(signed_bytes);
  applied->op_count = c.ops_size();
  applied->valid = verdict.valid;
  return Status::Ok();
}

}  // namespace kongsi::node
