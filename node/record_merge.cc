#include "node/record_merge.h"

#include <algorithm>

#include "node/proto_append.h"
#include "node/store_keys.h"

namespace kongsi::node {
namespace {

// Into a message the caller owns (a frontier's write, built in place).
void SetProvenance(const OpPoint& at, v1::Provenance* p) {
  p->set_author(at.author);
  p->set_seq(at.seq);
  p->set_hlc(at.hlc);
}

v1::Provenance ProvenanceOf(const OpPoint& at) {
  v1::Provenance p;
  SetProvenance(at, &p);
  return p;
}

// OpPoint::Precedes with one side a stored frontier write, read from its
// proto form: Supersede asks it of every frontier entry of every op, and
// building an OpPoint (a std::map of deps) per entry was most of applying a
// ring's concurrent ops.
// True when write `w` is in the causal past of `at`.
bool WritePrecedes(const v1::CellWrite& w, const OpPoint& at) {
  if (w.by().author() == at.author) return SameAuthorBefore(w.by().seq(), w.op_index(), at.seq, at.index);
  return at.deps.Get(w.by().author()) >= w.by().seq();
}

// True when `at` is in the causal past of write `w`.
bool PrecedesWrite(const OpPoint& at, const v1::CellWrite& w) {
  if (w.by().author() == at.author) return SameAuthorBefore(at.seq, at.index, w.by().seq(), w.op_index());
  // One entry per author of the collection: a scan, no order assumed.
  auto it = std::find_if(w.deps().begin(), w.deps().end(),
                         [&](const v1::VersionEntry& e) { return e.author() == at.author; });
  return it != w.deps().end() && it->seq() >= at.seq;
}

// Removes writes that `at` causally follows; returns false if `at` itself is
// in the causal past of a remaining write (it then joins no frontier).
bool Supersede(google::protobuf::RepeatedPtrField<v1::CellWrite>* frontier, const OpPoint& at) {
  bool dominated = false;
  auto* f = frontier;
  for (int i = f->size() - 1; i >= 0; --i) {
    if (WritePrecedes(f->Get(i), at)) {
      f->DeleteSubrange(i, 1);
    } else if (PrecedesWrite(at, f->Get(i))) {
      dominated = true;
    }
  }
  return !dominated;
}

// Adds the write of `at` (with `value`, if any) to `frontier`. Built in
// place: on the record's arena when it has one (an apply's records do), not
// on the heap and then copied across (that was ~7% of an import).
void InsertWrite(google::protobuf::RepeatedPtrField<v1::CellWrite>* frontier, const OpPoint& at,
                 const v1::Value* value) {
  v1::CellWrite* w = frontier->Add();
  if (value) *w->mutable_value() = *value;
  SetProvenance(at, w->mutable_by());
  at.deps.ToProto(w->mutable_deps());
  w->set_op_index(at.index);
  if (frontier->size() == 1) return;
  // Keep a canonical order (by stamp, then op index) so state bytes are a
  // pure function of the op set.
  std::sort(frontier->begin(), frontier->end(), [](const v1::CellWrite& a, const v1::CellWrite& b) {
    int c = CompareStamps(a.by(), b.by());
    if (c != 0) return c < 0;
    return a.op_index() < b.op_index();
  });
}

bool DeleteDominates(const v1::RecordState& record, const OpPoint& at) {
  for (const auto& d : record.delete_frontier()) {
    if (PrecedesWrite(at, d)) return true;
  }
  return false;
}

v1::CellState* FindOrAddCell(v1::RecordState* record, const std::string& field) {
  auto* cells = record->mutable_cells();
  auto it = std::lower_bound(cells->begin(), cells->end(), field,
                             [](const v1::CellState& c, const std::string& f) { return c.field() < f; });
  if (it != cells->end() && it->field() == field) return &*it;
  size_t pos = it - cells->begin();
  cells->Add()->set_field(field);
  for (size_t i = cells->size() - 1; i > pos; --i) cells->SwapElements(i, i - 1);
  return cells->Mutable(pos);
}

// Orders (stamp, op index): equal stamps only happen within one commit,
// where the later op wins.
int CompareOps(const v1::Provenance& a, uint32_t ai, const v1::Provenance& b, uint32_t bi) {
  int c = CompareStamps(a, b);
  if (c != 0) return c;
  return ai < bi ? -1 : ai > bi ? 1 : 0;
}

void RecomputeDeleted(v1::RecordState* record) {
  record->set_deleted(record->has_last_delete() &&
                      (!record->has_last_upsert() ||
                       CompareOps(record->last_delete(), record->last_delete_index(),
                                  record->last_upsert(), record->last_upsert_index()) > 0));
}

}  // namespace

int CompareStamps(const v1::Provenance& a, const v1::Provenance& b) {
  if (a.hlc() != b.hlc()) return a.hlc() < b.hlc() ? -1 : 1;
  return a.author().compare(b.author());
}

void ApplyUpsert(v1::RecordState* record, const v1::Upsert& op, const OpPoint& at) {
  v1::Provenance stamp = ProvenanceOf(at);
  // The key's text (its `lexical` forms) comes from the greatest-stamped
  // upsert, so it is the same on every node whatever the arrival order.
  if (!record->has_last_upsert() ||
      CompareOps(stamp, at.index, record->last_upsert(), record->last_upsert_index()) >= 0) {
    *record->mutable_last_upsert() = stamp;
    record->set_last_upsert_index(at.index);
    *record->mutable_key() = op.key();
  }
  bool under_delete = DeleteDominates(*record, at);
  for (const auto& cell : op.cells()) {
    v1::CellState* state = FindOrAddCell(record, cell.field());
    // `>=`: a later op of the same commit (same stamp) wins.
    if (!state->has_by() || CompareOps(stamp, at.index, state->by(), state->op_index()) >= 0) {
      *state->mutable_value() = cell.value();
      *state->mutable_by() = stamp;
      state->set_op_index(at.index);
    }
    if (Supersede(state->mutable_frontier(), at) && !under_delete) {
      InsertWrite(state->mutable_frontier(), at, &cell.value());
    }
  }
  RecomputeDeleted(record);
}

void ApplyDelete(v1::RecordState* record, const OpPoint& at) {
  v1::Provenance stamp = ProvenanceOf(at);
  if (!record->has_last_delete() ||
      CompareOps(stamp, at.index, record->last_delete(), record->last_delete_index()) >= 0) {
    *record->mutable_last_delete() = stamp;
    record->set_last_delete_index(at.index);
  }
  for (auto& cell : *record->mutable_cells()) (void)Supersede(cell.mutable_frontier(), at);
  if (Supersede(record->mutable_delete_frontier(), at)) {
    InsertWrite(record->mutable_delete_frontier(), at, nullptr);
  }
  RecomputeDeleted(record);
}

void ApplyDelete(v1::RecordState* record, const v1::Delete& op, const OpPoint& at) {
  if (!record->has_last_upsert() &&
      (!record->has_last_delete() ||
       CompareOps(ProvenanceOf(at), at.index, record->last_delete(), record->last_delete_index()) >= 0)) {
    *record->mutable_key() = op.key();
  }
  ApplyDelete(record, at);
}

Result<v1::RecordState> ReplayRecord(const storage::Db& db, const storage::Snapshot* snapshot,
                                     std::string_view record_key, const DepsLookup& deps_of) {
  v1::RecordState state;
  auto it = db.NewPrefixIterator(storage::Family::kRecordOps, keys::RecordOpsPrefix(record_key), snapshot);
  for (; it->Valid(); it->Next()) {
    v1::RecordOp rop;
    KONGSI_RETURN_IF_ERROR(ParseRecordOp(it->key(), it->value(), &rop));
    auto deps = deps_of(rop.by());
    if (!deps.ok()) return deps.status();
    if (!deps->has_value()) continue;
    OpPoint at{rop.by().author(), rop.by().seq(), rop.op_index(), **deps, rop.by().hlc()};
    if (rop.op().has_upsert()) {
      ApplyUpsert(&state, rop.op().upsert(), at);
    } else if (rop.op().has_delete_()) {
      ApplyDelete(&state, rop.op().delete_(), at);
    }
  }
  KONGSI_RETURN_IF_ERROR(it->status());
  return state;
}

Status ParseRecordOp(std::string_view key, std::string_view value, v1::RecordOp* out) {
  std::string author;
  uint64_t seq = 0, index = 0;
  if (!keys::ParseRecordOpSuffix(key, &author, &seq, &index) ||
      !out->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return Status::Corruption("record op does not decode");
  }
  // The key's parts win over a value written before the value left them out.
  out->mutable_by()->set_author(std::move(author));
  out->mutable_by()->set_seq(seq);
  out->set_op_index(static_cast<uint32_t>(index));
  return Status::Ok();
}

std::string_view SerializeRecordOp(const v1::RecordOp& head, const v1::Op& op, std::string* out) {
  out->clear();
  head.AppendToString(out);
  const size_t size = op.ByteSizeLong();
  AppendLengthDelimitedHeader(v1::RecordOp::kOpFieldNumber, size, out);
  // With the sizes ByteSizeLong cached: AppendToString would compute them
  // all again, once per row.
  const size_t at = out->size();
  out->resize(at + size);
  op.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out->data() + at));
  return *out;
}

