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

#include "kongsi/v1/state.pb.h"
#include "storage/db.h"

namespace kongsi::node {

// Rewrites `state` into its stored form (in place: callers encode a state
// they are about to drop) and returns its bytes in *out.
void EncodeRecordState(v1::RecordState* state, std::string* out);

// Parses stored bytes into the full form. Either form decodes, so records
// written before the compact form existed read the same.
Status DecodeRecordState(std::string_view bytes, v1::RecordState* state);

// Rewrites every record an older build stored in full into the stored form,
// once (a marker in the meta family records that it ran). Needed for the
// digest: a node that upgraded must hash the same bytes as one that synced
// the same commits afresh. Idempotent, so a crash halfway is harmless.
Status MigrateRecordsToStoredForm(storage::Db& db);

}  // namespace kongsi::node
