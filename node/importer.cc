#include "node/importer.h"

#include <openssl/rand.h>

#include <optional>
#include <unordered_map>

#include "node/commit_applier.h"
#include "node/csv_reader.h"
#include "node/digest_builder.h"
#include "node/importer_key_set.h"
#include "node/large_arena.h"
#include "node/op_validation.h"
#include "node/publish_mark.h"
#include "node/record_merge.h"
#include "node/store_keys.h"
#include "node/table_schema.h"
#include "node/value_text.h"
#include "storage/key_codec.h"

namespace kongsi::node {
namespace {

constexpr char kSyntheticKey[] = "_row";
constexpr uint64_t kProgressEveryRows = 10000;

uint64_t Hash64(std::string_view digest) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(digest[i]);
  return v;
}

// Everything pass 2 needs to turn a row into an op.
struct Plan {
  v1::Schema schema;
  std::vector<int> column_of_field;  // field index -> header column (-1: absent)
  std::vector<int> key_fields;       // field indexes of the primary key
  bool keep_lexical = true;
  std::vector<v1::Op> setup_ops;     // CreateDataset / AddField
};

Result<Plan> MakePlan(Node& node, const PublishOptions& o, const std::string& file,
                      const std::vector<std::string>& header, const std::vector<std::string>& types,
                      PublishReport* report) {
  Plan plan;
  auto existing = node.Dataset(o.collection, o.dataset);
  if (existing.ok()) {
    plan.schema = existing->schema();
    if (!o.key_columns.empty() && !plan.schema.synthetic_key() &&
        std::vector<std::string>(plan.schema.primary_key().begin(), plan.schema.primary_key().end()) !=
            o.key_columns) {
      return Status::InvalidArgument(file + ": dataset \"" + o.dataset + "\" is keyed by its own primary key; --key cannot change it");
    }
    for (size_t c = 0; c < header.size(); ++c) {
      if (FindField(plan.schema, header[c]) || header[c].empty()) continue;
      v1::Op op;
      op.mutable_add_field()->set_dataset(o.dataset);
      op.mutable_add_field()->mutable_field()->set_name(header[c]);
      op.mutable_add_field()->mutable_field()->set_type(plan.schema.declared_types() ? "string" : types[c]);
      *plan.schema.add_fields() = op.add_field().field();
      plan.setup_ops.push_back(op);
      report->notes.push_back("new column \"" + header[c] + "\" added to the dataset");
    }
  } else if (!existing.status().IsNotFound()) {
    return existing.status();
  } else {
    if (o.schema || !o.schema_path.empty()) {
      if (o.schema) {
        plan.schema = *o.schema;
      } else {
        auto parsed = ReadTableSchemaFile(o.schema_path);
        if (!parsed.ok()) return parsed.status();
        plan.schema = std::move(parsed).value();
      }
      plan.schema.set_declared_types(!o.schema_inferred);
      if (!o.key_columns.empty()) {
        plan.schema.clear_primary_key();
        for (const auto& k : o.key_columns) plan.schema.add_primary_key(k);
      }
      KONGSI_RETURN_IF_ERROR(CheckHeaderMatchesSchema(plan.schema, header).WithContext(file));
      KONGSI_RETURN_IF_ERROR(CheckKeyColumns(o.key_columns, header).WithContext(file));
    } else {
      KONGSI_RETURN_IF_ERROR(CheckKeyColumns(o.key_columns, header).WithContext(file));
      auto s = SchemaFromHeader(header, types, o.key_columns);
      if (!s.ok()) return s.status().WithContext(file);
      plan.schema = std::move(s).value();
    }
    if (plan.schema.primary_key_size() == 0) {
      if (FindField(plan.schema, kSyntheticKey)) {
        return Status::InvalidArgument(file + ": no key given and the file already has a \"_row\" column; pass --key");
      }
      v1::Field row;
      row.set_name(kSyntheticKey);
      row.set_type("string");
      plan.schema.mutable_fields()->Add(std::move(row));
      std::rotate(plan.schema.mutable_fields()->rbegin(), plan.schema.mutable_fields()->rbegin() + 1,
                  plan.schema.mutable_fields()->rend());
      plan.schema.add_primary_key(kSyntheticKey);
      plan.schema.set_synthetic_key(true);
      report->notes.push_back(
          "the table declares no primary key: each row is keyed by a hash of its content (_row). "
          "Identical rows re-published change nothing; an edited row becomes a new row. "
          "Pass --key COLUMN to key rows by a column instead.");
    }
    v1::Op op;
    op.mutable_create_dataset()->set_name(o.dataset);
    *op.mutable_create_dataset()->mutable_schema() = plan.schema;
    plan.setup_ops.push_back(op);
    report->created_dataset = true;
  }
  report->synthetic_key = plan.schema.synthetic_key();
  plan.keep_lexical = !plan.schema.declared_types();
  for (const auto& f : plan.schema.fields()) {
    auto pos = std::find(header.begin(), header.end(), f.name());
    plan.column_of_field.push_back(pos == header.end() ? -1 : static_cast<int>(pos - header.begin()));
  }
  for (const auto& k : plan.schema.primary_key()) {
    int idx = 0;
    while (plan.schema.fields(idx).name() != k) ++idx;
    if (plan.column_of_field[idx] < 0 && !plan.schema.synthetic_key()) {
      return Status::InvalidArgument(file + ": key column \"" + k + "\" is not in the file's header");
    }
    plan.key_fields.push_back(idx);
  }
  return plan;
}

// The primary key of each row of pass 2, typed as the schema says; a keyless
// table's synthetic key is a hash of the row's content, "#n" for its n-th
// repeat. Memory: the set of row hashes, plus a count per repeated row.
class RowKeyer {
 public:
  RowKeyer(const Plan& plan, const std::string& path) : plan_(plan), path_(path) {}

