// `kongsi demo [--once] [--dir DIR]`: a coalition of three organisations on
// 127.0.0.1, step by step, on the World Bank GDP table. Every step goes
// through a node's HTTP API, as the CLI or the web console would; the line
// starting with `$` shows the command a person would type for it.
#include <fmt/format.h>
#include <stdlib.h>

#include <boost/json/object.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "server/cli_commands.h"
#include "server/cli_output.h"
#include "server/config.h"
#include "server/demo.h"

namespace kongsi::server {
namespace {

namespace fs = std::filesystem;
using demo::DemoNode;

struct DemoArgs {
  bool once = false;
  std::string dir;
  std::string shared_data;
};

constexpr char kCollection[] = "world-gdp";
constexpr char kDataset[] = "gdp";
constexpr char kKey[] = "Country Code,Year";
constexpr char kKeyColumn[] = "Country Code";
constexpr std::chrono::seconds kConvergeTimeout{120};
// The cell two organisations edit concurrently, and the one org3 edits
// after its revocation: rows of org3's years.
constexpr char kConflictRow[] = "Indonesia,IDN,2014,";
constexpr char kRevokedRow[] = "Indonesia,IDN,2015,";

class Walkthrough {
 public:
  Walkthrough(CliContext& ctx, DemoArgs args) : ctx_(ctx), out_(*ctx.out), args_(std::move(args)) {}
  ~Walkthrough() { Finish(); }

  Status Run();
  // Stops the nodes; removes the temporary directory (not a --dir).
  void Finish();
  // The last lines of each node's log: what a failure report needs before
  // Finish removes them.
  void PrintLogTails(std::ostream& err) const;

 private:
  Status Prepare();
  Status StartNodes();
  Status ConnectAndShare();
  Status Publish();
  Status ConcurrentEdit();
  Status Summary();
  Status Revoke();
  void Consoles();

  void Step(const std::string& title) { out_ << fmt::format("\n{}. {}\n", ++step_, title) << std::flush; }
  void Say(const std::string& line) { out_ << "   " << line << '\n' << std::flush; }
  void Cmd(const DemoNode& n, const std::string& args) {
    out_ << "   $ kongsi --data " << n.data_dir() << ' ' << args << '\n';
  }
  DemoNode& org(int i) { return *nodes_[i]; }
  std::string Who(const std::string& node_id) const;
  Status PublishFile(DemoNode& n, const std::string& path, const std::string& message);
  Status Tag(const std::string& name, const std::string& message);
  Result<std::string> Digest(DemoNode& n);
  Status WaitConverged(const std::vector<DemoNode*>& nodes, const std::string& why);
  Status WriteOneRow(const std::string& path, const std::string& row);

