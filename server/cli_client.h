// How the `kongsi` CLI reaches a node: every command (but init and serve)
// is a call of the local API. With a daemon serving the data dir (its
// <data>/serve.json names a live pid) the call goes over HTTP with the
// token the daemon left there; with --node URL it goes to that node; with
// neither, the CLI opens the node itself and dispatches the call in-process
// to the same route handlers (server/api_router.h).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "server/api_url.h"
#include "storage/status.h"

namespace kongsi::server {

struct ApiCall {
  ApiCall(std::string m, std::string p) : method(std::move(m)), path(std::move(p)) {}

  std::string method;
  std::string path;         // encoded: build it with ApiPath
  QueryList query;          // decoded values
  boost::json::value body;  // null: no body
  std::string upload_path;  // a file sent as the body (publish)
  // Progress of a long call: pass 0 uploading, 1 checking, 2 publishing.
  std::function<void(uint64_t rows, uint64_t bytes, int pass)> progress;
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;
  // The JSON response; an error response as the Status it names.
  virtual Result<boost::json::value> Call(const ApiCall& call) = 0;
  // A streamed response (export), copied to `out` as it arrives.
  virtual Status Stream(const ApiCall& call, std::ostream& out) = 0;
};

// "/v1/collections/<name>": each segment percent-encoded.
std::string ApiPath(std::initializer_list<std::string_view> segments);

// `node_url` empty: serve.json of `data_dir`, else in-process.
Result<std::unique_ptr<ApiClient>> ConnectApi(const std::string& data_dir,
                                              const std::string& node_url, const std::string& token,
                                              const std::string& node_id);

// Opens the node in `data_dir` on first use; calls run with the admin role.
std::unique_ptr<ApiClient> MakeInProcessClient(std::string data_dir);

// http://HOST:PORT or https://HOST:PORT. For https, `node_id` (text form)
// pins the node certificate; it is required, as there is no CA.
Result<std::unique_ptr<ApiClient>> MakeHttpClient(const std::string& url, std::string token,
                                                  const std::string& node_id);

}  // namespace kongsi::server
