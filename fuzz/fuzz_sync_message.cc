// node/sync_session: the replication state machine, fed peer frames. Each
// iteration opens a new session on a node opened once (holding the recorded
// shared collection, fuzz_env.h), as the server does per connection, for
// the scenario's peer org, which is a writer there. The harness sends the
// peer's valid Hello, then the input, split at kFrameSeparator into frames
// (so one input can be Have, then Commits, then Credit: the recorded
// traffic of make_seeds.cc is stored that way).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz/fuzz_env.h"
#include "node/sync_session.h"

namespace {

using kongsi::fuzz::FuzzNode;
namespace node = kongsi::node;
namespace v1 = kongsi::v1;

// At most this many frames per input: each may cost a log scan.
constexpr size_t kMaxFramesPerInput = 64;

// Discards what the session sends, checking the transport contract.
class NullTransport : public node::SyncTransport {
 public:
  void Send(std::string frame) override {
    if (closed_) __builtin_trap();  // nothing is sent after Close
    v1::Envelope env;
    if (!env.ParseFromString(frame)) __builtin_trap();  // we only send Envelopes
  }
  void Close(uint16_t, std::string) override {
    if (closed_) __builtin_trap();  // closed once
    closed_ = true;
  }
  bool closed() const { return closed_; }

 private:
  bool closed_ = false;
};

struct Env {
  std::unique_ptr<FuzzNode> node;
  std::string peer_id;
  std::string hello;  // the peer's Hello frame
};
Env* env = nullptr;

uint64_t Changes(const node::NodeCounters& c) {
  return c.commits_applied + c.commits_pending + c.equivocations + c.commits_invalid;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  env = new Env;
  env->node = std::make_unique<FuzzNode>("fuzz_sync_message", kongsi::fuzz::ReceiveBaseHistory);
  env->peer_id = kongsi::fuzz::SeededIdentity(kongsi::fuzz::kSeedPeer, "Peer").node_id();
  v1::Envelope hello;
  hello.mutable_hello()->set_protocol_version(node::kProtocolVersion);
  hello.mutable_hello()->set_node_id(env->peer_id);
  hello.mutable_hello()->set_name("Peer");
  hello.mutable_hello()->set_max_frame_bytes(node::kMaxFrameBytes);
  hello.mutable_hello()->set_initial_credit(node::kInitialCreditBytes);
  env->hello = hello.SerializeAsString();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  node::Node& n = env->node->node();
  const uint64_t before = Changes(n.counters());
  bool changed = false;
  {  // the session ends before any reset of the node it holds
    NullTransport out;
    node::SyncSession session(n, env->peer_id, node::SyncOptions{}, out);
    session.Start();
    session.OnFrame(env->hello);
    if (out.closed() || !session.hello_received()) __builtin_trap();  // a valid Hello is taken

    std::string_view rest(reinterpret_cast<const char*>(data), size);
    for (size_t frames = 0; frames < kMaxFramesPerInput && !out.closed(); ++frames) {
      const size_t cut = rest.find(kongsi::fuzz::kFrameSeparator);
      session.OnFrame(rest.substr(0, cut));
      if (cut == std::string_view::npos) break;
      rest.remove_prefix(cut + kongsi::fuzz::kFrameSeparator.size());
    }
    if (!out.closed()) session.Refresh();
    // Commits stored, or an invitation recorded for a collection the peer
    // named: the node grew.
    changed = Changes(n.counters()) != before;
    for (const auto& [coll, vv] : session.PeerVersions()) changed |= !n.Holds(coll);
  }
  if (changed) env->node->Changed();
  return 0;
}
