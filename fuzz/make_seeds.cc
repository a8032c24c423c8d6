// Records the protocol seeds of the fuzzers from real nodes: real signed
// commits (corpus/fuzz_commit) and the real frames one node's sync session
// sends another (corpus/fuzz_sync_message), plus the base history the fuzz
// targets' node starts from (state/base_history.pb).
//
// Usage: kongsi_fuzz_make_seeds FUZZ_DIR   (FUZZ_DIR is the source fuzz/)
//
// The scenario (identities from the fixed seeds of fuzz_env.h):
//   owner  creates "shared-gdp", publishes fixtures/.../gdp.csv as dataset
//          "gdp", grants peer writer and the fuzz node admin, tags it
//          -> the base history
//   peer   receives it, changes a cell, deletes a row, adds a field and
//          fills it; owner tags again -> later commits, one seed each
//   fuzz node (holding the base history) syncs with the peer; every frame
//          the peer's session sends is recorded.
// Timestamps differ between runs, so regenerating changes every seed; the
// base history and the protocol seeds must be regenerated together.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz/fuzz_env.h"
#include "node/importer.h"
#include "node/value_text.h"
#include "tests/node/sync_net.h"

namespace {

namespace fs = std::filesystem;
namespace node = kongsi::node;
namespace v1 = kongsi::v1;
using namespace kongsi::fuzz;

constexpr size_t kMaxSeedBytes = 8192;

std::string out_dir;

void Seed(const std::string& target, const std::string& name, const std::string& bytes) {
  if (bytes.size() > kMaxSeedBytes) Die(target + "/" + name + " is over 8 KB");
  if (target == "fuzz_sync_message" && bytes.find(kFrameSeparator) != std::string::npos &&
      name.rfind("traffic", 0) != 0) {
    Die(name + " contains the frame separator");
  }
  const fs::path dir = fs::path(out_dir) / "corpus" / target;
  fs::create_directories(dir);
  WriteFileOrDie((dir / name).string(), bytes);
}

void Check(const kongsi::Status& s) {
  if (!s.ok()) Die(s.ToString());
}

node::AppliedCommit Commit(node::Node& n, const std::string& coll, std::vector<v1::Op> ops,
                           const std::string& note) {
  auto applied = n.CommitOps(coll, std::move(ops), note);
  if (!applied.ok()) Die(note + ": " + applied.status().ToString());
  return std::move(applied).value();
}

// A key or cell value typed as the dataset's field says.
v1::Value Typed(node::Node& n, const std::string& coll, const std::string& field,
                const std::string& text) {
  auto ds = n.Dataset(coll, "gdp");
  if (!ds.ok()) Die(ds.status().ToString());
  const v1::Field* f = nullptr;
  for (const v1::Field& x : ds->schema().fields())
    if (x.name() == field) f = &x;
  if (f == nullptr) Die("no field " + field);
  auto v = node::ParseValue(text, *f, false);
  if (!v.ok()) Die(v.status().ToString());
  return *v;
}

v1::Op Upsert(node::Node& n, const std::string& coll, const std::string& code,
              const std::string& year, const std::string& field, const std::string& value) {
  v1::Op op;
  v1::Upsert* u = op.mutable_upsert();
  u->set_dataset("gdp");
  *u->add_key() = Typed(n, coll, "Country Code", code);
  *u->add_key() = Typed(n, coll, "Year", year);
  v1::Cell* c = u->add_cells();
  c->set_field(field);
  *c->mutable_value() = Typed(n, coll, field, value);
  return op;
}

v1::Op Tag(node::Node& n, const std::string& coll, const std::string& name) {
  v1::Op op;
  op.mutable_tag()->set_name(name);
  *op.mutable_tag()->mutable_vv() = n.Version(coll).ToProto();
  return op;
}

v1::Op Grant(const node::Identity& org, v1::Role role) {
  v1::Op op;
  op.mutable_grant()->set_org(org.node_id());
  op.mutable_grant()->set_role(role);
  return op;
}

// The collection's log at `n`, in apply order.
v1::Commits Log(node::Node& n, const std::string& coll) {
  v1::Commits log;
  log.set_collection(coll);
  Check(n.ForEachChange(coll, 0, [&](uint64_t, const v1::StoredCommit& stored) {
    log.add_commits()->ParseFromString(stored.signed_());
    return true;
  }));
  return log;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) Die("usage: kongsi_fuzz_make_seeds FUZZ_DIR");
  out_dir = argv[1];
  const std::string scratch = MakeScratchDir("make_seeds");
  const node::Identity owner_id = SeededIdentity(kSeedOwner, "Owner");
  const node::Identity peer_id = SeededIdentity(kSeedPeer, "Peer");
  const node::Identity fuzz_id = SeededIdentity(kSeedFuzzNode, "Fuzz Node");
  auto owner = OpenNodeAs(scratch + "/owner", owner_id);
  auto peer = OpenNodeAs(scratch + "/peer", peer_id);

