// Shared helpers for node-level tests: temp dirs, nodes with fixed
// (seeded) identities, op builders and a comparable view of visible records.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kongsi/v1/commit.pb.h"
#include "kongsi/v1/state.pb.h"
#include "node/identity.h"
#include "node/node.h"
#include "node/reader.h"
#include "node/record_merge.h"
#include "node/value_text.h"

namespace kongsi::node::testing {

// A fresh directory under /tmp, removed (with everything in it) at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "kongsi_test") {
    std::string pattern = "/tmp/" + tag + "_" + std::to_string(::getpid()) + "_XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string Seed(uint8_t n) { return std::string(kPrivateKeySeedBytes, static_cast<char>(n)); }

inline Identity SeededIdentity(uint8_t n, const std::string& name) {
  auto id = Identity::FromSeed(Seed(n), name);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return std::move(id).value();
}

inline bool WriteFileMode(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::fchmod(fd, mode);
  ::close(fd);
  return ok;
}

// Writes `id` as the identity of data dir `dir` (node.key 0600 + node.json),
// then opens a Node there. So a test can run a node whose key it knows.
inline std::unique_ptr<Node> OpenNodeAs(const std::string& dir, const Identity& id) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  auto pem = id.PrivateKeyPem();
  EXPECT_TRUE(pem.ok()) << pem.status().ToString();
  if (!pem.ok()) return nullptr;
  EXPECT_TRUE(WriteFileMode(dir + "/" + kKeyFileName, *pem, 0600));
  std::string json = "{\"name\":\"" + id.name() + "\",\"node_id\":\"" + id.node_id_text() + "\"}\n";
  EXPECT_TRUE(WriteFileMode(dir + "/" + kInfoFileName, json, 0644));
  auto node = Node::Open(dir);
  EXPECT_TRUE(node.ok()) << node.status().ToString();
  if (!node.ok()) return nullptr;
  return std::move(node).value();
}

inline std::unique_ptr<Node> InitNode(const std::string& dir, const std::string& name) {
  auto node = Node::Init(dir, name);
  EXPECT_TRUE(node.ok()) << node.status().ToString();
  if (!node.ok()) return nullptr;
  return std::move(node).value();
}

// ---- values and ops ----

// An op's point in the causal order. deps carry the author's own previous
// seq, as real commits do.
inline OpPoint OpAt(const std::string& author, uint64_t seq, uint64_t hlc, VersionVector deps = {},
                    uint32_t index = 0) {
  OpPoint p;
  p.author = author;
  p.seq = seq;
  p.hlc = hlc;
  p.index = index;
  if (seq > 1 && deps.Get(author) == 0) deps.Set(author, seq - 1);
  p.deps = std::move(deps);
  return p;
}

inline v1::Value Int(int64_t v) {
  v1::Value x;
  x.set_integer_value(v);
  return x;
}
inline v1::Value Str(const std::string& v) {
  v1::Value x;
  x.set_string_value(v);
  return x;
}
inline v1::Value Num(double v) {
  v1::Value x;
  x.set_number_value(v);
  return x;
}
inline v1::Value Null() { return v1::Value(); }

inline v1::Field FieldOf(const std::string& name, const std::string& type) {
  v1::Field f;
  f.set_name(name);
  f.set_type(type);
  return f;
}

// "t": id integer (key), a string, b integer, c number.
inline v1::Schema TestSchema() {
  v1::Schema s;
  *s.add_fields() = FieldOf("id", "integer");
  *s.add_fields() = FieldOf("a", "string");
  *s.add_fields() = FieldOf("b", "integer");
  *s.add_fields() = FieldOf("c", "number");
  s.add_primary_key("id");
  return s;
}

inline v1::Op CreateDatasetOp(const std::string& name, const v1::Schema& schema) {
  v1::Op op;
  op.mutable_create_dataset()->set_name(name);
  *op.mutable_create_dataset()->mutable_schema() = schema;
  return op;
}

inline v1::Op UpsertOp(const std::string& ds, std::vector<v1::Value> key,
                       std::vector<std::pair<std::string, v1::Value>> cells) {
  v1::Op op;
  auto* u = op.mutable_upsert();
  u->set_dataset(ds);
  for (auto& k : key) *u->add_key() = k;
  for (auto& [f, v] : cells) {
    auto* c = u->add_cells();
    c->set_field(f);
    *c->mutable_value() = v;
  }
  return op;
}

inline v1::Op DeleteOp(const std::string& ds, std::vector<v1::Value> key) {
  v1::Op op;
  auto* d = op.mutable_delete_();
  d->set_dataset(ds);
  for (auto& k : key) *d->add_key() = k;
  return op;
}

inline v1::Op GrantOp(const std::string& org_node_id, v1::Role role) {
  v1::Op op;
  op.mutable_grant()->set_org(org_node_id);
  op.mutable_grant()->set_role(role);
  return op;
}

inline v1::Op RevokeOp(const std::string& org_node_id) {
  v1::Op op;
  op.mutable_revoke()->set_org(org_node_id);
  return op;
}

// ---- reads ----

// field -> canonical text of the visible value ("" for null cells are left out).
using VisibleRecord = std::map<std::string, std::string>;
// encoded key text -> visible cells of every live record.
using VisibleTable = std::map<std::string, VisibleRecord>;

inline std::string KeyText(const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  std::string out;
  for (const auto& v : key) {
    if (!out.empty()) out += "|";
    out += CanonicalText(v);
  }
  return out;
}

// What a user sees of `dataset`: live records and their visible, non-null cells.
inline VisibleTable ScanVisible(const Node& node, const std::string& coll, const std::string& dataset,
                                const VersionVector* as_of = nullptr) {
  VisibleTable out;
  Reader reader(node, coll);
  Status s = reader.ScanRecords(dataset, as_of, [&](const v1::RecordState& r) {
    VisibleRecord rec;
    for (const auto& cell : r.cells()) {
      CellView view = ViewCell(r, cell);
      if (!view.visible || cell.value().kind_case() == v1::Value::KIND_NOT_SET) continue;
      rec[cell.field()] = CanonicalText(cell.value());
    }
    out[KeyText(r.key())] = rec;
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

inline std::string DigestOf(const Node& node, const std::string& coll) {
  Reader reader(node, coll);
  auto d = reader.Digest();
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? *d : std::string("<digest error>");
}

// The signed bytes of every commit `node` applied in `coll`, in apply order
// (which is causal).
inline std::vector<std::string> AllCommits(const Node& node, const std::string& coll) {
  std::vector<std::string> out;
  Status s = node.ForEachChange(coll, 0, [&](uint64_t, const v1::StoredCommit& sc) {
    out.push_back(sc.signed_());
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// Delivers every commit of `from` to `to`; true when none was rejected.
inline bool SyncInto(const Node& from, Node& to, const std::string& coll) {
  bool ok = true;
  for (const auto& bytes : AllCommits(from, coll)) {
    ReceiveOutcome out = to.Receive(bytes);
    if (out.status == ReceiveStatus::kRejected || out.status == ReceiveStatus::kEquivocation) {
      ADD_FAILURE() << ReceiveStatusName(out.status) << ": " << out.reason;
      ok = false;
    }
  }
  return ok;
}

inline std::string Serialized(const v1::SignedCommit& sc) { return sc.SerializeAsString(); }

}  // namespace kongsi::node::testing
