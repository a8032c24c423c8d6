#include "node/node.h"

#include <openssl/rand.h>

#include <algorithm>
#include <filesystem>

#include "node/commit_applier.h"
#include "node/op_validation.h"
#include "node/record_codec.h"
#include "node/store_keys.h"

namespace kongsi::node {
namespace {

namespace fs = std::filesystem;

std::string DbPath(const std::string& dir) { return (fs::path(dir) / "db").string(); }

// Applied or stored invalid: in the log either way, so it releases pending
// commits and goes to peers.
bool Stored(ReceiveStatus s) { return s == ReceiveStatus::kApplied || s == ReceiveStatus::kInvalid; }

// Staging keys: import id | 0x00 | n. A marker key `import id | 0x01` says
// the whole chain was staged, so recovery may roll it forward.
std::string StagingPrefix(const std::string& import_id) { return import_id + std::string(1, '\0'); }
std::string StagingComplete(const std::string& import_id) { return import_id + std::string(1, '\1'); }

}  // namespace

const char* ReceiveStatusName(ReceiveStatus s) {
  switch (s) {
    case ReceiveStatus::kApplied: return "applied";
    case ReceiveStatus::kDuplicate: return "duplicate";
    case ReceiveStatus::kPending: return "pending";
    case ReceiveStatus::kRejected: return "rejected";
    case ReceiveStatus::kEquivocation: return "equivocation";
    case ReceiveStatus::kInvalid: return "invalid";
  }
  return "?";
}

Result<v1::Commit> DecodeStoredCommit(const v1::StoredCommit& stored) {
  v1::SignedCommit sc;
  v1::Commit c;
  if (!sc.ParseFromString(stored.signed_()) || !c.ParseFromString(sc.commit())) {
    return Status::Corruption("stored commit does not decode");
  }
  return c;
}

std::string HexId(std::string_view raw) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<std::string> ParseHexId(const std::string& hex, size_t bytes) {
  if (hex.size() != bytes * 2) {
    return Status::InvalidArgument("\"" + hex + "\" is not a " + std::to_string(bytes * 2) + "-digit hex id");
  }
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nib(hex[i]), lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("\"" + hex + "\" is not hex");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

Result<std::unique_ptr<Node>> Node::Init(const std::string& data_dir, const std::string& name) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return Status::IoError("cannot create " + data_dir + ": " + ec.message());
  if (fs::exists(fs::path(data_dir) / "node.key")) {
    return Status::AlreadyExists(data_dir + " is already initialised (node.key exists)");
  }
  auto id = Identity::Create(data_dir, name);
  if (!id.ok()) return id.status();
  return Open(data_dir);
}

Result<std::unique_ptr<Node>> Node::Open(const std::string& data_dir) {
  if (!fs::exists(fs::path(data_dir) / "node.key")) {
    return Status::FailedPrecondition(data_dir + " is not a Kongsi data dir: run `kongsi init --name NAME` first");
  }
  std::unique_ptr<Node> node(new Node());
  node->data_dir_ = data_dir;
  auto id = Identity::Load(data_dir);
  if (!id.ok()) return id.status();
  node->identity_ = std::move(id).value();
  node->clock_ = std::make_unique<HybridClock>();
  auto db = storage::Db::Open(DbPath(data_dir), {});
  if (!db.ok()) return db.status();
  node->db_ = std::move(db).value();
  KONGSI_RETURN_IF_ERROR(MigrateRecordsToStoredForm(*node->db_));
  KONGSI_RETURN_IF_ERROR(node->LoadCaches());
  KONGSI_RETURN_IF_ERROR(node->RecoverStaging());
  return node;
}

Node::~Node() = default;

Result<std::string> Node::CreateCollection(const std::string& name, const std::string& description) {
  std::string nonce(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), 16) != 1) {
    return Status::Internal("no randomness for the collection id");
  }
  std::string coll = CollectionIdFor(identity_->public_key(), nonce);
  v1::Op op;
  op.mutable_create_collection()->set_name(name);
  op.mutable_create_collection()->set_description(description);
  op.mutable_create_collection()->set_nonce(nonce);
  std::vector<v1::Op> ops{op};
  auto r = CommitOps(coll, std::move(ops), "create collection " + name);
  if (!r.ok()) return r.status();
  return coll;
}