  // ---- base history ----
  auto created = owner->CreateCollection(kSharedCollectionName, "GDP shared for fuzzing");
  if (!created.ok()) Die(created.status().ToString());
  const std::string coll = *created;
  node::PublishOptions publish;
  publish.collection = coll;
  publish.dataset = "gdp";
  publish.key_columns = {"Country Code", "Year"};
  auto published =
      node::Publish(*owner, out_dir + "/fixtures/data_package/data/gdp.csv", publish);
  if (!published.ok()) Die(published.status().ToString());
  Commit(*owner, coll, {Grant(peer_id, v1::ROLE_WRITER), Grant(fuzz_id, v1::ROLE_ADMIN)}, "grants");
  Commit(*owner, coll, {Tag(*owner, coll, "base")}, "tag base");
  const v1::Commits base = Log(*owner, coll);
  fs::create_directories(fs::path(out_dir) / "state");
  WriteFileOrDie(out_dir + "/" + kBaseHistoryFile, base.SerializeAsString());
  for (int i = 0; i < base.commits_size(); ++i) {
    Seed("fuzz_commit", "base-" + std::to_string(i), base.commits(i).SerializeAsString());
  }

  // ---- later commits ----
  for (const v1::SignedCommit& sc : base.commits()) {
    auto out = peer->Receive(sc.SerializeAsString());
    if (out.status != node::ReceiveStatus::kApplied) Die("peer: " + out.reason);
  }
  std::vector<std::pair<std::string, node::AppliedCommit>> later;
  later.emplace_back("peer-upsert", Commit(*peer, coll, {Upsert(*peer, coll, "AFG", "2001", "Value",
                                                                 "2813571754")},
                                           "round a value"));
  v1::Op del;
  del.mutable_delete_()->set_dataset("gdp");
  *del.mutable_delete_()->add_key() = Typed(*peer, coll, "Country Code", "AFG");
  *del.mutable_delete_()->add_key() = Typed(*peer, coll, "Year", "2000");
  later.emplace_back("peer-delete", Commit(*peer, coll, {del}, "drop a row"));
  v1::Op add;
  add.mutable_add_field()->set_dataset("gdp");
  add.mutable_add_field()->mutable_field()->set_name("Source");
  add.mutable_add_field()->mutable_field()->set_type("string");
  later.emplace_back("peer-add-field", Commit(*peer, coll, {add}, "add a field"));
  later.emplace_back("peer-fill-field",
                     Commit(*peer, coll, {Upsert(*peer, coll, "AFG", "2002", "Source", "WB")},
                            "fill it"));
  for (const auto& [name, c] : later) Seed("fuzz_commit", name, c.signed_bytes);

  // An equivocation: the peer's first later commit again, another note.
  v1::SignedCommit first;
  v1::Commit changed;
  if (!first.ParseFromString(later.front().second.signed_bytes) ||
      !changed.ParseFromString(first.commit()))
    Die("recorded commit does not decode");
  changed.set_note("the same seq, other content");
  Seed("fuzz_commit", "peer-equivocation", node::SignCommit(changed, peer_id).SerializeAsString());
  // A broken signature.
  first.mutable_signature()->back() ^= 1;
  Seed("fuzz_commit", "bad-signature", first.SerializeAsString());

  // ---- sync traffic: fuzz node (holding the base history) <-> peer ----
  auto fuzz_node = OpenNodeAs(scratch + "/fuzz", fuzz_id);
  ReceiveBaseHistory(*fuzz_node);
  node::testing::SyncNet net;
  net.Watch(*peer);
  net.Watch(*fuzz_node);
  node::testing::Link& link = net.Connect(*peer, *fuzz_node);
  net.Run(10000);
  // The fuzz target sends the peer's Hello itself; record what follows.
  std::string traffic;
  int n = 0;
  for (const v1::Envelope& env : link.seen_by_b) {
    if (env.has_hello()) continue;
    const std::string frame = env.SerializeAsString();
    Seed("fuzz_sync_message", "frame-" + std::to_string(n++) + "-" +
                                  std::string(v1::Envelope::GetDescriptor()
                                                  ->FindFieldByNumber(env.body_case())
                                                  ->name()),
         frame);
    if (!traffic.empty()) traffic += kFrameSeparator;
    traffic += frame;
  }
  if (n == 0) Die("the peer sent nothing but Hello");
  Seed("fuzz_sync_message", "traffic-all", traffic);

  // Frames the run above has no reason to send, built as a peer would.
  v1::Envelope ping;
  ping.mutable_ping()->set_nonce(7);
  Seed("fuzz_sync_message", "ping", ping.SerializeAsString());
  v1::Envelope error;
  error.mutable_error()->set_code(v1::Error::CODE_INVALID_COMMIT);
  error.mutable_error()->set_message("signature does not verify");
  error.mutable_error()->set_collection(coll);
  Seed("fuzz_sync_message", "error", error.SerializeAsString());
  v1::Envelope invite;  // a collection the fuzz node does not hold
  invite.mutable_have()->set_collection(std::string(16, 'x'));
  invite.mutable_have()->set_name("an invitation");
  Seed("fuzz_sync_message", "have-unknown", invite.SerializeAsString());
  v1::Envelope unasked;  // commits of a collection nobody asked for
  unasked.mutable_commits()->set_collection(std::string(16, 'x'));
  unasked.mutable_commits()->add_commits()->ParseFromString(later.back().second.signed_bytes);
  Seed("fuzz_sync_message", "commits-unasked", unasked.SerializeAsString());

  std::printf("seeds written under %s (%d recorded frames, %d base commits)\n", out_dir.c_str(), n,
              base.commits_size());
  return 0;
}
