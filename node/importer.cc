#include "node/importer.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <unordered_map>

#include "node/csv_reader.h"
#include "node/op_validation.h"
#include "node/reader.h"
#include "node/record_merge.h"
#include "node/table_schema.h"
#include "node/value_text.h"
#include "storage/key_codec.h"

namespace kongsi::node {
namespace {

constexpr char kSyntheticKey[] = "_row";
constexpr uint64_t kProgressEveryRows = 10000;

std::string Sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

uint64_t Hash64(std::string_view data) {
  std::string h = Sha256(data);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(h[i]);
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

// Stages a chain of commits under one import id.
class ChainStager {
 public:
  ChainStager(Node& node, const std::string& coll, const std::string& note)
      : node_(node), coll_(coll), note_(note), base_(node.Version(coll)), batch_(node.db()) {
    std::string id(8, '\0');
    (void)RAND_bytes(reinterpret_cast<unsigned char*>(id.data()), 8);
    import_id_ = "import-" + HexId(id);
  }
  const std::string& import_id() const { return import_id_; }
  uint64_t commits() const { return commits_; }

  Status Add(v1::Op op) {
    bytes_ += op.ByteSizeLong();
    ops_.push_back(std::move(op));
    if (ops_.size() >= kChainOpsPerCommit || bytes_ >= kChainBytesPerCommit) return Seal();
    return Status::Ok();
  }
  Status Finish() {
    if (!ops_.empty()) KONGSI_RETURN_IF_ERROR(Seal());
    if (commits_ == 0) return Status::Ok();
    batch_.Put(storage::Family::kStaging, import_id_ + std::string(1, '\1'), "");
    return node_.db().Write(batch_, /*sync=*/true);
  }

 private:
  Status Seal() {
    v1::SignedCommit sc = node_.BuildCommit(coll_, base_, std::move(ops_), note_);
    ops_.clear();
    bytes_ = 0;
    base_.Set(node_.identity().public_key(), base_.Get(node_.identity().public_key()) + 1);
    std::string key = import_id_ + std::string(1, '\0');
    storage::AppendU64(&key, commits_++);
    batch_.Put(storage::Family::kStaging, key, sc.SerializeAsString());
    if (batch_.ByteSize() < (16u << 20)) return Status::Ok();
    auto s = node_.db().Write(batch_, /*sync=*/false);
    batch_.Clear();
    return s;
  }

  Node& node_;
  std::string coll_, note_, import_id_;
  VersionVector base_;
  std::vector<v1::Op> ops_;
  size_t bytes_ = 0;
  uint64_t commits_ = 0;
  storage::WriteBatch batch_;
};

}  // namespace

Result<PublishReport> Publish(Node& node, const std::string& path, const PublishOptions& o) {
  PublishReport report;
  auto local = node.LockLocalWrites();
  CsvOptions copts;
  copts.delimiter = o.delimiter;
  if (!o.encoding.empty()) copts.encoding = o.encoding;

  // Pass 1: structure and types.
  auto r1 = CsvReader::Open(path, copts);
  if (!r1.ok()) return r1.status();
  std::vector<std::string> header, row;
  auto got = (*r1)->Next(&header);
  if (!got.ok()) return got.status();
  if (!*got) return Status::InvalidArgument(path + ": file is empty");
  TypeInferrer inferrer;
  uint64_t rows = 0;
  while (true) {
    auto more = (*r1)->Next(&row);
    if (!more.ok()) return more.status();
    if (!*more) break;
    inferrer.Observe(row);
    if (o.progress && ++rows % kProgressEveryRows == 0) o.progress(rows, (*r1)->bytes_read(), 1);
  }
  std::vector<std::string> types = inferrer.Types();
  types.resize(header.size(), "string");
  auto plan = MakePlan(node, o, path, header, types, &report);
  if (!plan.ok()) return plan.status();

  // Pass 2: parse, check keys, diff against the current state, stage.
  Reader current(node, o.collection);
  ChainStager stager(node, o.collection, o.message.empty() ? "publish " + o.dataset : o.message);
  auto fail = [&](const Status& s) -> Status {
    (void)node.DiscardStaged(stager.import_id());
    return s;
  };
  for (auto& op : plan->setup_ops) {
    ++report.ops;
    if (auto s = stager.Add(op); !s.ok()) return fail(s);
  }
  auto r2 = CsvReader::Open(path, copts);
  if (!r2.ok()) return r2.status();
  (void)(*r2)->Next(&header);
  std::unordered_map<uint64_t, uint64_t> first_line_of_key;
  std::unordered_map<uint64_t, uint32_t> synthetic_seen;
  const v1::Schema& schema = plan->schema;
  while (true) {
    auto more = (*r2)->Next(&row);
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
    uint64_t line = (*r2)->line();
    ++report.rows_read;
    auto where = [&](int column, const std::string& field) {
      return path + ": line " + std::to_string(line) + ", column " + std::to_string(column + 1) +
             " (\"" + field + "\")";
    };
    v1::Upsert up;
    up.set_dataset(o.dataset);
    for (int fi : plan->key_fields) {
      const v1::Field& f = schema.fields(fi);
      int col = plan->column_of_field[fi];
      if (schema.synthetic_key()) {
        std::string joined;
        for (const auto& cell : row) joined.append(cell).push_back('\x1f');
        uint64_t h = Hash64(joined);
        uint32_t n = ++synthetic_seen[h];
        up.add_key()->set_string_value(HexId(Sha256(joined).substr(0, 12)) + (n > 1 ? "#" + std::to_string(n) : ""));
        continue;
      }
      auto v = ParseValue(row[col], f, schema, plan->keep_lexical);
      if (!v.ok()) return fail(v.status().WithContext(where(col, f.name())));
      if (v->kind_case() == v1::Value::KIND_NOT_SET) {
        return fail(Status::InvalidArgument(where(col, f.name()) + ": key cell is empty"));
      }
      *up.add_key() = std::move(v).value();
    }
    std::string enc = storage::EncodeKey(up.key());
    auto [pos, fresh] = first_line_of_key.emplace(Hash64(enc), line);
    if (!fresh) {
      return fail(Status::InvalidArgument(path + ": line " + std::to_string(line) +
                                          ": duplicate key (same as line " + std::to_string(pos->second) + ")"));
    }
    auto prior = current.GetRecord(o.dataset, up.key(), nullptr);
    if (!prior.ok()) return fail(prior.status());
    const v1::RecordState* live = (prior->has_value() && IsLive(**prior)) ? &**prior : nullptr;
    for (int fi = 0; fi < schema.fields_size(); ++fi) {
      const v1::Field& f = schema.fields(fi);
      int col = plan->column_of_field[fi];
      if (col < 0 || IsKeyField(schema, f.name())) continue;
      auto v = ParseValue(row[col], f, schema, plan->keep_lexical);
      if (!v.ok()) return fail(v.status().WithContext(where(col, f.name())));
      v1::Value now;
      if (live) {
        const v1::CellState* cell = FindCell(*live, f.name());
        if (cell && ViewCell(*live, *cell).visible) now = cell->value();
      }
      bool is_null = v->kind_case() == v1::Value::KIND_NOT_SET && v->lexical().empty();
      if (SameValue(now, *v) || (!live && is_null)) continue;
      auto* c = up.add_cells();
      c->set_field(f.name());
      *c->mutable_value() = std::move(v).value();
    }
    if (live && up.cells_size() == 0) continue;
    ++report.rows_changed;
    ++report.ops;
    v1::Op op;
    *op.mutable_upsert() = std::move(up);
    if (auto s = stager.Add(std::move(op)); !s.ok()) return fail(s);
    if (o.progress && report.rows_read % kProgressEveryRows == 0) {
      o.progress(report.rows_read, (*r2)->bytes_read(), 2);
    }
  }
  report.blank_rows_skipped = (*r2)->skipped_blank_rows();
  if (report.blank_rows_skipped > 0) {
    report.notes.push_back(std::to_string(report.blank_rows_skipped) + " blank rows skipped");
  }
  if (auto s = stager.Finish(); !s.ok()) return fail(s);
  if (stager.commits() > 0) {
    auto applied = node.ApplyStaged(stager.import_id());
    if (!applied.ok()) return applied.status();
    report.commits = applied->size();
  }
  report.version = node.Version(o.collection);
  return report;
}

}  // namespace kongsi::node