bool IsLive(const v1::RecordState& record) {
  return record.has_last_upsert() && !record.deleted();
}

const v1::CellState* FindCell(const v1::RecordState& record, const std::string& field) {
  auto it = std::lower_bound(record.cells().begin(), record.cells().end(), field,
                             [](const v1::CellState& c, const std::string& f) { return c.field() < f; });
  return (it != record.cells().end() && it->field() == field) ? &*it : nullptr;
}

bool CellVisible(const v1::RecordState& record, const v1::CellState& cell) {
  if (!record.has_last_delete()) return true;
  if (cell.from_last_upsert()) {
    return CompareOps(record.last_upsert(), record.last_upsert_index(), record.last_delete(),
                      record.last_delete_index()) > 0;
  }
  return CompareOps(cell.by(), cell.op_index(), record.last_delete(), record.last_delete_index()) > 0;
}

CellView ViewCell(const v1::RecordState& record, const v1::CellState& cell) {
  CellView view;
  view.cell = &cell;
  view.visible = CellVisible(record, cell);
  if (!view.visible) return view;
  std::string winner = cell.value().SerializeAsString();
  for (const auto& w : cell.frontier()) {
    if (w.by().author() == cell.by().author() && w.by().seq() == cell.by().seq()) continue;
    if (record.has_last_delete() &&
        CompareOps(w.by(), w.op_index(), record.last_delete(), record.last_delete_index()) <= 0) {
      continue;
    }
    if (w.value().SerializeAsString() == winner) continue;
    view.conflicts.push_back(&w);
  }
  return view;
}

}  // namespace kongsi::node
