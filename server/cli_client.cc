#include "server/cli_client.h"

#include <signal.h>

#include <boost/json/serialize.hpp>
#include <cerrno>

#include "node/node.h"
#include "server/api_router.h"
#include "server/runtime_file.h"

namespace kongsi::server {
namespace {

class InProcessClient : public ApiClient {
 public:
  explicit InProcessClient(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  Result<boost::json::value> Call(const ApiCall& call) override {
    auto response = Run(call);
    if (!response.ok()) return response.status();
    if (response->stream) return Status::Internal(call.path + " answers with a stream");
    return std::move(response->json);
  }

  Status Stream(const ApiCall& call, std::ostream& out) override {
    auto response = Run(call);
    if (!response.ok()) return response.status();
    if (!response->stream) return Status::Internal(call.path + " answers with JSON, not a stream");
    return response->stream(out);
  }

 private:
  Result<ApiResponse> Run(const ApiCall& call) {
    if (!node_) {
      auto opened = node::Node::Open(data_dir_);
      if (!opened.ok()) return opened.status();
      node_ = std::move(opened).value();
    }
    ApiMatch match = DefaultApiRouter().Match(call.method, call.path);
    if (!match.ok()) return match.error.ToStatus();
    ApiRequest request;
    request.method = call.method;
    request.path = call.path;
    request.query = call.query;
    if (!call.body.is_null()) request.body = boost::json::serialize(call.body);
    request.upload_path = call.upload_path;
    request.progress = call.progress;
    // Whoever may open the data dir owns the node.
    request.role = ApiRole::kAdmin;
    ApiContext ctx{*node_, nullptr, data_dir_, {}};
    ApiOutcome outcome = RunRoute(match, ctx, request);
    if (!outcome.ok()) return outcome.error.ToStatus();
    return std::move(outcome.response);
  }

  std::string data_dir_;
  std::unique_ptr<node::Node> node_;
};

bool ProcessAlive(int64_t pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

}  // namespace

std::string ApiPath(std::initializer_list<std::string_view> segments) {
  std::string out;
  for (std::string_view s : segments) {
    out.push_back('/');
    out += PercentEncode(s);
  }
  return out;
}

std::unique_ptr<ApiClient> MakeInProcessClient(std::string data_dir) {
  return std::make_unique<InProcessClient>(std::move(data_dir));
}

Result<std::unique_ptr<ApiClient>> ConnectApi(const std::string& data_dir,
                                              const std::string& node_url, const std::string& token,
                                              const std::string& node_id) {
  if (!node_url.empty()) return MakeHttpClient(node_url, token, node_id);
  auto running = ReadRuntimeFile(data_dir);
  if (!running.ok()) {
    if (running.status().IsNotFound()) return MakeInProcessClient(data_dir);
    return running.status();
  }
  // A file left by a daemon that was killed: the directory is free.
  if (!ProcessAlive(running->pid)) return MakeInProcessClient(data_dir);
  if (running->api_url.empty()) {
    return Status::FailedPrecondition("a node is serving " + data_dir + " (pid " +
                                      std::to_string(running->pid) + ") but " +
                                      RuntimeFilePath(data_dir) + " has no API address");
  }
  return MakeHttpClient(running->api_url, running->api_token, running->node_id);
}

}  // namespace kongsi::server