  Status KeyOf(const std::vector<std::string>& row, uint64_t line,
               google::protobuf::RepeatedPtrField<v1::Value>* key) {
    key->Clear();
    const v1::Schema& schema = plan_.schema;
    for (int fi : plan_.key_fields) {
      const v1::Field& f = schema.fields(fi);
      int col = plan_.column_of_field[fi];
      if (schema.synthetic_key()) {
        std::string joined;
        for (const auto& cell : row) joined.append(cell).push_back('\x1f');
        std::string digest = sha256_.Digest(joined);
        uint32_t n = 1;
        if (!rows_seen_.Insert(Hash64(digest))) n = ++repeats_.try_emplace(Hash64(digest), 1).first->second;
        std::string text = HexId(digest.substr(0, 12));
        if (n > 1) text.append("#").append(std::to_string(n));
        key->Add()->set_string_value(std::move(text));
        continue;
      }
      auto v = ParseValue(row[col], f, schema, plan_.keep_lexical);
      if (!v.ok()) return v.status().WithContext(Where(line, col, f.name()));
      if (v->kind_case() == v1::Value::KIND_NOT_SET) {
        return Status::InvalidArgument(Where(line, col, f.name()) + ": key cell is empty");
      }
      *key->Add() = std::move(v).value();
    }
    return Status::Ok();
  }

  std::string Where(uint64_t line, int column, const std::string& field) const {
    return path_ + ": line " + std::to_string(line) + ", column " + std::to_string(column + 1) + " (\"" +
           field + "\")";
  }

 private:
  const Plan& plan_;
  const std::string& path_;
  KeyHashSet rows_seen_;
  std::unordered_map<uint64_t, uint32_t> repeats_;
  Sha256Hasher sha256_;
};

// The line of the first row before `line` whose encoded key is `encoded`, or
// 0 (two keys whose hashes collide). Reads the file again: only a duplicate
// key, an error, pays for it.
Result<uint64_t> FirstLineOfKey(const std::string& path, const CsvOptions& copts, const Plan& plan,
                                const std::string& encoded, uint64_t line) {
  auto r = CsvReader::Open(path, copts);
  if (!r.ok()) return r.status();
  std::vector<std::string> row;
  (void)(*r)->Next(&row);  // the header
  RowKeyer keyer(plan, path);
  google::protobuf::RepeatedPtrField<v1::Value> key;
  while (true) {
    auto more = (*r)->Next(&row);
    if (!more.ok()) return more.status();
    if (!*more || (*r)->line() >= line) return uint64_t{0};
    KONGSI_RETURN_IF_ERROR(keyer.KeyOf(row, (*r)->line(), &key));
    if (storage::EncodeKey(key) == encoded) return (*r)->line();
  }
}

// The current records of one dataset, looked up in the order of the file.
// One iterator, not a Get per row: a file in key order (most exports are)
// walks the records with Next, and a row whose record does not exist costs
// no search when the next record is already past it.
class RecordCursor {
 public:
  RecordCursor(const storage::Db& db, std::string_view prefix)
      : it_(db.NewScanIterator(storage::Family::kRecords, prefix)) {}

