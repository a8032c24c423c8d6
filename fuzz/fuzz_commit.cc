// Commit decoding and validation: the input is a serialized SignedCommit,
// as a peer sends it.
//  1. OpenSignedCommit (node/identity.cc): decode + signature check.
//  2. Node::Receive on a node holding the recorded shared collection
//     (fuzz_env.h): the whole pipeline of DESIGN §7 from raw bytes.
//  3. Mutated commits almost never carry a valid signature, which would stop
//     them at step 2. So when the commit names the author key of one of the
//     scenario's organisations, whose seeds are known, the harness signs
//     the exact commit bytes again and receives that: deps, ACL, schema and
//     op validation (node/op_validation.cc) then see fuzzed content.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz/fuzz_env.h"
#include "node/identity.h"

namespace {

using kongsi::fuzz::FuzzNode;
namespace node = kongsi::node;
namespace v1 = kongsi::v1;

struct Env {
  std::unique_ptr<FuzzNode> node;
  std::vector<node::Identity> signers;
};
Env* env = nullptr;

bool ChangesState(node::ReceiveStatus s) {
  return s != node::ReceiveStatus::kDuplicate && s != node::ReceiveStatus::kRejected;
}

void Receive(std::string_view bytes) {
  node::ReceiveOutcome out = env->node->node().Receive(bytes);
  if (out.status == node::ReceiveStatus::kApplied && out.applied.empty()) __builtin_trap();
  if (ChangesState(out.status)) env->node->Changed();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  env = new Env;
  env->node = std::make_unique<FuzzNode>("fuzz_commit", kongsi::fuzz::ReceiveBaseHistory);
  env->signers.push_back(kongsi::fuzz::SeededIdentity(kongsi::fuzz::kSeedOwner, "Owner"));
  env->signers.push_back(kongsi::fuzz::SeededIdentity(kongsi::fuzz::kSeedPeer, "Peer"));
  env->signers.push_back(kongsi::fuzz::SeededIdentity(kongsi::fuzz::kSeedFuzzNode, "Fuzz Node"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  v1::SignedCommit sc;
  if (sc.ParseFromArray(data, static_cast<int>(size))) {
    auto opened = node::OpenSignedCommit(sc);
    // A commit that opens was signed by the key it names.
    if (opened.ok() && !node::VerifySignature(opened->author(), sc.commit(), sc.signature()))
      __builtin_trap();
  }
  Receive(bytes);

  v1::Commit commit;
  if (!sc.ParseFromArray(data, static_cast<int>(size)) || !commit.ParseFromString(sc.commit()))
    return 0;
  for (const node::Identity& id : env->signers) {
    if (commit.author() != id.public_key()) continue;
    std::string resigned_sig = id.Sign(sc.commit());
    if (resigned_sig == sc.signature()) break;  // already received as is
    sc.set_signature(std::move(resigned_sig));
    Receive(sc.SerializeAsString());
    break;
  }
  return 0;
}