  CliContext& ctx_;
  std::ostream& out_;
  DemoArgs args_;
  std::string root_, data_, exe_;
  bool remove_root_ = false;
  int step_ = 0;
  std::vector<std::unique_ptr<DemoNode>> nodes_;
};

std::string Walkthrough::Who(const std::string& node_id) const {
  for (const auto& n : nodes_) {
    if (n->node_id() == node_id) return n->label() + " (" + n->org_name() + ")";
  }
  return node_id.substr(0, 8);
}

Status Walkthrough::Prepare() {
  auto data = demo::FindSharedData(args_.shared_data);
  if (!data.ok()) return data.status();
  data_ = *data;
  std::error_code ec;
  exe_ = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec) return Status::IoError("cannot find this program's path (/proc/self/exe): " + ec.message());
  if (!args_.dir.empty()) {
    if (fs::exists(args_.dir, ec) && !fs::is_empty(args_.dir, ec)) {
      return Status::FailedPrecondition("--dir " + args_.dir + " is not empty: give a new or empty directory");
    }
    fs::create_directories(args_.dir, ec);
    if (ec) return Status::IoError("cannot create " + args_.dir + ": " + ec.message());
    root_ = fs::absolute(args_.dir).string();
    return Status::Ok();
  }
  std::string pattern = (fs::temp_directory_path() / "kongsi-demo-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return Status::IoError("cannot create a temporary directory");
  root_ = pattern;
  remove_root_ = true;
  return Status::Ok();
}

Status Walkthrough::StartNodes() {
  Step("Start three nodes on 127.0.0.1, one per organisation (each: a key pair, a database, `kongsi serve`)");
  const char* names[] = {"Budget Watch", "Open Books Lab", "Fiscal Monitor"};
  for (int i = 0; i < 3; ++i) {
    std::string label = "org" + std::to_string(i + 1);
    nodes_.push_back(std::make_unique<DemoNode>(label, names[i], root_ + "/" + label, root_ + "/" + label + ".log"));
    KONGSI_RETURN_IF_ERROR(org(i).Init());
    // Redial a restarted partner within a second or two, not the default
    // 30 s cap: the demo restarts org2 once.
    Config config;
    config.reconnect_min_ms = 200;
    config.reconnect_max_ms = 2000;
    KONGSI_RETURN_IF_ERROR(SaveConfig(org(i).data_dir(), config));
    KONGSI_RETURN_IF_ERROR(org(i).Start(exe_));
    Say(fmt::format("{} {:<15} node {}  api {}", label, names[i], org(i).node_id(), org(i).api_url()));
  }
  Say("node logs: " + root_ + "/org*.log");
  return Status::Ok();
}

Status Walkthrough::ConnectAndShare() {
  Step("Connect the nodes as peers in a line, org1 - org2 - org3: org1 and org3 never connect, org2 relays");
  for (auto [a, b] : {std::pair{0, 1}, std::pair{1, 2}}) {
    for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
      ApiCall call{"POST", "/v1/peers"};
      call.body = boost::json::object{
          {"url", org(y).peer_url()}, {"node_id", org(y).node_id()}, {"name", org(y).label()}, {"auto_join", true}};
      auto added = org(x).Call(call);
      if (!added.ok()) return added.status();
    }
    Say(org(a).label() + " <-> " + org(b).label() + " (each pins the other's node ID; TLS 1.3 both ways)");
  }
  Cmd(org(0), "peer add " + org(1).peer_url() + " " + org(1).node_id() + " --auto-join");

