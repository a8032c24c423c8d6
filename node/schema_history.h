// Dataset schemas as a pure function of the set of commits (DESIGN §4).
//
// A dataset's schema is not "whatever arrived first": every CreateDataset and
// AddField of a dataset name is kept, with its op point, in
// DatasetInfo.schema_ops (sorted by stamp), and the schema seen from an op
// point P is a fold over the ops in P's causal past (OpPoint::Precedes, the
// convention the ACL uses):
//  - among the CreateDatasets, the one with the greatest stamp (hlc, author,
//    then seq, op index) gives the base fields and the primary key;
//  - then the AddFields, by stamp, are appended, skipping a field whose name
//    is already there (the first by stamp wins).
// The current schema (DatasetInfo.schema: what readers and exporters use) is
// the same fold over every op, so two nodes holding the same commits hold the
// same schema whatever order the commits came in.
//
// Validity depends on the causal past only, never on arrival order:
//  - a CreateDataset is valid iff no CreateDataset of its name is in its
//    past (re-creating a dataset one has seen is an error); concurrent ones
//    are all valid, and the fold picks one;
//  - an AddField is valid iff the dataset exists in its past and the field's
//    name is new there (concurrent same-name AddFields are all valid);
//  - an Upsert or Delete is checked against the schema at its commit's deps
//    plus the earlier ops of its commit.
//
// What that costs, kept simple on purpose:
//  - when concurrent CreateDatasets disagree on the primary key, the winner's
//    key applies from then on, but records keep their keys as written (a
//    record's key is its encoded key values): records written under the
//    losing key stay addressable only through the losing key fields;
//  - cells written to a field only a losing CreateDataset declared are kept
//    in the record but not in the schema, so schema-driven exports skip them;
//  - concurrent AddFields can take a schema past kMaxFieldsPerDataset: the
//    limit bounds what one author adds, not the merge.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "kongsi/v1/commit.pb.h"
#include "kongsi/v1/state.pb.h"
#include "node/acl.h"
#include "storage/status.h"

namespace kongsi::node {

// Which schema ops a fold counts; an empty filter counts them all.
using SchemaOpFilter = std::function<bool(const v1::SchemaOp&)>;

// The fold over the ops of `info` that `counts` admits; nullopt when none of
// them is a CreateDataset (the dataset does not exist there). `created_by`,
// when not null, gets the winning CreateDataset's provenance.
std::optional<v1::Schema> FoldSchema(const v1::DatasetInfo& info, const SchemaOpFilter& counts = {},
                                     v1::Provenance* created_by = nullptr);

// The schema seen from `at`: the fold over the ops in its causal past.
std::optional<v1::Schema> SchemaAt(const v1::DatasetInfo& info, const OpPoint& at);

// Sets info.schema and info.created_by to the fold over the ops `counts`
// admits (all when empty).
void RefoldSchema(v1::DatasetInfo* info, const SchemaOpFilter& counts = {});

// Adds `op` (a CreateDataset or AddField, not checked here) at `at` to the
// history of `info` in stamp order, then refolds the current schema.
void RecordSchemaOp(v1::DatasetInfo* info, const v1::Op& op, const OpPoint& at);

// A DatasetInfo stored before schema histories existed has a schema but no
// ops: gives it one CreateDataset of that schema at `created_by`, so the
// dataset exists for every op that has seen its creating commit.
void UpgradeLegacyDatasetInfo(v1::DatasetInfo* info);

// The datasets of a collection as one commit's ops see them, for the receive
// pipeline: admits the commit's schema ops into the histories and gives the
// schema its data ops are checked against. The schema at the commit's deps
// is folded once per dataset and reused until a schema op of the same commit
// changes it. One instance per commit, used in op order; `datasets` must
// outlive it.
class CommitSchemas {
 public:
  explicit CommitSchemas(std::map<std::string, v1::DatasetInfo>* datasets) : datasets_(datasets) {}

  // Checks a CreateDataset or AddField at `at` (rules above) and records it;
  // on error nothing changes.
  Status Admit(const v1::Op& op, const OpPoint& at);
  // The schema of `dataset` seen from `at`, or NotFound when it does not
  // exist there. The pointer is valid until the next Admit.
  Result<const v1::Schema*> SchemaFor(const std::string& dataset, const OpPoint& at);

 private:
  std::map<std::string, v1::DatasetInfo>* datasets_;
  std::map<std::string, v1::Schema> seen_;  // dataset -> schema at this commit
};

}  // namespace kongsi::node
