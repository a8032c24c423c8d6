// What the fuzz targets and the seed generator (make_seeds.cc) share: the
// fixed identities of the recorded scenario, a scratch directory, and a real
// Node that stays open across iterations but is put back to a pristine copy
// once it has changed too often (a fuzzer runs millions of iterations; the
// node's database and in-memory alarms must not grow without bound).
//
// No GoogleTest here: the fuzzers are plain programs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kongsi/v1/sync.pb.h"
#include "node/identity.h"
#include "node/node.h"

namespace kongsi::fuzz {

// The organisations of the recorded scenario. Identities come from fixed
// seeds so that commits and frames recorded once (by make_seeds) verify and
// name the same node IDs in every later fuzzing run.
inline constexpr uint8_t kSeedOwner = 0xA1;  // creates the shared collection
inline constexpr uint8_t kSeedPeer = 0xB2;   // a writer; the sync fuzzer's peer
inline constexpr uint8_t kSeedFuzzNode = 0xC3;  // the node under test
inline constexpr char kSharedCollectionName[] = "shared-gdp";
// The base history (make_seeds output): the shared collection's commits up
// to the point where the node under test joins; a serialized v1::Commits.
inline constexpr char kBaseHistoryFile[] = "state/base_history.pb";
// Frames of one sync seed are joined with this separator (no real frame of
// the recorded traffic contains it; make_seeds checks).
inline constexpr std::string_view kFrameSeparator{"\xff\x00KSYNC\x00\xff", 9};

// Exits the process with a message: setup failures are not findings.
[[noreturn]] void Die(const std::string& what);

node::Identity SeededIdentity(uint8_t seed, const std::string& name);

// Writes `id` as the identity of data dir `dir` (node.key 0600 + node.json)
// and opens a Node there.
std::unique_ptr<node::Node> OpenNodeAs(const std::string& dir, const node::Identity& id);

// A fresh directory under $TMPDIR (else /tmp), removed at normal exit.
std::string MakeScratchDir(const std::string& tag);

std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, std::string_view bytes);

// The recorded base history (KONGSI_FUZZ_DIR/state/base_history.pb).
v1::Commits LoadBaseHistory();

// A Node under test. `build` runs once on a fresh node to give it its
// starting state; that data dir is kept as a template, and Reset() reopens a
// copy of it. Changed() counts iterations that changed the node; every
// kChangesPerReset of them the node is reset, which bounds its growth.
class FuzzNode {
 public:
  static constexpr int kChangesPerReset = 2000;

  FuzzNode(const std::string& tag, void (*build)(node::Node&));
  ~FuzzNode();
  FuzzNode(const FuzzNode&) = delete;
  FuzzNode& operator=(const FuzzNode&) = delete;
  node::Node& node() { return *node_; }
  const std::string& data_dir() const { return live_; }
  // Returns true when the node was reset (callers holding references into
  // it, such as an ApiContext, must rebuild them).
  bool Changed();
  void Reset();
  // Closes the node (its database waits for background work); called for
  // every FuzzNode at exit. node() is invalid afterwards.
  void Close();

 private:
  std::string template_;
  std::string live_;
  std::unique_ptr<node::Node> node_;
  int changes_ = 0;
};

// The node under test with the base history received: it holds the shared
// collection, in which the peer is a writer and the node itself an admin.
void ReceiveBaseHistory(node::Node& node);

}  // namespace kongsi::fuzz