  // The state of record `rkey` in its stored form (node/record_codec.h),
  // or false in *found. Not expanded: the diff reads only cell values and
  // their visibility, and expanding was a third of a --recheck's parsing.
  Status Find(const std::string& rkey, v1::RecordState* state, bool* found) {
    constexpr int kMaxSteps = 8;  // then a Seek is cheaper
    if (!positioned_ || rkey < last_) {
      it_->Seek(rkey);
    } else {
      // The iterator is at the first record >= the previous key.
      for (int steps = 0; it_->Valid() && it_->key() < rkey; ++steps) {
        if (steps == kMaxSteps) {
          it_->Seek(rkey);
          break;
        }
        it_->Next();
      }
    }
    positioned_ = true;
    last_ = rkey;
    KONGSI_RETURN_IF_ERROR(it_->status());
    *found = it_->Valid() && it_->key() == rkey;
    if (!*found) return Status::Ok();
    if (!state->ParseFromArray(it_->value().data(), static_cast<int>(it_->value().size()))) {
      return Status::Corruption("record state does not decode");
    }
    // A record only invalid commits touched does not exist.
    *found = state->has_last_upsert() || state->has_last_delete();
    return Status::Ok();
  }

 private:
  std::unique_ptr<storage::Iterator> it_;
  bool positioned_ = false;
  std::string last_;
};

// Stages a chain of commits under one import id. The first commit is held
// in memory until a second one exists: a chain of one commit is applied
// directly (CommitApplier::ApplyOwn), which is atomic without staging.
// The open commit's ops are built in place on an arena (Begin, then Done or
// Abandon): freeing 2,500 ops one by one, and moving each into the commit,
// were ~5% of an import.
class ChainStager {
 public:
  ChainStager(Node& node, const std::string& coll, const std::string& note)
      : node_(node), coll_(coll), note_(note), base_(node.Version(coll)), batch_(node.db()) {
    std::string id(8, '\0');
    (void)RAND_bytes(reinterpret_cast<unsigned char*>(id.data()), 8);
    import_id_ = "import-" + HexId(id);
    Open();
  }
  const std::string& import_id() const { return import_id_; }
  uint64_t commits() const { return commits_; }
  // After Finish: the signed bytes of a chain of exactly one commit (then
  // nothing was staged), else empty.
  const std::string& single() const { return held_; }

  // A new op at the end of the open commit, for the caller to fill in: the
  // op a row abandoned is handed out again, cleared, with its upsert and key
  // values kept for reuse.
  v1::Op* Begin() {
    if (!abandoned_) return commit_->add_ops();
    abandoned_ = false;
    return commit_->mutable_ops(commit_->ops_size() - 1);
  }
  // Drops the op Begin gave (a row with nothing to change). It stays, empty,
  // for the next Begin: removing it left its upsert on the arena, so a
  // re-publish of 1M unchanged rows (--recheck) held ~170 MB of them.
  void Abandon() {
    commit_->mutable_ops(commit_->ops_size() - 1)->mutable_upsert()->Clear();
    abandoned_ = true;
  }
  // Keeps it; seals the commit when it is full.
  Status Done() {
    bytes_ += commit_->ops(commit_->ops_size() - 1).ByteSizeLong();
    if (static_cast<size_t>(commit_->ops_size()) >= kChainOpsPerCommit || bytes_ >= kChainBytesPerCommit) {
      return Seal();
    }
    return Status::Ok();
  }
  Status Add(const v1::Op& op) {
    *Begin() = op;
    return Done();
  }
  Status Finish() {
    if (abandoned_) commit_->mutable_ops()->RemoveLast();
    abandoned_ = false;
    if (commit_->ops_size() > 0) KONGSI_RETURN_IF_ERROR(Seal());
    if (commits_ == 0 || !held_.empty()) return Status::Ok();
    batch_.Put(storage::Family::kStaging, import_id_ + std::string(1, '\1'), "");
    return node_.db().Write(batch_, /*sync=*/true);
  }

 private:
  void Open() {
    arena_.emplace(LargeArenaBlocks());
    commit_ = google::protobuf::Arena::CreateMessage<v1::Commit>(&*arena_);
    bytes_ = 0;
  }

  Status Seal() {
    v1::SignedCommit sc = node_.SealCommit(coll_, base_, note_, commit_);
    Open();
    base_.Set(node_.identity().public_key(), base_.Get(node_.identity().public_key()) + 1);
    if (commits_++ == 0) {
      held_ = sc.SerializeAsString();
      return Status::Ok();
    }
    if (!held_.empty()) {
      Node::MarkStaging(&batch_, true);
      KONGSI_RETURN_IF_ERROR(Stage(0, held_));
      std::string().swap(held_);
    }
    return Stage(commits_ - 1, sc.SerializeAsString());
  }