std::vector<v1::CollectionInfo> Node::ListCollections() const {
  std::lock_guard lock(mu_);
  std::vector<v1::CollectionInfo> out;
  for (const auto& [_, c] : collections_) out.push_back(c.info);
  return out;
}

Result<std::string> Node::ResolveCollection(const std::string& name_or_id) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> hits;
  for (const auto& [id, c] : collections_) {
    std::string hex = HexId(id);
    if (hex == name_or_id) return id;
    if ((name_or_id.size() >= 6 && hex.rfind(name_or_id, 0) == 0) || c.info.name() == name_or_id) {
      hits.push_back(id);
    }
  }
  if (hits.size() == 1) return hits[0];
  if (hits.empty()) return Status::NotFound("no collection \"" + name_or_id + "\" (see `kongsi collection list`)");
  return Status::InvalidArgument("\"" + name_or_id + "\" names " + std::to_string(hits.size()) +
                                 " collections; use the collection id");
}

Result<CollectionCache> Node::Collection(const std::string& coll) const {
  std::lock_guard lock(mu_);
  auto it = collections_.find(coll);
  if (it == collections_.end()) return Status::NotFound("no collection " + HexId(coll));
  return it->second;
}

Result<v1::DatasetInfo> Node::Dataset(const std::string& coll, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = collections_.find(coll);
  if (it == collections_.end()) return Status::NotFound("no collection " + HexId(coll));
  auto d = it->second.datasets.find(name);
  if (d == it->second.datasets.end()) {
    return Status::NotFound("no dataset \"" + name + "\" in collection " + it->second.info.name());
  }
  return d->second;
}

Status Node::RecordInvite(const std::string& coll, const std::string& name,
                          const std::string& from_node_id) {
  if (coll.size() != keys::kCollectionIdBytes) return Status::InvalidArgument("collection id is not 16 bytes");
  std::lock_guard lock(mu_);
  if (collections_.count(coll)) return Status::Ok();
  std::string bytes;
  if (db_->Get(storage::Family::kMeta, keys::Invite(coll), &bytes).ok()) return Status::Ok();
  v1::Invite invite;
  invite.set_collection(coll);
  // Advisory and peer-supplied: bounded, so a hostile peer cannot bloat it.
  invite.set_name(name.substr(0, kMaxObjectNameBytes));
  invite.set_from(from_node_id);
  invite.set_first_seen_ms(SystemNowMs());
  storage::WriteBatch b(*db_);
  b.Put(storage::Family::kMeta, keys::Invite(coll), invite.SerializeAsString());
  return db_->Write(b);
}

std::vector<v1::Invite> Node::Invites() const {
  std::vector<v1::Invite> out;
  std::lock_guard lock(mu_);
  for (auto it = db_->NewPrefixIterator(storage::Family::kMeta, keys::kInvitePrefix); it->Valid(); it->Next()) {
    v1::Invite invite;
    if (!invite.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) continue;
    if (invite.joined() || collections_.count(invite.collection())) continue;
    out.push_back(std::move(invite));
  }
  std::sort(out.begin(), out.end(), [](const v1::Invite& a, const v1::Invite& b) {
    return a.first_seen_ms() < b.first_seen_ms();
  });
  return out;
}

