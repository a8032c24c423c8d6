#include "node/reader.h"

#include <algorithm>
#include <set>

#include "node/digest_builder.h"
#include "node/record_codec.h"
#include "node/record_merge.h"
#include "node/store_keys.h"
#include "storage/key_codec.h"

namespace kongsi::node {
namespace {

// "author | seq" (32 raw bytes, then a big-endian u64): a change-feed value
// or an invalid-commit index key suffix.
bool ParseAuthorSeq(std::string_view bytes, std::string* author, uint64_t* seq) {
  if (bytes.size() < kPublicKeyBytes) return false;
  author->assign(bytes.substr(0, kPublicKeyBytes));
  bytes.remove_prefix(kPublicKeyBytes);
  return storage::ConsumeU64(&bytes, seq);
}

const std::string& DatasetOf(const v1::Op& op) {
  return op.has_upsert() ? op.upsert().dataset() : op.delete_().dataset();
}

}  // namespace

Reader::Reader(const Node& node, std::string collection)
    : node_(node), coll_(std::move(collection)), snapshot_(node.db().NewSnapshot()) {
  facts_ = std::make_unique<CommitFacts>(node.db(), coll_, snapshot_.get());
  auto c = node.Collection(coll_);
  if (c.ok()) cache_ = std::move(c).value();
  // A dataset made by an invalid commit was never made.
  for (auto it = cache_.datasets.begin(); it != cache_.datasets.end();) {
    const auto& by = it->second.created_by();
    auto valid = facts_->Valid(by.author(), by.seq());
    bool made = !it->second.has_created_by() || !valid.ok() || *valid;
    it = made ? std::next(it) : cache_.datasets.erase(it);
  }
}

Reader::~Reader() = default;

std::string Reader::AuthorLabel(const std::string& author_pubkey) const {
  return NodeIdText(NodeIdFromPublicKey(author_pubkey));
}

std::string Reader::FormatVersion(const VersionVector& vv) const {
  std::string out;
  for (const auto& [author, seq] : vv.entries()) {
    if (!out.empty()) out += ",";
    out += AuthorLabel(author).substr(0, 8) + ":" + std::to_string(seq);
  }
  return out.empty() ? "empty" : out;
}

Result<VersionVector> Reader::ResolveVersion(const std::string& spec) const {
  std::string bytes;
  if (node_.db().Get(storage::Family::kTags, keys::Tag(coll_, spec), &bytes, snapshot_.get()).ok()) {
    v1::TagInfo t;
    if (!t.ParseFromString(bytes)) return Status::Corruption("tag does not decode");
    return VersionVector::FromProto(t.vv());
  }
  if (spec == "empty") return VersionVector();
  if (spec.find(':') == std::string::npos) {
    return Status::NotFound("no tag \"" + spec + "\" and not a version (AUTHOR:SEQ,…)");
  }
  VersionVector vv;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string part = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t colon = part.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidArgument("version part \"" + part + "\" is not AUTHOR:SEQ");
    }
    std::string prefix = part.substr(0, colon);
    uint64_t seq = 0;
    try {
      size_t used = 0;
      seq = std::stoull(part.substr(colon + 1), &used);
      if (used != part.size() - colon - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      return Status::InvalidArgument("version part \"" + part + "\": seq is not a number");
    }
    std::vector<std::string> hits;
    for (const auto& [author, _] : cache_.vv.entries()) {
      if (AuthorLabel(author).rfind(prefix, 0) == 0) hits.push_back(author);
    }
    if (hits.size() != 1) {
      return Status::InvalidArgument("version part \"" + part + "\": author prefix matches " +
                                     std::to_string(hits.size()) + " authors");
    }
    vv.Set(hits[0], seq);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return vv;
}

Result<v1::RecordState> Reader::Replay(const std::string& record_key, const VersionVector& as_of) const {
  return ReplayRecord(node_.db(), snapshot_.get(), record_key,
                      [&](const v1::Provenance& by) -> Result<std::optional<VersionVector>> {
                        if (!as_of.Includes(by.author(), by.seq())) return std::optional<VersionVector>();
                        auto f = facts_->Get(by.author(), by.seq());
                        if (!f.ok()) return f.status();
                        if (!(*f)->valid) return std::optional<VersionVector>();
                        return std::optional<VersionVector>((*f)->deps);
                      });
}

Status Reader::ScanRecords(const std::string& dataset, const VersionVector* as_of,
                           const std::function<bool(const v1::RecordState&)>& fn,
                           bool include_deleted) const {
  if (!cache_.datasets.count(dataset)) {
    return Status::NotFound("no dataset \"" + dataset + "\" in collection " + cache_.info.name());
  }
  bool replay = as_of && !as_of->Dominates(cache_.vv);
  auto it = node_.db().NewScanIterator(storage::Family::kRecords,
                                       keys::RecordPrefix(coll_, dataset), snapshot_.get());
  for (; it->Valid(); it->Next()) {
    v1::RecordState state;
    if (replay) {
      auto r = Replay(std::string(it->key()), *as_of);
      if (!r.ok()) return r.status();
      state = std::move(r).value();
    } else {
      KONGSI_RETURN_IF_ERROR(DecodeRecordState(it->value(), &state));
    }
    if (!state.has_last_upsert() && !state.has_last_delete()) continue;
    if (!include_deleted && !IsLive(state)) continue;
    if (!fn(state)) break;
  }
  return it->status();
}

Result<std::optional<v1::RecordState>> Reader::GetRecord(
    const std::string& dataset, const google::protobuf::RepeatedPtrField<v1::Value>& key,
    const VersionVector* as_of) const {
  std::string rkey = keys::Record(coll_, dataset, storage::EncodeKey(key));
  v1::RecordState state;
  if (as_of && !as_of->Dominates(cache_.vv)) {
    auto r = Replay(rkey, *as_of);
    if (!r.ok()) return r.status();
    state = std::move(r).value();
  } else {
    std::string bytes;
    auto s = node_.db().Get(storage::Family::kRecords, rkey, &bytes, snapshot_.get());
    if (s.IsNotFound()) return std::optional<v1::RecordState>();
    KONGSI_RETURN_IF_ERROR(s);
    KONGSI_RETURN_IF_ERROR(DecodeRecordState(bytes, &state));
  }
  if (!state.has_last_upsert() && !state.has_last_delete()) return std::optional<v1::RecordState>();
  return std::optional<v1::RecordState>(std::move(state));
}

Result<std::vector<HistoryEntry>> Reader::History(
    const std::string& dataset, const google::protobuf::RepeatedPtrField<v1::Value>& key) const {
  std::string rkey = keys::Record(coll_, dataset, storage::EncodeKey(key));
  std::vector<HistoryEntry> out;
  auto it = node_.db().NewPrefixIterator(storage::Family::kRecordOps, keys::RecordOpsPrefix(rkey),
                                         snapshot_.get());
  for (; it->Valid(); it->Next()) {
    v1::RecordOp rop;
    KONGSI_RETURN_IF_ERROR(ParseRecordOp(it->key(), it->value(), &rop));
    HistoryEntry h;
    h.by = rop.by();
    h.op_index = rop.op_index();
    h.op = rop.op();
    auto stored = node_.GetCommit(coll_, rop.by().author(), rop.by().seq());
    if (stored.ok()) {
      h.valid = stored->valid();
      auto c = DecodeStoredCommit(*stored);
      if (c.ok()) h.note = c->note();
    }
    out.push_back(std::move(h));
  }
  std::sort(out.begin(), out.end(), [](const HistoryEntry& a, const HistoryEntry& b) {
    int c = CompareStamps(a.by, b.by);
    return c != 0 ? c > 0 : a.op_index > b.op_index;
  });
  return out;
}

Result<std::vector<RecordDiff>> Reader::Diff(const VersionVector& from, const VersionVector& to) const {
  // Only records touched by commits in one version and not the other can differ.
  std::set<std::pair<std::string, std::string>> touched;  // dataset, encoded key
  std::map<std::string, google::protobuf::RepeatedPtrField<v1::Value>> keys_of;
  std::set<std::string> authors;
  for (const auto& [a, _] : from.entries()) authors.insert(a);
  for (const auto& [a, _] : to.entries()) authors.insert(a);
  for (const auto& author : authors) {
    uint64_t lo = std::min(from.Get(author), to.Get(author));
    uint64_t hi = std::max(from.Get(author), to.Get(author));
    for (uint64_t seq = lo + 1; seq <= hi; ++seq) {
      auto stored = node_.GetCommit(coll_, author, seq);
      if (!stored.ok()) return stored.status().WithContext("diff needs a commit this node lacks");
      auto c = DecodeStoredCommit(*stored);
      if (!c.ok()) return c.status();
      for (const auto& op : c->ops()) {
        if (!op.has_upsert() && !op.has_delete_()) continue;
        const auto& key = op.has_upsert() ? op.upsert().key() : op.delete_().key();
        std::string enc = storage::EncodeKey(key);
        if (touched.insert({DatasetOf(op), enc}).second) keys_of[DatasetOf(op) + '\0' + enc] = key;
      }
    }
  }
  std::vector<RecordDiff> out;
  for (const auto& [dataset, enc] : touched) {
    const auto& key = keys_of[dataset + '\0' + enc];
    auto before = GetRecord(dataset, key, &from);
    auto after = GetRecord(dataset, key, &to);
    if (!before.ok()) return before.status();
    if (!after.ok()) return after.status();
    bool was = before->has_value() && IsLive(**before);
    bool is = after->has_value() && IsLive(**after);
    if (!was && !is) continue;
    RecordDiff d;
    d.dataset = dataset;
    d.key = is ? (*after)->key() : (*before)->key();
    d.kind = !was ? RecordDiff::Kind::kAdded : !is ? RecordDiff::Kind::kRemoved : RecordDiff::Kind::kChanged;
    std::set<std::string> fields;
    auto visible = [](const std::optional<v1::RecordState>& r, const std::string& f) {
      v1::Value v;
      if (!r || !IsLive(*r)) return v;
      const v1::CellState* c = FindCell(*r, f);
      if (c && ViewCell(*r, *c).visible) v = c->value();
      return v;
    };
    if (was) for (const auto& c : (*before)->cells()) fields.insert(c.field());
    if (is) for (const auto& c : (*after)->cells()) fields.insert(c.field());
    for (const auto& f : fields) {
      CellChange ch{f, visible(*before, f), visible(*after, f)};
      if (ch.before.SerializeAsString() != ch.after.SerializeAsString()) d.changes.push_back(std::move(ch));
    }
    if (d.kind == RecordDiff::Kind::kChanged && d.changes.empty()) continue;
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<ConflictEntry>> Reader::Conflicts(const std::string& dataset_or_empty) const {
  std::vector<ConflictEntry> out;
  for (const auto& [name, _] : cache_.datasets) {
    if (!dataset_or_empty.empty() && name != dataset_or_empty) continue;
    // (clang 14 cannot capture a structured binding: capture a reference.)
    KONGSI_RETURN_IF_ERROR(ScanRecords(name, nullptr, [&, &name = name](const v1::RecordState& r) {
      for (const auto& cell : r.cells()) {
        CellView view = ViewCell(r, cell);
        if (view.conflicts.empty()) continue;
        ConflictEntry e;
        e.dataset = name;
        e.key = r.key();
        e.field = cell.field();
        e.value = cell.value();
        e.by = cell.by();
        for (const auto* w : view.conflicts) e.losers.push_back(*w);
        out.push_back(std::move(e));
      }
      return true;
    }));
  }
  return out;
}

Result<LogEntry> Reader::LogEntryOf(const std::string& author, uint64_t seq) const {
  std::string bytes;
  KONGSI_RETURN_IF_ERROR(
      node_.db().Get(storage::Family::kCommits, keys::Commit(coll_, author, seq), &bytes, snapshot_.get()));
  v1::StoredCommit stored;
  if (!stored.ParseFromString(bytes)) return Status::Corruption("stored commit does not decode");
  auto decoded = DecodeStoredCommit(stored);
  if (!decoded.ok()) return decoded.status();
  const v1::Commit& c = *decoded;
  LogEntry e;
  e.author = author;
  e.seq = seq;
  e.hlc = c.hlc();
  e.local_seq = stored.local_seq();
  e.note = c.note();
  e.op_count = c.ops_size();
  e.valid = stored.valid();
  e.invalid_reason = stored.invalid_reason();
  std::map<std::string, int> kinds;
  for (const auto& op : c.ops()) {
    std::string name = op.GetDescriptor()->oneof_decl(0)->name();
    const auto* f = op.GetReflection()->GetOneofFieldDescriptor(op, op.GetDescriptor()->oneof_decl(0));
    ++kinds[f ? f->name() : name];
  }
  for (const auto& [k, n] : kinds) e.op_summary.push_back(n > 1 ? k + " x" + std::to_string(n) : k);
  return e;
}

Result<std::vector<LogEntry>> Reader::Log(size_t limit, bool invalid_only) const {
  std::vector<LogEntry> out;
  if (invalid_only) {
    // From the invalid-commit index, then newest first like the full log.
    auto it = node_.db().NewPrefixIterator(storage::Family::kMeta, InvalidCommitsPrefix(coll_), snapshot_.get());
    for (; it->Valid(); it->Next()) {
      std::string author;
      uint64_t seq = 0;
      if (!ParseAuthorSeq(it->key().substr(InvalidCommitsPrefix(coll_).size()), &author, &seq)) {
        return Status::Corruption("invalid-commit entry does not decode");
      }
      auto e = LogEntryOf(author, seq);
      if (!e.ok()) return e.status();
      out.push_back(std::move(e).value());
    }
    KONGSI_RETURN_IF_ERROR(it->status());
    std::sort(out.begin(), out.end(), [](const LogEntry& a, const LogEntry& b) { return a.local_seq > b.local_seq; });
    if (limit != 0 && out.size() > limit) out.resize(limit);
    return out;
  }
  auto it = node_.db().NewIterator(storage::Family::kChanges, coll_, storage::PrefixSuccessor(coll_),
                                   snapshot_.get());
  for (it->SeekToLast(); it->Valid() && (limit == 0 || out.size() < limit); it->Prev()) {
    std::string author;
    uint64_t seq = 0;
    if (!ParseAuthorSeq(it->value(), &author, &seq)) return Status::Corruption("change entry does not decode");
    auto e = LogEntryOf(author, seq);
    if (!e.ok()) return e.status();
    out.push_back(std::move(e).value());
  }
  KONGSI_RETURN_IF_ERROR(it->status());
  return out;
}

std::vector<v1::TagInfo> Reader::Tags() const {
  std::vector<v1::TagInfo> out;
  for (auto it = node_.db().NewPrefixIterator(storage::Family::kTags, coll_, snapshot_.get()); it->Valid();
       it->Next()) {
    v1::TagInfo t;
    if (t.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) out.push_back(t);
  }
  return out;
}

Result<std::map<std::string, AuthorActivity>> Reader::Activity() const {
  std::map<std::string, AuthorActivity> out;
  for (const auto& [author, seq] : cache_.vv.entries()) {
    AuthorActivity& a = out[author];
    a.commits = seq;
    auto hlc = cache_.last_hlc.find(author);
    if (hlc != cache_.last_hlc.end()) a.last_hlc = hlc->second;
  }
  const std::string prefix = InvalidCommitsPrefix(coll_);
  auto it = node_.db().NewPrefixIterator(storage::Family::kMeta, prefix, snapshot_.get());
  for (; it->Valid(); it->Next()) {
    std::string author;
    uint64_t seq = 0;
    if (!ParseAuthorSeq(it->key().substr(prefix.size()), &author, &seq)) {
      return Status::Corruption("invalid-commit entry does not decode");
    }
    ++out[author].invalid;
  }
  KONGSI_RETURN_IF_ERROR(it->status());
  return out;
}

Result<std::string> Reader::Digest() const {
  DigestBuilder d;
  d.Add("kongsi-state-digest-v1");
  d.Add(coll_);
  d.Add(cache_.info.name());
  d.Add(cache_.info.description());
  for (const auto& [name, info] : cache_.datasets) {
    d.Add(name);
    d.Add(info.schema().SerializeAsString());
  }
  // The stored bytes as they are: the stored form is canonical
  // (node/record_codec.h), so decoding each record is not needed.
  auto records = node_.db().NewScanIterator(storage::Family::kRecords, coll_, snapshot_.get());
  for (; records->Valid(); records->Next()) {
    d.Add(records->key().substr(coll_.size()));
    d.Add(records->value());
  }
  KONGSI_RETURN_IF_ERROR(records->status());
  for (const auto& m : cache_.acl.Members()) {
    d.Add(m.org);
    d.Add(std::to_string(m.role));
  }
  for (const auto& t : Tags()) d.Add(t.SerializeAsString());
  // Which commits are invalid is part of the state; the reasons' wording is not.
  d.Add("invalid");
  auto invalid = node_.db().NewPrefixIterator(storage::Family::kMeta, InvalidCommitsPrefix(coll_), snapshot_.get());
  for (; invalid->Valid(); invalid->Next()) d.Add(invalid->key().substr(InvalidCommitsPrefix(coll_).size()));
  KONGSI_RETURN_IF_ERROR(invalid->status());
  return HexId(d.Finish());
}

}  // namespace kongsi::node
