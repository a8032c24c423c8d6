#include "node/schema_history.h"

#include <set>

#include "node/op_validation.h"
#include "node/record_merge.h"

namespace kongsi::node {
namespace {

// Stamp order of schema ops: (hlc, author), then seq and op index, so that
// ops of one commit (equal stamps) are ordered too and the order is total.
bool StampLess(const v1::SchemaOp& a, const v1::SchemaOp& b) {
  if (int c = CompareStamps(a.by(), b.by()); c != 0) return c < 0;
  if (a.by().seq() != b.by().seq()) return a.by().seq() < b.by().seq();
  return a.op_index() < b.op_index();
}

bool InPastOf(const v1::SchemaOp& op, const OpPoint& at) {
  OpPoint p;
  p.author = op.by().author();
  p.seq = op.by().seq();
  p.index = op.op_index();
  return p.Precedes(at);
}

}  // namespace

std::optional<v1::Schema> FoldSchema(const v1::DatasetInfo& info, const SchemaOpFilter& counts,
                                     v1::Provenance* created_by) {
  // schema_ops is sorted by stamp: the last counted create is the greatest.
  const v1::SchemaOp* base = nullptr;
  for (const auto& op : info.schema_ops()) {
    if (op.has_create() && (!counts || counts(op))) base = &op;
  }
  if (!base) return std::nullopt;
  v1::Schema schema = base->create();
  std::set<std::string> names;
  for (const auto& f : schema.fields()) names.insert(f.name());
  for (const auto& op : info.schema_ops()) {
    if (!op.has_add_field() || (counts && !counts(op))) continue;
    if (names.insert(op.add_field().name()).second) *schema.add_fields() = op.add_field();
  }
  if (created_by) *created_by = base->by();
  return schema;
}

std::optional<v1::Schema> SchemaAt(const v1::DatasetInfo& info, const OpPoint& at) {
  return FoldSchema(info, [&](const v1::SchemaOp& op) { return InPastOf(op, at); });
}

void RefoldSchema(v1::DatasetInfo* info, const SchemaOpFilter& counts) {
  v1::Provenance by;
  std::optional<v1::Schema> schema = FoldSchema(*info, counts, &by);
  if (schema) {
    *info->mutable_schema() = std::move(*schema);
    *info->mutable_created_by() = std::move(by);
  } else {
    info->clear_schema();
    info->clear_created_by();
  }
}

void RecordSchemaOp(v1::DatasetInfo* info, const v1::Op& op, const OpPoint& at) {
  v1::SchemaOp* s = info->add_schema_ops();
  s->mutable_by()->set_author(at.author);
  s->mutable_by()->set_seq(at.seq);
  s->mutable_by()->set_hlc(at.hlc);
  s->set_op_index(at.index);
  at.deps.ToProto(s->mutable_deps());
  if (op.has_create_dataset()) {
    *s->mutable_create() = op.create_dataset().schema();
  } else {
    *s->mutable_add_field() = op.add_field().field();
  }
  // One insertion step keeps the history sorted, so its bytes are the same
  // on every node whatever the arrival order.
  auto* ops = info->mutable_schema_ops();
  for (int i = ops->size() - 1; i > 0 && StampLess(ops->Get(i), ops->Get(i - 1)); --i) {
    ops->SwapElements(i, i - 1);
  }
  RefoldSchema(info);
}

void UpgradeLegacyDatasetInfo(v1::DatasetInfo* info) {
  if (info->schema_ops_size() > 0 || !info->has_created_by()) return;
  v1::SchemaOp* s = info->add_schema_ops();
  *s->mutable_by() = info->created_by();
  *s->mutable_create() = info->schema();
}

Result<const v1::Schema*> CommitSchemas::SchemaFor(const std::string& dataset, const OpPoint& at) {
  auto cached = seen_.find(dataset);
  if (cached != seen_.end()) return &cached->second;
  auto it = datasets_->find(dataset);
  std::optional<v1::Schema> schema;
  if (it != datasets_->end()) schema = SchemaAt(it->second, at);
  if (!schema) return Status::NotFound("no dataset \"" + dataset + "\"");
  return &seen_.emplace(dataset, std::move(*schema)).first->second;
}

Status CommitSchemas::Admit(const v1::Op& op, const OpPoint& at) {
  std::string name;
  if (op.has_create_dataset()) {
    const auto& cd = op.create_dataset();
    KONGSI_RETURN_IF_ERROR(CheckName("dataset", cd.name()));
    KONGSI_RETURN_IF_ERROR(CheckSchema(cd.schema()));
    if (SchemaFor(cd.name(), at).ok()) {
      return Status::AlreadyExists("dataset \"" + cd.name() + "\" already exists");
    }
    name = cd.name();
  } else if (op.has_add_field()) {
    name = op.add_field().dataset();
    auto base = SchemaFor(name, at);
    if (!base.ok()) return base.status();
    v1::Schema next = **base;
    *next.add_fields() = op.add_field().field();
    KONGSI_RETURN_IF_ERROR(CheckSchema(next));  // a name already there appears twice
  } else {
    return Status::InvalidArgument("not a schema op");
  }
  v1::DatasetInfo& info = (*datasets_)[name];
  info.set_name(name);
  RecordSchemaOp(&info, op, at);
  seen_.erase(name);  // this commit's later ops see the new op
  return Status::Ok();
}

}  // namespace kongsi::node
