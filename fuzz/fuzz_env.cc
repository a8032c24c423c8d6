#include "fuzz/fuzz_env.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace kongsi::fuzz {
namespace {

namespace fs = std::filesystem;

// Scratch directories made by this process, removed at exit (libFuzzer
// ends a time-limited run with exit(), so atexit handlers run).
std::vector<std::string>& ScratchDirs() {
  static auto* dirs = new std::vector<std::string>;
  return *dirs;
}

void RemoveScratchDirs() {
  for (const std::string& dir : ScratchDirs()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

// The open FuzzNodes, closed at exit. A node left open when the process
// ends has RocksDB's background threads joined by its Env's static
// destructor with a compaction still queued: the queued job's argument is
// never freed and LeakSanitizer reports it (a flaky fuzz.* failure, seen in
// CI). The handler is registered once a database has been opened, so it runs
// before the statics that opening constructed (exit runs them in reverse).
std::vector<FuzzNode*>& LiveNodes() {
  static auto* nodes = new std::vector<FuzzNode*>;
  return *nodes;
}

void CloseLiveNodes() {
  for (FuzzNode* n : LiveNodes()) n->Close();
}

void WriteFileMode(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) Die("cannot create " + path);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::fchmod(fd, mode);
  ::close(fd);
  if (!ok) Die("cannot write " + path);
}

}  // namespace

void Die(const std::string& what) {
  std::fprintf(stderr, "fuzz setup: %s\n", what.c_str());
  std::exit(2);
}

node::Identity SeededIdentity(uint8_t seed, const std::string& name) {
  auto id = node::Identity::FromSeed(std::string(node::kPrivateKeySeedBytes, static_cast<char>(seed)),
                                     name);
  if (!id.ok()) Die(id.status().ToString());
  return std::move(id).value();
}

std::unique_ptr<node::Node> OpenNodeAs(const std::string& dir, const node::Identity& id) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  auto pem = id.PrivateKeyPem();
  if (!pem.ok()) Die(pem.status().ToString());
  WriteFileMode(dir + "/" + node::kKeyFileName, *pem, 0600);
  WriteFileMode(dir + "/" + node::kInfoFileName,
                "{\"name\":\"" + id.name() + "\",\"node_id\":\"" + id.node_id_text() + "\"}\n", 0644);
  auto opened = node::Node::Open(dir);
  if (!opened.ok()) Die(opened.status().ToString());
  return std::move(opened).value();
}

std::string MakeScratchDir(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/kongsi_" + tag + "_XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) Die("cannot create a directory like " + pattern);
  if (ScratchDirs().empty()) std::atexit(RemoveScratchDirs);
  ScratchDirs().push_back(pattern);
  return pattern;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFileOrDie(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Die("cannot write " + path);
}

v1::Commits LoadBaseHistory() {
  const std::string path = std::string(KONGSI_FUZZ_DIR) + "/" + kBaseHistoryFile;
  v1::Commits history;
  if (!history.ParseFromString(ReadFileOrDie(path)) || history.commits_size() == 0) {
    Die(path + " is not a recorded history (regenerate it: see fuzz/README.md)");
  }
  return history;
}

void ReceiveBaseHistory(node::Node& node) {
  const v1::Commits history = LoadBaseHistory();  // kept alive: the loop reads into it
  for (const v1::SignedCommit& sc : history.commits()) {
    node::ReceiveOutcome out = node.Receive(sc.SerializeAsString());
    if (out.status != node::ReceiveStatus::kApplied) {
      Die(std::string("base history commit not applied: ") + node::ReceiveStatusName(out.status) +
          ": " + out.reason);
    }
  }
}

FuzzNode::FuzzNode(const std::string& tag, void (*build)(node::Node&)) {
  const std::string root = MakeScratchDir(tag);
  template_ = root + "/template";
  live_ = root + "/live";
  {
    auto first = OpenNodeAs(template_, SeededIdentity(kSeedFuzzNode, "Fuzz Node"));
    build(*first);
  }  // closed: the template is copied only while no process has it open
  Reset();
  if (LiveNodes().empty()) std::atexit(CloseLiveNodes);
  LiveNodes().push_back(this);
}

FuzzNode::~FuzzNode() { std::erase(LiveNodes(), this); }

void FuzzNode::Close() { node_.reset(); }

void FuzzNode::Reset() {
  node_.reset();
  std::error_code ec;
  fs::remove_all(live_, ec);
  fs::copy(template_, live_, fs::copy_options::recursive, ec);
  if (ec) Die("cannot copy " + template_ + ": " + ec.message());
  auto opened = node::Node::Open(live_);
  if (!opened.ok()) Die(opened.status().ToString());
  node_ = std::move(opened).value();
  changes_ = 0;
}

bool FuzzNode::Changed() {
  if (++changes_ < kChangesPerReset) return false;
  Reset();
  return true;
}

}  // namespace kongsi::fuzz
