// Header fields of a stored commit (deps, hlc), read without decoding its ops.
//
// Judging a commit's validity (DESIGN §6) needs only its deps, and every
// Reader judges the dataset creator's commit — often a 10,000-op import
// commit. Decoding all of it cost most of a one-row publish; opening a node
// likewise decoded each author's latest commit for its stamp. These walk the
// wire format and skip every field but the one asked for.
#pragma once

#include "kongsi/v1/state.pb.h"
#include "node/version_vector.h"
#include "storage/status.h"

namespace kongsi::node {

// Corruption when the stored bytes are not a SignedCommit holding a Commit.
Result<VersionVector> StoredCommitDeps(const v1::StoredCommit& stored);
// The commit's `hlc`; Corruption as above.
Result<uint64_t> StoredCommitHlc(const v1::StoredCommit& stored);

}  // namespace kongsi::node
