#include "node/record_codec.h"

#include <algorithm>
#include <vector>

#include "node/value_text.h"

namespace kongsi::node {
namespace {

// Marks the records family as holding only the stored form (its value is the
// form's number; the full form was 1).
constexpr std::string_view kRecordFormatKey = "record_format";
constexpr std::string_view kStoredForm = "2";
// Migration batches: bounded memory for a database of any size.
constexpr size_t kMigrationBatchBytes = 16u << 20;

bool SameProvenance(const v1::Provenance& a, const v1::Provenance& b) {
  return a.seq() == b.seq() && a.hlc() == b.hlc() && a.author() == b.author();
}

bool SameDeps(const google::protobuf::RepeatedPtrField<v1::VersionEntry>& a,
              const google::protobuf::RepeatedPtrField<v1::VersionEntry>& b) {
  if (a.size() != b.size()) return false;
  for (int i = 0; i < a.size(); ++i) {
    if (a[i].seq() != b[i].seq() || a[i].author() != b[i].author()) return false;
  }
  return true;
}

// True when `cell` is exactly what Decode rebuilds from a from_last_upsert
// mark: the winner is the last upsert and the frontier is that write alone.
bool WrittenByLastUpsertOnly(const v1::RecordState& record, const v1::CellState& cell) {
  if (!cell.has_by() || !cell.has_value() || cell.frontier_size() != 1) return false;
  if (cell.op_index() != record.last_upsert_index() ||
      !SameProvenance(cell.by(), record.last_upsert())) {
    return false;
  }
  const v1::CellWrite& w = cell.frontier(0);
  return w.op_index() == cell.op_index() && w.has_by() && SameProvenance(w.by(), cell.by()) &&
         w.has_value() && SameValue(w.value(), cell.value());
}

}  // namespace

void EncodeRecordState(v1::RecordState* state, std::string* out) {
  state->clear_last_upsert_deps();
  if (state->has_last_upsert()) {
    bool have_deps = false;
    for (v1::CellState& cell : *state->mutable_cells()) {
      if (!WrittenByLastUpsertOnly(*state, cell)) continue;
      v1::CellWrite* w = cell.mutable_frontier(0);
      if (!have_deps) {
        state->mutable_last_upsert_deps()->Swap(w->mutable_deps());
        have_deps = true;
      } else if (!SameDeps(w->deps(), state->last_upsert_deps())) {
        continue;  // one op has one commit's deps; kept in full if not
      }
      cell.clear_by();
      cell.clear_op_index();
      cell.clear_frontier();
      cell.set_from_last_upsert(true);
    }
  }
  out->clear();
  state->AppendToString(out);
}

bool EncodeFirstUpsert(const v1::Upsert& op, const OpPoint& at, v1::RecordState* state) {
  // Cells in field order, as ApplyUpsert keeps them.
  std::vector<const v1::Cell*> cells;
  cells.reserve(op.cells_size());
  for (const v1::Cell& cell : op.cells()) cells.push_back(&cell);
  std::sort(cells.begin(), cells.end(),
            [](const v1::Cell* a, const v1::Cell* b) { return a->field() < b->field(); });
  for (size_t i = 1; i < cells.size(); ++i) {
    // A field twice leaves two frontier writes, which the encoder keeps in full.
    if (cells[i - 1]->field() == cells[i]->field()) return false;
  }
  v1::Provenance* by = state->mutable_last_upsert();
  by->set_author(at.author);
  by->set_seq(at.seq);
  by->set_hlc(at.hlc);
  state->set_last_upsert_index(at.index);
  *state->mutable_key() = op.key();
  // The encoder moves the deps up from the first compacted cell; no cell, no deps.
  if (!cells.empty()) at.deps.ToProto(state->mutable_last_upsert_deps());
  state->mutable_cells()->Reserve(static_cast<int>(cells.size()));
  for (const v1::Cell* cell : cells) {
    v1::CellState* c = state->add_cells();
    c->set_field(cell->field());
    *c->mutable_value() = cell->value();
    c->set_from_last_upsert(true);
  }
  return true;
}

Status ExpandStoredForm(v1::RecordState* state) {
  for (v1::CellState& cell : *state->mutable_cells()) {
    if (!cell.from_last_upsert()) continue;
    if (!state->has_last_upsert()) {
      return Status::Corruption("record state: cell \"" + cell.field() +
                                "\" refers to the last upsert, which the record lacks");
    }
    cell.set_from_last_upsert(false);
    *cell.mutable_by() = state->last_upsert();
    cell.set_op_index(state->last_upsert_index());
    v1::CellWrite* w = cell.add_frontier();
    *w->mutable_value() = cell.value();
    *w->mutable_by() = state->last_upsert();
    *w->mutable_deps() = state->last_upsert_deps();
    w->set_op_index(state->last_upsert_index());
  }
  state->clear_last_upsert_deps();
  return Status::Ok();
}

Status DecodeRecordState(std::string_view bytes, v1::RecordState* state) {
  if (!state->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("record state does not decode");
  }
  return ExpandStoredForm(state);
}

Status MigrateRecordsToStoredForm(storage::Db& db) {
  std::string format;
  Status got = db.Get(storage::Family::kMeta, kRecordFormatKey, &format);
  if (got.ok() && format == kStoredForm) return Status::Ok();
  if (!got.ok() && !got.IsNotFound()) return got;
  if (got.ok()) {
    return Status::FailedPrecondition(
        "records are in form " + format + ", which this build does not know (" +
        std::string(kStoredForm) + "): a newer Kongsi wrote this data dir");
  }
  storage::WriteBatch batch(db);
  v1::RecordState state;
  std::string bytes;
  auto it = db.NewScanIterator(storage::Family::kRecords, "");
  for (; it->Valid(); it->Next()) {
    KONGSI_RETURN_IF_ERROR(DecodeRecordState(it->value(), &state));
    EncodeRecordState(&state, &bytes);
    if (bytes != it->value()) batch.Put(storage::Family::kRecords, it->key(), bytes);
    if (batch.ByteSize() >= kMigrationBatchBytes) {
      KONGSI_RETURN_IF_ERROR(db.Write(batch, /*sync=*/false));
      batch.Clear();
    }
  }
  KONGSI_RETURN_IF_ERROR(it->status());
  batch.Put(storage::Family::kMeta, kRecordFormatKey, kStoredForm);
  return db.Write(batch, /*sync=*/true);
}

}  // namespace kongsi::node
