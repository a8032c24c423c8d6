// The merge of one record (DESIGN §4, normative), as pure functions on a
// RecordState. Applying the same set of ops in any order gives the same
// state, provided ops of one commit are applied in their commit order:
//  - the value of a cell is that of its greatest-stamped Upsert; it is
//    visible only when that stamp is greater than the record's latest Delete;
//  - a record is deleted iff its greatest Delete stamp beats its greatest
//    Upsert stamp;
//  - each cell keeps its "frontier": the writes to it that no other write to
//    it (or Delete of the record) causally follows. Frontier writes that lose
//    to the winner with a different value are the cell's conflicts.
// A stamp is (hlc, author), compared lexicographically.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kongsi/v1/state.pb.h"
#include "node/acl.h"
#include "storage/db.h"

namespace kongsi::node {

// <0, 0, >0 as stamp a is less than, equal to, greater than stamp b.
int CompareStamps(const v1::Provenance& a, const v1::Provenance& b);

void ApplyUpsert(v1::RecordState* record, const v1::Upsert& op, const OpPoint& at);
void ApplyDelete(v1::RecordState* record, const OpPoint& at);
// The same, also taking the key (and its lexical text) from the greatest
// Delete while the record has no Upsert.
void ApplyDelete(v1::RecordState* record, const v1::Delete& op, const OpPoint& at);

// Replays the kept ops of record `record_key` (the record_ops family, see
// store_keys.h) onto an empty state. `deps_of` gives the deps of an op's
// commit, or nullopt to leave the op out (an invalid commit, or one outside
// an as-of version). Recomputation and as-of reads both go through here.
using DepsLookup = std::function<Result<std::optional<VersionVector>>(const v1::Provenance& by)>;
Result<v1::RecordState> ReplayRecord(const storage::Db& db, const storage::Snapshot* snapshot,
                                     std::string_view record_key, const DepsLookup& deps_of);

// The bytes of RecordOp{by, op_index, op}, given the first two in `head`,
// written to *out. `op` is RecordOp's last field, so appending its bytes
// under field 3 gives exactly what copying the op into `head` and
// serializing would, without copying an op per row. The applier's `head`
// holds only the hlc: the author, seq and op index are in the entry's key.
std::string_view SerializeRecordOp(const v1::RecordOp& head, const v1::Op& op, std::string* out);
// Reads a record_ops entry: the value, with the author, seq and op index
// taken from its key (store_keys.h). Values written before they were left
// out of the value read the same.
Status ParseRecordOp(std::string_view key, std::string_view value, v1::RecordOp* out);

// What a reader sees of one cell.
struct CellView {
  const v1::CellState* cell = nullptr;
  bool visible = false;  // false: null because of a newer Delete
  std::vector<const v1::CellWrite*> conflicts;  // losing concurrent values
};

bool IsLive(const v1::RecordState& record);  // upserted and not deleted
CellView ViewCell(const v1::RecordState& record, const v1::CellState& cell);
// ViewCell(...).visible without looking for conflicts (cheap: an import
// diffing every row needs only this). Takes the stored form too
// (node/record_codec.h), where a from_last_upsert cell is the last upsert's.
bool CellVisible(const v1::RecordState& record, const v1::CellState& cell);
const v1::CellState* FindCell(const v1::RecordState& record, const std::string& field);

}  // namespace kongsi::node
