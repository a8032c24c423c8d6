// `kongsi demo`: three organisations on 127.0.0.1 sharing one table. The
// pieces of server/cli_demo*.cc: real `kongsi serve` child processes
// (cli_demo_nodes.cc), the input table and the summary (cli_demo_data.cc),
// and the walk-through itself (cli_demo.cc).
#pragma once

#include <sys/types.h>

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "server/cli_client.h"
#include "server/runtime_file.h"
#include "storage/status.h"

namespace kongsi::server::demo {

// Set by SIGINT/SIGTERM; every wait of the demo gives up when it is.
bool Interrupted();
// Installs the handlers that set Interrupted().
void CatchInterrupts();
// Blocks until SIGINT or SIGTERM, or until `alive` returns false (a node
// died); checks `alive` once a second.
void WaitForInterrupt(const std::function<bool()>& alive);

// Polls `ready` (a Status other than OK is "not yet", kept for the message)
// until it is OK, `timeout` passes or the user interrupts. The error names
// `what` and the last answer.
Status WaitUntil(const std::string& what, std::chrono::seconds timeout, const std::function<Status()>& ready);

// One organisation's node: its data dir, and `kongsi serve` running as a
// child process in its own process group (Ctrl-C reaches the demo, which
// stops the nodes in order). The peer port chosen by the first start is kept
// on restarts, so partners' configs stay right.
class DemoNode {
 public:
  DemoNode(std::string label, std::string org_name, std::string data_dir, std::string log_path);
  ~DemoNode();  // Stop()
  DemoNode(const DemoNode&) = delete;
  DemoNode& operator=(const DemoNode&) = delete;

  // Creates the key pair and database (as `kongsi init` does).
  Status Init();
  // Starts `exe serve` and waits (bounded) until it has written serve.json.
  Status Start(const std::string& exe);
  // SIGTERM, then SIGKILL if it has not stopped within 20 s. Idempotent.
  void Stop();
  bool running();

  // A call of this node's API (over HTTP, as any client would).
  Result<boost::json::value> Call(const ApiCall& call);
  Status Stream(const ApiCall& call, std::ostream& out);

  const std::string& label() const { return label_; }  // "org1"
  const std::string& org_name() const { return org_name_; }
  const std::string& node_id() const { return node_id_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  std::string api_url() const { return info_.api_url; }
  std::string peer_url() const { return info_.peer_url; }

 private:
  std::string label_, org_name_, data_dir_, log_path_, node_id_;
  pid_t pid_ = -1;
  uint16_t peer_port_ = 0;
  RuntimeInfo info_;
  std::unique_ptr<ApiClient> api_;
};

// Where the demo finds ../shared/data: `flag` if given, else
// $KONGSI_SHARED_DATA, else ../shared/data from the working directory, else
// from the binary (build/bin/kongsi -> ../shared/data beside the clone).
// The error lists every place tried.
Result<std::string> FindSharedData(const std::string& flag);

// The rows of a CSV (header kept in each part) split by the integer in
// `column`: part i holds the rows with value < upper_bounds[i] and not in an
// earlier part; the last part takes the rest. Writes `paths[i]` and returns
// the row count of each part.
Result<std::vector<uint64_t>> SplitCsvByColumn(const std::string& csv_path, const std::string& column,
                                               const std::vector<int64_t>& upper_bounds,
                                               const std::vector<std::string>& paths);

// What the merged dataset holds, read from one node's export with
// provenance: rows, and rows per contributing node (the node that last
// upserted the record, i.e. the author of its key cells).
struct MergedSummary {
  uint64_t rows = 0;
  std::map<std::string, uint64_t> rows_by_node;  // node ID text -> rows
};
Result<MergedSummary> SummariseDataset(DemoNode& node, const std::string& collection,
                                       const std::string& dataset, const std::string& key_column);

}  // namespace kongsi::server::demo
