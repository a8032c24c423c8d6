// How a RecordState is kept in the records family. Most cells of most
// records were last written by the record's last upsert and have that one
// write as their whole frontier (every row of a fresh import, every cell an
// update rewrote). Stored in full, such a cell repeats its value, the op's
// provenance twice (two 32-byte authors) and the commit's deps, per cell:
// most of why a commit's WriteBatch was ~8x its signed bytes. The stored
// form keeps the provenance and deps once per record and marks those cells
// `from_last_upsert`.
//
// The stored form is a pure function of the state (DESIGN §4: the digest
// hashes the stored bytes, so every node must store the same bytes for the
// same state); Decode(Encode(s)) == s, field for field. Readers and the merge
// only ever see the full form.
#pragma once

#include <string>
#include <string_view>

#include "kongsi/v1/commit.pb.h"
#include "kongsi/v1/state.pb.h"
#include "node/acl.h"
#include "storage/db.h"

namespace kongsi::node {

// Rewrites `state` into its stored form (in place: callers encode a state
// they are about to drop) and returns its bytes in *out.
void EncodeRecordState(v1::RecordState* state, std::string* out);

// Sets the empty `state` to the stored form of the record that upsert `op`
// (at `at`) creates: what ApplyUpsert on an empty state followed by
// EncodeRecordState leaves, built without the full form's per-cell
// provenance, frontier and deps copies (most of applying a fresh import or
// an initial sync). False, `state` untouched, for an op whose result the
// encoder would not fully compact (a field twice): that takes ApplyUpsert.
bool EncodeFirstUpsert(const v1::Upsert& op, const OpPoint& at, v1::RecordState* state);

// The full form of a state held in the stored form, in place.
Status ExpandStoredForm(v1::RecordState* state);

// Parses stored bytes into the full form. Either form decodes, so records
// written before the compact form existed read the same.
Status DecodeRecordState(std::string_view bytes, v1::RecordState* state);

// Rewrites every record an older build stored in full into the stored form,
// once (a marker in the meta family records that it ran). Needed for the
// digest: a node that upgraded must hash the same bytes as one that synced
// the same commits afresh. Idempotent, so a crash halfway is harmless.
Status MigrateRecordsToStoredForm(storage::Db& db);

}  // namespace kongsi::node