  Status Stage(uint64_t n, const std::string& signed_bytes) {
    std::string key = import_id_ + std::string(1, '\0');
    storage::AppendU64(&key, n);
    batch_.Put(storage::Family::kStaging, key, signed_bytes);
    if (batch_.ByteSize() < (16u << 20)) return Status::Ok();
    auto s = node_.db().Write(batch_, /*sync=*/false);
    batch_.Clear();
    return s;
  }

  Node& node_;
  std::string coll_, note_, import_id_;
  VersionVector base_;
  std::optional<google::protobuf::Arena> arena_;  // holds commit_
  v1::Commit* commit_ = nullptr;  // the open commit
  size_t bytes_ = 0;
  bool abandoned_ = false;  // the open commit's last op is an abandoned one
  uint64_t commits_ = 0;
  std::string held_;  // the first commit, while it is the only one
  storage::WriteBatch batch_;
};

void NoteBlankRows(PublishReport* report) {
  if (report->blank_rows_skipped > 0) {
    report->notes.push_back(std::to_string(report->blank_rows_skipped) + " blank rows skipped");
  }
}

// Whether MakePlan needs the types pass 1 infers from every row: for a new
// dataset without a schema, and for columns an existing dataset lacks. A
// re-publish (the same columns) skips that whole read of the file.
Result<bool> NeedsTypes(const Node& node, const PublishOptions& o, const std::vector<std::string>& header) {
  auto existing = node.Dataset(o.collection, o.dataset);
  if (!existing.ok()) {
    if (!existing.status().IsNotFound()) return existing.status();
    return !o.schema && o.schema_path.empty();
  }
  for (const auto& column : header) {
    if (!column.empty() && !FindField(existing->schema(), column)) return true;
  }
  return false;
}

// The report of a publish that can be skipped (node/publish_mark.h), else
// nothing.
std::optional<PublishReport> Unchanged(const Node& node, const PublishOptions& o, const std::string& fingerprint) {
  if (o.recheck || fingerprint.empty()) return std::nullopt;
  auto mark = LastPublish(node.db(), o.collection, o.dataset);
  if (!mark || mark->fingerprint != fingerprint || mark->version != node.Version(o.collection)) {
    return std::nullopt;
  }
  PublishReport report;
  report.unchanged = true;
  report.rows_read = mark->rows_read;
  report.blank_rows_skipped = mark->blank_rows_skipped;
  report.version = mark->version;
  NoteBlankRows(&report);
  report.notes.push_back(
      "same file as the dataset's last publish, and no change to the collection since: nothing to "
      "compare (--recheck compares every row anyway)");
  return report;
}

}  // namespace