  Step("org1 creates the coalition collection '" + std::string(kCollection) + "' and grants roles");
  ApiCall create{"POST", "/v1/collections"};
  create.body = boost::json::object{{"name", kCollection}, {"description", "World Bank GDP, pooled by three organisations"}};
  if (auto r = org(0).Call(create); !r.ok()) return r.status();
  Cmd(org(0), std::string("collection create ") + kCollection);
  for (auto [i, role] : {std::pair{1, "admin"}, std::pair{2, "writer"}}) {
    ApiCall grant{"POST", ApiPath({"v1", "collections", kCollection, "acl"})};
    grant.body = boost::json::object{{"node_id", org(i).node_id()}, {"role", role}};
    if (auto r = org(0).Call(grant); !r.ok()) return r.status();
    Say(fmt::format("{} is {} {}", org(i).label(), std::string(role) == "admin" ? "an" : "a", role) +
        (i == 1 ? " (a coalition keeps two admins, so losing one key does not lock it)" : ""));
  }
  Cmd(org(0), std::string("acl grant ") + kCollection + " " + org(2).node_id() + " writer");
  return Status::Ok();
}

Status Walkthrough::PublishFile(DemoNode& n, const std::string& path, const std::string& message) {
  ApiCall call{"PUT", ApiPath({"v1", "collections", kCollection, "datasets", kDataset})};
  call.upload_path = path;
  call.query = {{"key", kKey}, {"message", message}};
  auto r = n.Call(call);
  return r.ok() ? Status::Ok() : r.status();
}

Status Walkthrough::Tag(const std::string& name, const std::string& message) {
  ApiCall call{"POST", ApiPath({"v1", "collections", kCollection, "tags"})};
  call.body = boost::json::object{{"name", name}, {"message", message}};
  auto r = org(0).Call(call);
  if (!r.ok()) return r.status();
  Cmd(org(0), "tag create " + name + " --collection " + kCollection);
  return Status::Ok();
}

Result<std::string> Walkthrough::Digest(DemoNode& n) {
  auto doc = n.Call({"GET", ApiPath({"v1", "collections", kCollection, "digest"})});
  if (!doc.ok()) return doc.status();
  return Text(*doc, "digest");
}

Status Walkthrough::WaitConverged(const std::vector<DemoNode*>& nodes, const std::string& why) {
  std::string names, digest;
  for (auto* n : nodes) names += (names.empty() ? "" : ", ") + n->label();
  const auto start = std::chrono::steady_clock::now();
  KONGSI_RETURN_IF_ERROR(demo::WaitUntil("the digests of " + names + " to agree", kConvergeTimeout, [&] {
    std::string seen;
    bool same = true;
    for (auto* n : nodes) {
      auto d = Digest(*n);
      std::string text = d.ok() ? *d : "none";
      seen += (seen.empty() ? "" : ", ") + n->label() + "=" + text.substr(0, 12);
      if (n == nodes[0]) digest = text;
      same = same && d.ok() && text == digest;
    }
    return same ? Status::Ok() : Status::NotFound("digests " + seen);
  }));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Say(fmt::format("converged: {} hold the same state (digest {}...) after {:.1f} s{}", names, digest.substr(0, 16),
                  secs, why.empty() ? "" : "; " + why));
  return Status::Ok();
}

Status Walkthrough::Publish() {
  Step("Each organisation publishes its own years of the World Bank GDP table (" + data_ + "/gdp/data/gdp.csv)");
  std::vector<std::string> parts;
  for (auto& n : nodes_) parts.push_back(root_ + "/" + n->label() + "-gdp.csv");
  auto counts = demo::SplitCsvByColumn(data_ + "/gdp/data/gdp.csv", "Year", {1980, 2000}, parts);
  if (!counts.ok()) return counts.status();
  const char* years[] = {"before 1980", "1980-1999", "2000 and later"};
  // org1 first: the dataset (and its schema) must exist before the others
  // add rows to it, which they learn of through the collection.
  for (int i = 0; i < 3; ++i) {
    if (i == 1) {
      for (int j : {1, 2}) {
        KONGSI_RETURN_IF_ERROR(demo::WaitUntil(org(j).label() + " to receive the dataset", kConvergeTimeout, [&] {
          auto r = org(j).Call({"GET", ApiPath({"v1", "collections", kCollection, "datasets"})});
          if (!r.ok()) return r.status();
          return r->as_array().empty() ? Status::NotFound("no dataset yet") : Status::Ok();
        }));
      }
      Say("org2 and org3 joined the collection and received the dataset (org3 through org2)");
    }
    KONGSI_RETURN_IF_ERROR(PublishFile(org(i), parts[i], std::string("GDP, ") + years[i]));
    Say(fmt::format("{} published {} rows: years {}", org(i).label(), (*counts)[i], years[i]));
  }
  Cmd(org(0), "publish " + parts[0] + " --collection " + kCollection + " --dataset " + kDataset + " --key \"" + kKey + "\"");
  Step("Wait until all three nodes hold the same state");
  KONGSI_RETURN_IF_ERROR(WaitConverged({&org(0), &org(1), &org(2)}, "every commit travelled"));
  KONGSI_RETURN_IF_ERROR(Tag("all-parts", "every organisation's years"));
  return WaitConverged({&org(0), &org(1), &org(2)}, "the tag 'all-parts' names this version");
}

Status Walkthrough::WriteOneRow(const std::string& path, const std::string& row) {
  std::ofstream out(path, std::ios::trunc);
  out << "Country Name,Country Code,Year,Value\n" << row << '\n';
  out.close();
  return out ? Status::Ok() : Status::IoError("cannot write " + path);
}

Status Walkthrough::ConcurrentEdit() {
  Step("Two organisations edit one cell at the same time, without seeing each other's edit");
  org(1).Stop();
  Say("org2 (the relay) is stopped: org1 and org3 cannot reach each other now");
  const std::string edit1 = root_ + "/org1-edit.csv", edit3 = root_ + "/org3-edit.csv";
  KONGSI_RETURN_IF_ERROR(WriteOneRow(edit1, std::string(kConflictRow) + "890814755233.2"));
  KONGSI_RETURN_IF_ERROR(WriteOneRow(edit3, std::string(kConflictRow) + "888538201025.3"));
  KONGSI_RETURN_IF_ERROR(PublishFile(org(0), edit1, "Correct IDN 2014 (national statistics office)"));
  Say("org1 sets Indonesia 2014 to 890814755233.2");
  KONGSI_RETURN_IF_ERROR(PublishFile(org(2), edit3, "Correct IDN 2014 (IMF figure)"));
  Say("org3 sets Indonesia 2014 to 888538201025.3");
  KONGSI_RETURN_IF_ERROR(org(1).Start(exe_));
  Say("org2 is back on the same port; the edits travel both ways");
  KONGSI_RETURN_IF_ERROR(WaitConverged({&org(0), &org(1), &org(2)}, "one value won on every node, the other is kept as a conflict"));
  KONGSI_RETURN_IF_ERROR(Tag("after-edits", "after the concurrent edits"));
  return WaitConverged({&org(0), &org(1), &org(2)}, "");
}

Status Walkthrough::Summary() {
  Step("The merged collection, as every node now sees it");
  auto summary = demo::SummariseDataset(org(0), kCollection, kDataset, kKeyColumn);
  if (!summary.ok()) return summary.status();
  Say(fmt::format("dataset {}: {} rows", kDataset, summary->rows));
  Say("rows by contributing organisation (who last wrote the row):");
  for (auto& n : nodes_) {
    auto it = summary->rows_by_node.find(n->node_id());
    Say(fmt::format("  {} ({}): {} rows", n->label(), n->org_name(), it == summary->rows_by_node.end() ? 0 : it->second));
  }
  auto conflicts = org(0).Call({"GET", ApiPath({"v1", "collections", kCollection, "conflicts"})});
  if (!conflicts.ok()) return conflicts.status();
  Say(fmt::format("conflicts: {}", conflicts->as_array().size()));
  for (const auto& c : conflicts->as_array()) {
    std::string losers;
    for (const auto& l : c.at("losers").as_array()) {
      losers += (losers.empty() ? "" : "; ") + Text(l, "value_text") + " by " + Who(Text(l, "author"));
    }
    Say(fmt::format("  {} [{}] {}: {} by {} won (greater timestamp); kept as a conflict: {}", Text(c, "dataset"),
                    Text(c, "key_text"), Text(c, "field"), Text(c, "value_text"), Who(Text(c, "author")), losers));
  }
  Cmd(org(0), std::string("conflicts --collection ") + kCollection);

  Step("What changed between the tags 'all-parts' and 'after-edits'");
  ApiCall diff{"GET", ApiPath({"v1", "collections", kCollection, "diff"})};
  diff.query = {{"from", "all-parts"}, {"to", "after-edits"}};
  auto d = org(1).Call(diff);
  if (!d.ok()) return d.status();
  for (const auto& rec : d->at("records").as_array()) {
    for (const auto& c : rec.at("changes").as_array()) {
      Say(fmt::format("~ {} [{}] {}: {} -> {}", Text(rec, "dataset"), Text(rec, "key_text"), Text(c, "field"),
                      Text(c, "before_text"), Text(c, "after_text")));
    }
  }
  Cmd(org(1), std::string("diff --collection ") + kCollection + " --from all-parts --to after-edits");
  return Status::Ok();
}

Status Walkthrough::Revoke() {
  Step("org1 revokes org3; org3's later writes are cut");
  auto revoked = org(0).Call({"DELETE", ApiPath({"v1", "collections", kCollection, "acl", org(2).node_id()})});
  if (!revoked.ok()) return revoked.status();
  Cmd(org(0), std::string("acl revoke ") + kCollection + " " + org(2).node_id());
  KONGSI_RETURN_IF_ERROR(WaitConverged({&org(0), &org(1)}, "org2 has the revocation"));
  const std::string edit = root_ + "/org3-after-revoke.csv";
  KONGSI_RETURN_IF_ERROR(WriteOneRow(edit, std::string(kRevokedRow) + "1"));
  KONGSI_RETURN_IF_ERROR(PublishFile(org(2), edit, "written after the revocation"));
  Say("org3 (not yet aware) publishes Indonesia 2015 = 1 on its own node");
  std::string reason;
  KONGSI_RETURN_IF_ERROR(demo::WaitUntil("org2 to receive and refuse org3's write", kConvergeTimeout, [&] {
    auto log = org(1).Call({"GET", ApiPath({"v1", "collections", kCollection, "log"})});
    if (!log.ok()) return log.status();
    for (const auto& e : log->as_array()) {
      if (Text(e, "author") == org(2).node_id() && !e.at("valid").as_bool()) {
        reason = Text(e, "invalid_reason");
        return Status::Ok();
      }
    }
    return Status::NotFound("no invalid commit of org3 on org2 yet");
  }));
  Say("org2 received it and marked it INVALID: " + reason);
  KONGSI_RETURN_IF_ERROR(WaitConverged({&org(0), &org(1)}, "org3's write is in neither's data"));
  auto d1 = Digest(org(0)), d3 = Digest(org(2));
  if (!d1.ok()) return d1.status();
  if (!d3.ok()) return d3.status();
  Say(*d1 == *d3 ? "org3's digest still equals theirs (unexpected)"
                 : "org3 alone holds its write (digest " + d3->substr(0, 16) + "...); its earlier rows stay valid");
  return Status::Ok();
}

void Walkthrough::Consoles() {
  Step("Each node's web console (sign in with the node's API token)");
  for (auto& n : nodes_) {
    auto info = ReadRuntimeFile(n->data_dir());
    Say(fmt::format("{} ({}): {}/  token {}", n->label(), n->org_name(), n->api_url(), info.ok() ? info->api_token : "?"));
  }
}

Status Walkthrough::Run() {
  KONGSI_RETURN_IF_ERROR(Prepare());
  out_ << "Kongsi demo: three organisations share one table, each on its own node.\nWorking directory: " << root_
       << (remove_root_ ? " (removed at the end)" : " (kept)") << "\nTable: " << data_ << "/gdp/data/gdp.csv\n";
  KONGSI_RETURN_IF_ERROR(StartNodes());
  KONGSI_RETURN_IF_ERROR(ConnectAndShare());
  KONGSI_RETURN_IF_ERROR(Publish());
  KONGSI_RETURN_IF_ERROR(ConcurrentEdit());
  KONGSI_RETURN_IF_ERROR(Summary());
  KONGSI_RETURN_IF_ERROR(Revoke());
  Consoles();
  if (args_.once) {
    out_ << "\nDone (--once): stopping the nodes.\n";
    return Status::Ok();
  }
  out_ << "\nThe nodes keep running. Try: kongsi --data " << org(0).data_dir() << " export --collection " << kCollection
       << " --dataset " << kDataset << " --provenance | head\nPress Ctrl-C to stop them." << std::endl;
  demo::WaitForInterrupt([&] {
    for (auto& n : nodes_) {
      if (!n->running()) {
        out_ << n->label() << "'s node stopped by itself; see " << n->log_path() << '\n';
        return false;
      }
    }
    return true;
  });
  out_ << "\nStopping the nodes.\n";
  return Status::Ok();
}

void Walkthrough::PrintLogTails(std::ostream& err) const {
  constexpr size_t kTailLines = 8;
  for (const auto& n : nodes_) {
    std::ifstream in(n->log_path());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    err << "--- last lines of " << n->log_path() << " ---\n";
    for (size_t i = lines.size() > kTailLines ? lines.size() - kTailLines : 0; i < lines.size(); ++i) {
      err << lines[i] << '\n';
    }
  }
}

void Walkthrough::Finish() {
  for (auto& n : nodes_) n->Stop();
  if (remove_root_) {
    std::error_code ec;
    fs::remove_all(root_, ec);
    remove_root_ = false;
  }
}

}  // namespace

void AddDemoCommands(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* demo = app.add_subcommand(
      "demo", "Three organisations on 127.0.0.1 share the World Bank GDP table: peers, roles, merge, conflict, "
              "diff, revocation; runs until Ctrl-C");
  demo->add_flag("--once", args->once, "Stop the nodes as soon as the walk-through is done");
  demo->add_option("--dir", args->dir, "Keep the nodes' data dirs and logs here (new or empty; default: a "
                                       "temporary directory, removed at the end)");
  demo->add_option("--shared-data", args->shared_data,
                   "The shared data dir (default: $KONGSI_SHARED_DATA, else ../shared/data from the working "
                   "directory, else beside the clone the binary was built in)");
  OnRun(demo, ctx, [&ctx, args] {
    demo::CatchInterrupts();
    Walkthrough walk(ctx, *args);
    Status s = walk.Run();
    if (!s.ok()) {
      // The logs are about to go with the temporary directory.
      walk.PrintLogTails(*ctx.err);
    }
    walk.Finish();
    return s;
  });
}

}  // namespace kongsi::server