Result<std::string> Node::Join(const std::string& name_or_id) {
  std::vector<v1::Invite> candidates;
  {
    std::lock_guard lock(mu_);
    for (auto it = db_->NewPrefixIterator(storage::Family::kMeta, keys::kInvitePrefix); it->Valid(); it->Next()) {
      v1::Invite invite;
      if (invite.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        candidates.push_back(std::move(invite));
      }
    }
  }
  std::vector<const v1::Invite*> matches;
  for (const auto& inv : candidates) {
    std::string hex = HexId(inv.collection());
    bool by_id = name_or_id.size() >= 6 && hex.compare(0, name_or_id.size(), name_or_id) == 0;
    if (by_id || inv.name() == name_or_id) matches.push_back(&inv);
  }
  if (matches.empty()) {
    // Already held: joining is then just marking it joined.
    auto held = ResolveCollection(name_or_id);
    if (held.ok()) {
      KONGSI_RETURN_IF_ERROR(SetJoined(*held, true));
      return held;
    }
    return Status::NotFound("no invitation to "" + name_or_id + "" (see `kongsi collection invites`)");
  }
  if (matches.size() > 1) {
    return Status::InvalidArgument(""" + name_or_id + "" names " + std::to_string(matches.size()) +
                                   " invitations; use the collection ID");
  }
  v1::Invite invite = *matches.front();
  invite.set_joined(true);
  std::lock_guard lock(mu_);
  storage::WriteBatch b(*db_);
  b.Put(storage::Family::kMeta, keys::Invite(invite.collection()), invite.SerializeAsString());
  KONGSI_RETURN_IF_ERROR(db_->Write(b));
  return invite.collection();
}

bool Node::Wants(const std::string& coll) const {
  std::lock_guard lock(mu_);
  if (collections_.count(coll)) return false;
  std::string bytes;
  v1::Invite invite;
  return db_->Get(storage::Family::kMeta, keys::Invite(coll), &bytes).ok() && invite.ParseFromString(bytes) &&
         invite.joined();
}

bool Node::Holds(const std::string& coll) const {
  std::lock_guard lock(mu_);
  return collections_.count(coll) > 0;
}

Status Node::SetJoined(const std::string& coll, bool joined) {
  std::lock_guard lock(mu_);
  auto it = collections_.find(coll);
  if (it == collections_.end()) return Status::NotFound("no collection " + HexId(coll));
  it->second.info.set_joined(joined);
  storage::WriteBatch b(*db_);
  b.Put(storage::Family::kCollections, keys::Collection(coll), it->second.info.SerializeAsString());
  return db_->Write(b);
}

v1::SignedCommit Node::BuildCommit(const std::string& coll, const VersionVector& base,
                                   std::vector<v1::Op> ops, const std::string& note,
                                   uint64_t* hlc_out) {
  v1::Commit c;
  for (auto& op : ops) *c.add_ops() = std::move(op);
  return SealCommit(coll, base, note, &c, hlc_out);
}

v1::SignedCommit Node::SealCommit(const std::string& coll, const VersionVector& base,
                                  const std::string& note, v1::Commit* c, uint64_t* hlc_out) {
  c->set_collection(coll);
  c->set_author(identity_->public_key());
  c->set_seq(base.Get(identity_->public_key()) + 1);
  c->set_hlc(clock_->Now());
  c->clear_deps();
  base.ToProto(c->mutable_deps());
  c->set_note(note);
  if (hlc_out) *hlc_out = c->hlc();
  return SignCommit(*c, *identity_);
}

Result<AppliedCommit> Node::CommitOps(const std::string& coll, std::vector<v1::Op> ops,
                                      const std::string& note) {
  ReceiveOutcome out;
  {
    std::lock_guard local(local_write_mu_);
    std::lock_guard lock(mu_);
    auto it = collections_.find(coll);
    VersionVector base = it == collections_.end() ? VersionVector() : it->second.vv;
    v1::SignedCommit sc = BuildCommit(coll, base, std::move(ops), note);
    out = CommitApplier(*this).Apply(sc.SerializeAsString(), nullptr, {}, /*refuse_invalid=*/true);
  }
  if (out.status != ReceiveStatus::kApplied) {
    return Status::InvalidArgument(out.reason);
  }
  Notify(out.applied);
  return out.applied.front();
}

Result<std::vector<AppliedCommit>> Node::ApplyStaged(const std::string& import_id) {
  // Listeners hear of each commit as soon as it is applied, and the list
  // kept for the caller drops the signed bytes: holding a 1M-row chain's
  // commits until the end cost ~230 MB. A crash half-way rolls the rest of
  // the chain forward on the next open (RecoverStaging).
  std::vector<AppliedCommit> applied;
  Status failure;
  std::string after;  // staging key of the last commit applied
  const std::string prefix = StagingPrefix(import_id);
  const std::string end = storage::PrefixSuccessor(prefix);
  while (failure.ok()) {
    std::vector<AppliedCommit> one;  // Notify's shape
    {
      std::lock_guard lock(mu_);
      // From just past the last commit applied: a scan from the prefix would
      // step over the tombstone of every commit applied so far, which made
      // this loop quadratic (~8% of a 1M-row import).
      const std::string from = after.empty() ? prefix : after + '\0';
      auto it = db_->NewIterator(storage::Family::kStaging, from, end);
      it->Seek(from);
      if (!it->Valid()) {
        KONGSI_RETURN_IF_ERROR(it->status());
        storage::WriteBatch b(*db_);
        b.Delete(storage::Family::kStaging, StagingComplete(import_id));
        MarkStaging(&b, false);
        failure = db_->Write(b);  // fsynced, and with it every commit of the chain
        break;
      }
      after = std::string(it->key());
      auto out = CommitApplier(*this, Durability::kLog)
                     .Apply(it->value(), &after, {}, /*refuse_invalid=*/true);
      if (out.status != ReceiveStatus::kApplied) {
        failure = Status::Internal("staged commit not applied: " + out.reason);
        break;
      }
      one.push_back(std::move(out.applied.front()));
    }
    Notify(one);
    // clear() would keep the capacity: ~2 MiB a commit, ~200 MB over a
    // 1M-row chain (heaptrack).
    std::string().swap(one.front().signed_bytes);
    applied.push_back(std::move(one.front()));
  }
  if (!failure.ok()) return failure;
  return applied;
}

Status Node::DiscardStaged(const std::string& import_id) {
  storage::WriteBatch b(*db_);
  for (auto it = db_->NewPrefixIterator(storage::Family::kStaging, import_id); it->Valid(); it->Next()) {
    b.Delete(storage::Family::kStaging, it->key());
  }
  MarkStaging(&b, false);
  return db_->Write(b);
}

void Node::MarkStaging(storage::WriteBatch* batch, bool in_use) {
  batch->Put(storage::Family::kMeta, keys::kStagingInUse, in_use ? "1" : "0");
}

ReceiveOutcome Node::Receive(std::string_view signed_bytes) { return Receive(signed_bytes, {}); }

ReceiveOutcome Node::Receive(std::string_view signed_bytes, std::string_view expect_collection) {
  ReceiveOutcome out;
  {
    std::lock_guard lock(mu_);
    out = ReceiveLocked(signed_bytes, false, expect_collection);
    // HLC: local commits made after this one must carry a greater stamp.
    for (const auto& a : out.applied) clock_->Observe(a.hlc);
  }
  Notify(out.applied);
  return out;
}

ReceiveOutcome Node::ReceiveLocked(std::string_view signed_bytes, bool from_pending,
                                   std::string_view expect_collection) {
  ReceiveOutcome out =
      CommitApplier(*this, Durability::kLog).Apply(signed_bytes, nullptr, expect_collection);
  if (out.status == ReceiveStatus::kPending && !from_pending) {
    v1::SignedCommit sc;
    v1::Commit c;
    (void)sc.ParseFromArray(signed_bytes.data(), static_cast<int>(signed_bytes.size()));
    (void)c.ParseFromString(sc.commit());
    auto& cache = collections_[c.collection()];
    if (cache.pending >= kMaxPendingCommits) {
      out.status = ReceiveStatus::kRejected;
      out.reason += " (pending set full: " + std::to_string(kMaxPendingCommits) +
                    " commits, the limit (kMaxPendingCommits))";
      ++counters_.commits_rejected;
      return out;
    }
    storage::WriteBatch b(*db_);
    std::string key = keys::Commit(c.collection(), c.author(), c.seq());
    std::string ignored;
    if (!db_->Get(storage::Family::kPending, key, &ignored).ok()) {
      b.Put(storage::Family::kPending, key, signed_bytes);
      // No fsync: a pending commit lost in a crash is not in this node's
      // version vector, so the peer sends it again.
      if (db_->Write(b, /*sync=*/false).ok()) {
        ++cache.pending;
        ++counters_.commits_pending;
      }
    }
  }
  if (Stored(out.status) && !from_pending) {
    // A copy: releasing pending commits grows out.applied.
    std::string coll = out.applied.front().collection;
    ReleasePendingLocked(coll, &out);
  }
  return out;
}

void Node::ReleasePendingLocked(const std::string& coll, ReceiveOutcome* outcome) {
  auto it = collections_.find(coll);
  if (it == collections_.end() || it->second.pending == 0) return;
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto p = db_->NewPrefixIterator(storage::Family::kPending, coll); p->Valid(); p->Next()) {
      std::string key(p->key());
      std::string bytes(p->value());
      ReceiveOutcome r = ReceiveLocked(bytes, true);
      if (r.status == ReceiveStatus::kPending) continue;
      storage::WriteBatch b(*db_);
      b.Delete(storage::Family::kPending, key);
      (void)db_->Write(b, /*sync=*/false);  // a revived entry is dropped as a duplicate
      --collections_[coll].pending;
      if (Stored(r.status)) {
        for (auto& a : r.applied) outcome->applied.push_back(std::move(a));
        progress = true;
      }
    }
  }
}

void Node::AddCommitListener(CommitListener listener) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(listener));
}

void Node::Notify(const std::vector<AppliedCommit>& applied) {
  if (applied.empty()) return;
  std::vector<CommitListener> listeners;
  {
    std::lock_guard lock(mu_);
    listeners = listeners_;
  }
  for (const auto& a : applied) {
    for (const auto& l : listeners) l(a);
  }
}

VersionVector Node::Version(const std::string& coll) const {
  std::lock_guard lock(mu_);
  auto it = collections_.find(coll);
  return it == collections_.end() ? VersionVector() : it->second.vv;
}

NodeCounters Node::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

std::vector<std::string> Node::Alarms() const {
  std::lock_guard lock(mu_);
  return alarms_;
}

Result<v1::StoredCommit> Node::GetCommit(const std::string& coll, const std::string& author,
                                         uint64_t seq) const {
  std::string bytes;
  KONGSI_RETURN_IF_ERROR(db_->Get(storage::Family::kCommits, keys::Commit(coll, author, seq), &bytes));
  v1::StoredCommit sc;
  if (!sc.ParseFromString(bytes)) return Status::Corruption("stored commit does not decode");
  return sc;
}

Status Node::ForEachChangeEntry(
    const std::string& coll, uint64_t after,
    const std::function<bool(uint64_t, const std::string&, uint64_t)>& fn) const {
  auto it = db_->NewIterator(storage::Family::kChanges, keys::Change(coll, after + 1),
                             storage::PrefixSuccessor(coll));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k = it->key().substr(coll.size());
    uint64_t local_seq = 0;
    (void)storage::ConsumeU64(&k, &local_seq);
    std::string_view v = it->value();
    if (v.size() < kPublicKeyBytes) return Status::Corruption("change entry does not decode");
    std::string author(v.substr(0, kPublicKeyBytes));
    v.remove_prefix(kPublicKeyBytes);
    uint64_t seq = 0;
    if (!storage::ConsumeU64(&v, &seq)) return Status::Corruption("change entry does not decode");
    if (!fn(local_seq, author, seq)) break;
  }
  return it->status();
}

Status Node::ForEachChange(const std::string& coll, uint64_t after,
                           const std::function<bool(uint64_t, const v1::StoredCommit&)>& fn) const {
  Status inner;
  Status outer = ForEachChangeEntry(coll, after, [&](uint64_t local_seq, const std::string& author, uint64_t seq) {
    auto sc = GetCommit(coll, author, seq);
    if (!sc.ok()) {
      inner = sc.status();
      return false;
    }
    return fn(local_seq, *sc);
  });
  return inner.ok() ? outer : inner;
}

v1::Role Node::CurrentRole(const std::string& coll, const std::string& node_id) const {
  std::lock_guard lock(mu_);
  auto it = collections_.find(coll);
  return it == collections_.end() ? v1::ROLE_NONE : it->second.acl.CurrentRole(node_id);
}

Result<std::vector<AclLogEntry>> Node::AclLog(const std::string& coll) const {
  std::lock_guard lock(mu_);
  auto it = collections_.find(coll);
  if (it == collections_.end()) return Status::NotFound("no collection " + HexId(coll));
  return it->second.acl.Log();
}

Result<std::vector<Member>> Node::Members(const std::string& coll) const {
  std::lock_guard lock(mu_);
  auto it = collections_.find(coll);
  if (it == collections_.end()) return Status::NotFound("no collection " + HexId(coll));
  return it->second.acl.Members();
}

}  // namespace kongsi::node
