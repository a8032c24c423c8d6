// The demo's nodes as real `kongsi serve` child processes, and the waits
// and signals around them.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "node/node.h"
#include "server/demo.h"

namespace kongsi::server::demo {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void OnInterrupt(int) { g_interrupted = 1; }

constexpr std::chrono::seconds kStartTimeout{30};
constexpr std::chrono::seconds kStopTimeout{20};
constexpr milliseconds kPoll{100};

// The port of "wss://127.0.0.1:PORT/v1/sync"; 0 if there is none.
uint16_t PortOf(const std::string& url) {
  size_t host = url.find("://");
  size_t colon = url.rfind(':', url.find('/', host == std::string::npos ? 0 : host + 3));
  if (colon == std::string::npos) return 0;
  return static_cast<uint16_t>(std::strtoul(url.c_str() + colon + 1, nullptr, 10));
}

// Reaps `pid` if it has exited; its exit description, else "".
std::string Reap(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return "";
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped";
}

}  // namespace

bool Interrupted() { return g_interrupted != 0; }

void CatchInterrupts() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

void WaitForInterrupt(const std::function<bool()>& alive) {
  // sleep() returns early when a signal arrives.
  while (!Interrupted() && alive()) ::sleep(1);
}

Status WaitUntil(const std::string& what, std::chrono::seconds timeout, const std::function<Status()>& ready) {
  const auto deadline = steady_clock::now() + timeout;
  Status last = Status::Ok();
  while (!Interrupted()) {
    last = ready();
    if (last.ok()) return last;
    if (steady_clock::now() >= deadline) {
      return Status::FailedPrecondition("timed out after " + std::to_string(timeout.count()) + " s waiting for " +
                                        what + " (last: " + last.message() + ")");
    }
    std::this_thread::sleep_for(kPoll * 2);
  }
  return Status::FailedPrecondition("interrupted while waiting for " + what);
}

DemoNode::DemoNode(std::string label, std::string org_name, std::string data_dir, std::string log_path)
    : label_(std::move(label)),
      org_name_(std::move(org_name)),
      data_dir_(std::move(data_dir)),
      log_path_(std::move(log_path)) {}

DemoNode::~DemoNode() { Stop(); }

Status DemoNode::Init() {
  auto node = node::Node::Init(data_dir_, org_name_);
  if (!node.ok()) return node.status();
  node_id_ = (*node)->identity().node_id_text();
  return Status::Ok();
}

Status DemoNode::Start(const std::string& exe) {
  if (pid_ > 0) return Status::FailedPrecondition(label_ + " is already running");
  RemoveRuntimeFile(data_dir_);  // one left by a killed run would mislead the wait
  const std::string peer_listen = "127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> args = {exe,           "--data",         data_dir_,    "serve",
                                   "--peer-listen", peer_listen, "--api-listen", "127.0.0.1:0"};
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return Status::IoError("cannot open " + log_path_);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return Status::IoError("fork failed for " + label_);
  }
  if (pid == 0) {
    // The child: its own process group (Ctrl-C goes to the demo, which stops
    // the nodes itself), stopped if the demo dies, default signal handling.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  Status started = WaitUntil(label_ + "'s node to start (" + data_dir_ + "/serve.json)", kStartTimeout, [&] {
    std::string exit = Reap(pid_);
    if (!exit.empty()) {
      pid_ = -1;
      return Status::IoError("kongsi serve " + exit + "; its log is " + log_path_);
    }
    auto info = ReadRuntimeFile(data_dir_);
    if (!info.ok()) return info.status();
    if (info->pid != pid_ || info->api_url.empty()) return Status::NotFound("serve.json is not yet ours");
    info_ = *info;
    return Status::Ok();
  });
  if (!started.ok()) {
    Stop();
    return started;
  }
  peer_port_ = PortOf(info_.peer_url);
  auto api = MakeHttpClient(info_.api_url, info_.api_token, info_.node_id);
  if (!api.ok()) {
    Stop();
    return api.status();
  }
  api_ = std::move(api).value();
  return Status::Ok();
}

void DemoNode::Stop() {
  api_.reset();
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = steady_clock::now() + kStopTimeout;
  while (Reap(pid_).empty()) {
    if (steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(kPoll);
  }
  pid_ = -1;
}

bool DemoNode::running() {
  if (pid_ <= 0) return false;
  if (Reap(pid_).empty()) return true;
  pid_ = -1;
  return false;
}

Result<boost::json::value> DemoNode::Call(const ApiCall& call) {
  if (!api_) return Status::FailedPrecondition(label_ + "'s node is not running");
  auto answer = api_->Call(call);
  if (!answer.ok()) return answer.status().WithContext(label_);
  return answer;
}

Status DemoNode::Stream(const ApiCall& call, std::ostream& out) {
  if (!api_) return Status::FailedPrecondition(label_ + "'s node is not running");
  return api_->Stream(call, out);
}

}  // namespace kongsi::server::demo
