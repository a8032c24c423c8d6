// OpenSignedCommit (node/identity.h) into a Commit the caller provides, so
// that the receive pipeline can decode on a protobuf arena: a 10,000-op
// commit is ~300,000 small objects, which an arena frees at once instead of
// one by one (malloc/free were a large part of an initial sync's time).
#pragma once

#include "kongsi/v1/commit.pb.h"
#include "storage/status.h"

namespace kongsi::node {

// The same checks and errors as OpenSignedCommit; `*out` is overwritten
// (partly, on error).
Status OpenSignedCommitInto(const v1::SignedCommit& signed_commit, v1::Commit* out);

}  // namespace kongsi::node