Result<PublishReport> Publish(Node& node, const std::string& path, const PublishOptions& o) {
  PublishReport report;
  auto local = node.LockLocalWrites();
  // A file that cannot be hashed cannot be read either: the reader below
  // names the problem.
  auto hashed = PublishFingerprint(path, o);
  const std::string fingerprint = hashed.ok() ? std::move(hashed).value() : std::string();
  if (auto unchanged = Unchanged(node, o, fingerprint)) return std::move(*unchanged);
  CsvOptions copts;
  copts.delimiter = o.delimiter;
  if (!o.encoding.empty()) copts.encoding = o.encoding;

  // Pass 1: structure and types, when there are types to infer.
  auto opened = CsvReader::Open(path, copts);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<CsvReader> reader = std::move(opened).value();
  std::vector<std::string> header, row;
  auto got = reader->Next(&header);
  if (!got.ok()) return got.status();
  if (!*got) return Status::InvalidArgument(path + ": file is empty");
  auto needs_types = NeedsTypes(node, o, header);
  if (!needs_types.ok()) return needs_types.status();
  std::vector<std::string> types;
  if (*needs_types) {
    TypeInferrer inferrer;
    uint64_t rows = 0;
    while (true) {
      auto more = reader->Next(&row);
      if (!more.ok()) return more.status();
      if (!*more) break;
      inferrer.Observe(row);
      if (o.progress && ++rows % kProgressEveryRows == 0) o.progress(rows, reader->bytes_read(), 1);
    }
    types = inferrer.Types();
    auto reopened = CsvReader::Open(path, copts);
    if (!reopened.ok()) return reopened.status();
    reader = std::move(reopened).value();
    (void)reader->Next(&header);
  }
  types.resize(header.size(), "string");
  auto plan = MakePlan(node, o, path, header, types, &report);
  if (!plan.ok()) return plan.status();

  // Pass 2: parse, check keys, diff against the current state, stage. A
  // dataset this publish creates has no records: nothing to look up.
  std::optional<RecordCursor> current;
  if (!report.created_dataset) current.emplace(node.db(), keys::RecordPrefix(o.collection, o.dataset));
  ChainStager stager(node, o.collection, o.message.empty() ? "publish " + o.dataset : o.message);
  auto fail = [&](const Status& s) -> Status {
    (void)node.DiscardStaged(stager.import_id());
    return s;
  };
  for (auto& op : plan->setup_ops) {
    ++report.ops;
    if (auto s = stager.Add(op); !s.ok()) return fail(s);
  }
  RowKeyer keyer(*plan, path);
  KeyHashSet keys_seen;
  Sha256Hasher sha256;
  const v1::Schema& schema = plan->schema;
  v1::RecordState prior;  // reused: parsing into it recycles its fields
  while (true) {
    auto more = reader->Next(&row);
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
    uint64_t line = reader->line();
    ++report.rows_read;
    if (o.progress && report.rows_read % kProgressEveryRows == 0) {
      o.progress(report.rows_read, reader->bytes_read(), 2);
    }
    v1::Upsert& up = *stager.Begin()->mutable_upsert();
    up.set_dataset(o.dataset);
    if (auto s = keyer.KeyOf(row, line, up.mutable_key()); !s.ok()) return fail(s);
    std::string enc = storage::EncodeKey(up.key());
    if (!keys_seen.Insert(Hash64(sha256.Digest(enc)))) {
      auto first = FirstLineOfKey(path, copts, *plan, enc, line);
      if (!first.ok()) return fail(first.status());
      if (*first != 0) {
        return fail(Status::InvalidArgument(path + ": line " + std::to_string(line) +
                                            ": duplicate key (same as line " + std::to_string(*first) + ")"));
      }
    }
    bool found = false;
    if (current) {
      if (auto s = current->Find(keys::Record(o.collection, o.dataset, enc), &prior, &found); !s.ok()) {
        return fail(s);
      }
    }
    const v1::RecordState* live = (found && IsLive(prior)) ? &prior : nullptr;
    for (int fi = 0; fi < schema.fields_size(); ++fi) {
      const v1::Field& f = schema.fields(fi);
      int col = plan->column_of_field[fi];
      if (col < 0 || IsKeyField(schema, f.name())) continue;
      auto v = ParseValue(row[col], f, schema, plan->keep_lexical);
      if (!v.ok()) return fail(v.status().WithContext(keyer.Where(line, col, f.name())));
      const v1::Value* now = &v1::Value::default_instance();
      if (live) {
        const v1::CellState* cell = FindCell(*live, f.name());
        if (cell && CellVisible(*live, *cell)) now = &cell->value();
      }
      bool is_null = v->kind_case() == v1::Value::KIND_NOT_SET && v->lexical().empty();
      if (SameValue(*now, *v) || (!live && is_null)) continue;
      auto* c = up.add_cells();
      c->set_field(f.name());
      *c->mutable_value() = std::move(v).value();
    }
    if (live && up.cells_size() == 0) {
      stager.Abandon();
      continue;
    }
    ++report.rows_changed;
    ++report.ops;
    if (auto s = stager.Done(); !s.ok()) return fail(s);
  }
  current.reset();  // its iterator would pin memtables through the apply
  report.blank_rows_skipped = reader->skipped_blank_rows();
  NoteBlankRows(&report);
  if (auto s = stager.Finish(); !s.ok()) return fail(s);
  if (!stager.single().empty()) {
    auto applied = CommitApplier::ApplyOwn(node, stager.single());
    if (!applied.ok()) return applied.status();
    report.commits = 1;
  } else if (stager.commits() > 0) {
    auto applied = node.ApplyStaged(stager.import_id());
    if (!applied.ok()) return applied.status();
    report.commits = applied->size();
  }
  report.version = node.Version(o.collection);
  if (!fingerprint.empty()) {
    // Without the mark the next publish of this file compares every row:
    // slower, not wrong, so a failed write does not fail the publish.
    (void)RecordPublish(node.db(), o.collection, o.dataset,
                        {fingerprint, report.version, report.rows_read, report.blank_rows_skipped});
  }
  return report;
}

}  // namespace kongsi::node
