// End-to-end tests of the `kongsi` command line: real processes on a temp
// data dir, checking stdout, stderr and exit codes as a script would.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kongsi-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    data_ = dir_ / "data";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `kongsi --data DIR <args>`; `args` is shell text (the test's own
  // paths and words, nothing that needs escaping beyond simple quotes).
  RunResult Kongsi(const std::string& args) {
    fs::path err_file = dir_ / "stderr.txt";
    std::string cmd = std::string(KONGSI_BINARY) + " --data '" + data_.string() + "' " + args +
                      " 2>'" + err_file.string() + "'";
    RunResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = ReadFile(err_file);
    return r;
  }

  // Runs a command that must succeed; returns its stdout.
  std::string Ok(const std::string& args) {
    RunResult r = Kongsi(args);
    EXPECT_EQ(r.code, 0) << "kongsi " << args << "\nstderr: " << r.err;
    return r.out;
  }

  fs::path Write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // init + a collection "budget" + dataset "spend" published from `csv`.
  void SetUpBudget(const std::string& csv) {
    Ok("init --name 'Org A'");
    Ok("collection create budget --description 'Budget lines'");
    Ok("publish '" + Write("spend.csv", csv).string() +
       "' --collection budget --dataset spend --key id --message first");
  }

  fs::path dir_;
  fs::path data_;
};

// Quotes, embedded delimiters and newlines, an empty cell, source spellings
// ("20.50", "007") that typed storage must give back unchanged.
const char kCsv[] =
    "id,name,amount,code\n"
    "1,Alpha,10,007\n"
    "2,\"Beta, Inc\",20.50,008\n"
    "3,\"say \"\"hi\"\"\nand bye\",,010\n";

const char kCsvChanged[] =
    "id,name,amount,code\n"
    "1,Alpha,10,007\n"
    "2,\"Beta, Inc\",21,008\n"
    "3,\"say \"\"hi\"\"\nand bye\",,010\n";

TEST_F(CliTest, InitThenIdPrintsTheSameNodeId) {
  std::string init = Ok("init --name 'Org A'");
  ASSERT_EQ(init.size(), 53u) << init;  // 52 base32 characters and a newline
  EXPECT_EQ(Ok("id"), init);

  json::value id = json::parse(Ok("id --json"));
  EXPECT_EQ(id.at("node_id").as_string(), init.substr(0, 52));
  EXPECT_EQ(id.at("name").as_string(), "Org A");
  EXPECT_EQ(id.at("public_key").as_string().size(), 64u);

  RunResult again = Kongsi("init --name 'Org B'");
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err.rfind("kongsi: ", 0), 0u) << again.err;
}

TEST_F(CliTest, CommandsOnAMissingDataDirFail) {
  RunResult r = Kongsi("id");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("kongsi init"), std::string::npos) << r.err;
}

TEST_F(CliTest, CollectionCreateAndList) {
  Ok("init --name 'Org A'");
  std::string id = Ok("collection create budget --description 'Budget lines'");
  ASSERT_EQ(id.size(), 33u) << id;  // 16 bytes in hex and a newline
  id.pop_back();

  std::string list = Ok("collection list");
  EXPECT_NE(list.find("budget"), std::string::npos) << list;
  EXPECT_NE(list.find(id), std::string::npos) << list;

  json::value doc = json::parse(Ok("collection list --json"));
  ASSERT_EQ(doc.as_array().size(), 1u);
  const json::object& c = doc.as_array()[0].as_object();
  EXPECT_EQ(c.at("id").as_string(), id);
  EXPECT_EQ(c.at("name").as_string(), "budget");
  EXPECT_EQ(c.at("joined").as_bool(), true);
  EXPECT_EQ(c.at("version_total").as_int64(), 1);

  // --collection takes the id as well as the name.
  EXPECT_EQ(Ok("digest --collection " + id), Ok("digest --collection budget"));
}

TEST_F(CliTest, PublishThenExportGivesTheInputBack) {
  SetUpBudget(kCsv);
  EXPECT_EQ(Ok("export --collection budget --dataset spend"), kCsv);
  EXPECT_EQ(Ok("export --collection budget --dataset spend --format csv"), kCsv);

  // Re-publishing the same file changes nothing.
  json::value again = json::parse(Ok("publish '" + (dir_ / "spend.csv").string() +
                                     "' --collection budget --dataset spend --json"));
  EXPECT_EQ(again.at("ops").as_int64(), 0);
  EXPECT_EQ(again.at("rows_read").as_int64(), 3);
}

TEST_F(CliTest, ExportWithProvenanceNamesTheAuthor) {
  SetUpBudget(kCsv);
  std::string node_id = Ok("id");
  node_id.pop_back();
  std::string csv = Ok("export --collection budget --dataset spend --provenance");
  std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_EQ(header, "id,name,amount,code,id.by,name.by,amount.by,code.by");
  std::string first_row =
      csv.substr(header.size() + 1, csv.find('\n', header.size() + 1) - header.size() - 1);
  EXPECT_EQ(first_row, "1,Alpha,10,007," + node_id + "," + node_id + "," + node_id + "," + node_id);

  json::value doc =
      json::parse(Ok("export --collection budget --dataset spend --format json --provenance"));
  const json::object& row3 = doc.as_array()[2].as_object();
  EXPECT_TRUE(row3.at("amount").is_null());
  EXPECT_EQ(row3.at("_by").at("name").as_string(), node_id);
  EXPECT_FALSE(row3.at("_by").as_object().contains("amount"));  // null: nobody wrote it
}

TEST_F(CliTest, JsonOutputsParse) {
  Ok("init --name 'Org A'");
  Ok("collection create budget");
  json::value pub = json::parse(Ok("--json publish '" + Write("spend.csv", kCsv).string() +
                                   "' --collection budget --dataset spend --key id"));
  EXPECT_EQ(pub.at("rows_read").as_int64(), 3);
  EXPECT_EQ(pub.at("rows_changed").as_int64(), 3);
  EXPECT_GE(pub.at("commits").as_int64(), 1);
  EXPECT_TRUE(pub.at("created_dataset").as_bool());

  json::value rows = json::parse(Ok("export --collection budget --dataset spend --json"));
  ASSERT_EQ(rows.as_array().size(), 3u);
  EXPECT_EQ(rows.as_array()[1].at("name").as_string(), "Beta, Inc");
  EXPECT_EQ(rows.as_array()[0].at("id").as_int64(), 1);

  std::istringstream ndjson(Ok("export --collection budget --dataset spend --format ndjson"));
  std::string line;
  int lines = 0;
  while (std::getline(ndjson, line)) {
    EXPECT_TRUE(json::parse(line).is_object()) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 3);

  json::value log = json::parse(Ok("log --collection budget --json"));
  ASSERT_EQ(log.as_array().size(), 2u);
  EXPECT_EQ(log.as_array()[0].at("seq").as_int64(), 2);  // newest first
  EXPECT_TRUE(log.as_array()[0].at("valid").as_bool());

  json::value status = json::parse(Ok("status --json"));
  EXPECT_EQ(status.at("name").as_string(), "Org A");
  ASSERT_EQ(status.at("collections").as_array().size(), 1u);
  EXPECT_EQ(status.at("collections").as_array()[0].at("datasets").as_int64(), 1);

  json::value acl = json::parse(Ok("acl list budget --json"));
  ASSERT_EQ(acl.as_array().size(), 1u);
  EXPECT_EQ(acl.as_array()[0].at("role").as_string(), "admin");

  json::value digest = json::parse(Ok("digest --collection budget --json"));
  EXPECT_EQ(digest.at("digest").as_string().size(), 64u);
  EXPECT_TRUE(json::parse(Ok("tag list --collection budget --json")).is_array());
  EXPECT_TRUE(json::parse(Ok("conflicts --collection budget --json")).is_array());
}

TEST_F(CliTest, AclGrantWithABadNodeIdIsAUsageErrorAndWritesNothing) {
  SetUpBudget(kCsv);
  std::string digest = Ok("digest --collection budget");
  ASSERT_EQ(digest.size(), 65u) << digest;

  RunResult bad_id = Kongsi("acl grant budget NOT-A-NODE-ID writer");
  EXPECT_EQ(bad_id.code, 2);
  EXPECT_EQ(bad_id.err.rfind("kongsi: ", 0), 0u) << bad_id.err;
  EXPECT_EQ(std::count(bad_id.err.begin(), bad_id.err.end(), '\n'), 1) << bad_id.err;

  std::string other = Ok("id");  // a well-formed ID, with a role that is not one
  other.pop_back();
  RunResult bad_role = Kongsi("acl grant budget " + other + " boss");
  EXPECT_EQ(bad_role.code, 2);
  EXPECT_NE(bad_role.err.find("boss"), std::string::npos) << bad_role.err;

  EXPECT_EQ(Ok("digest --collection budget"), digest);
}

TEST_F(CliTest, AclGrantAndRevoke) {
  SetUpBudget(kCsv);
  const std::string other = "7C3A5XBF4ZWLXTAGHBNIGYVBRZT2JF5LPTWXZ2SHRJ6IYSO3OPUA";
  Ok("acl grant budget " + other + " writer");
  std::string list = Ok("acl list budget");
  EXPECT_NE(list.find(other), std::string::npos) << list;
  EXPECT_NE(list.find("writer"), std::string::npos) << list;
  Ok("acl revoke budget " + other);
  json::value acl = json::parse(Ok("acl list budget --json"));
  bool seen = false;
  for (const auto& m : acl.as_array()) {
    if (m.at("node_id").as_string() != other) continue;
    seen = true;
    EXPECT_EQ(m.at("role").as_string(), "none");
  }
  EXPECT_TRUE(seen);
}

TEST_F(CliTest, ExportAsOfATagGivesTheTaggedContent) {
  SetUpBudget(kCsv);
  Ok("tag create v1 --collection budget --message 'first cut'");
  Ok("publish '" + Write("spend2.csv", kCsvChanged).string() +
     "' --collection budget --dataset spend --key id");

  EXPECT_EQ(Ok("export --collection budget --dataset spend --as-of v1"), kCsv);
  EXPECT_EQ(Ok("export --collection budget --dataset spend"), kCsvChanged);

  RunResult again = Kongsi("tag create v1 --collection budget");
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("v1"), std::string::npos) << again.err;

  std::string tags = Ok("tag list --collection budget");
  EXPECT_NE(tags.find("first cut"), std::string::npos) << tags;
}

TEST_F(CliTest, DiffFromATagListsTheChangedCell) {
  SetUpBudget(kCsv);
  Ok("tag create v1 --collection budget");
  Ok("publish '" + Write("spend2.csv", kCsvChanged).string() +
     "' --collection budget --dataset spend --key id");

  std::string diff = Ok("diff --collection budget --from v1");
  EXPECT_NE(diff.find("~ spend [2] amount: 20.50 -> 21"), std::string::npos) << diff;
  EXPECT_EQ(diff.find("[1]"), std::string::npos) << diff;  // unchanged records are not listed

  json::value doc = json::parse(Ok("diff --collection budget --from v1 --to v1 --json"));
  EXPECT_TRUE(doc.at("records").as_array().empty());

  doc = json::parse(Ok("diff --collection budget --from v1 --json"));
  const json::array& records = doc.at("records").as_array();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].at("kind").as_string(), "changed");
  EXPECT_EQ(records[0].at("key").as_array()[0].as_int64(), 2);
  const json::array& changes = records[0].at("changes").as_array();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].at("field").as_string(), "amount");
  EXPECT_EQ(changes[0].at("after").to_number<double>(), 21.0);
}

TEST_F(CliTest, HistoryListsOpsNewestFirst) {
  SetUpBudget(kCsv);
  Ok("publish '" + Write("spend2.csv", kCsvChanged).string() +
     "' --collection budget --dataset spend --key id --message second");

  json::value doc = json::parse(Ok("history --collection budget --dataset spend --key 2 --json"));
  const json::array& ops = doc.as_array();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_GT(ops[0].at("seq").as_int64(), ops[1].at("seq").as_int64());
  EXPECT_EQ(ops[0].at("note").as_string(), "second");
  EXPECT_EQ(ops[0].at("cells").at("amount").to_number<double>(), 21.0);
  EXPECT_EQ(ops[1].at("note").as_string(), "first");

  std::string text = Ok("history --collection budget --dataset spend --key 2");
  EXPECT_LT(text.find("second"), text.find("first")) << text;

  // Key text is typed per the key field: "abc" is not an integer.
  RunResult bad = Kongsi("history --collection budget --dataset spend --key abc");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("abc"), std::string::npos) << bad.err;
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  Ok("init --name 'Org A'");
  EXPECT_EQ(Kongsi("").code, 2);
  EXPECT_EQ(Kongsi("collection").code, 2);
  EXPECT_EQ(Kongsi("export --collection x").code, 2);  // --dataset missing
  EXPECT_EQ(Kongsi("export --collection x --dataset y --format xml").code, 2);
  EXPECT_EQ(Kongsi("publish '" + Write("a.csv", kCsv).string() +
                   "' --collection x --dataset y --delimiter '#'")
                .code,
            2);
  EXPECT_EQ(Kongsi("--help").code, 0);
}

// ---- with a node running: the same commands go through its HTTP API ----

extern "C" char** environ;

class CliServeTest : public CliTest {
 protected:
  void TearDown() override {
    StopServe();
    CliTest::TearDown();
  }

  // `kongsi serve` on free loopback ports; returns once serve.json names
  // its API (bounded: a serve that does not come up fails the test).
  void StartServe() {
    std::string binary = KONGSI_BINARY, data = data_.string(), log = (dir_ / "serve.log").string();
    std::vector<std::string> args = {binary,          "--data",      data,           "serve",
                                     "--peer-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    ASSERT_EQ(posix_spawn(&serve_pid_, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 300; ++i) {
      std::string info = ReadFile(data_ / "serve.json");
      if (info.find("\"api_url\":\"http") != std::string::npos) {
        serve_ = json::parse(info);
        return;
      }
      ASSERT_EQ(waitpid(serve_pid_, nullptr, WNOHANG), 0)
          << "serve exited: " << ReadFile(dir_ / "serve.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "serve.json did not name an API within 30 s: " << ReadFile(dir_ / "serve.log");
  }

  // SIGTERM, then a bounded wait; the exit code of serve.
  int StopServe() {
    if (serve_pid_ <= 0) return -1;
    kill(serve_pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200 && waitpid(serve_pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (i == 199) {
        kill(serve_pid_, SIGKILL);
        waitpid(serve_pid_, &status, 0);
      }
    }
    serve_pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string ApiUrl() const { return std::string(serve_.at("api_url").as_string()); }

  pid_t serve_pid_ = -1;
  json::value serve_;
};

TEST_F(CliServeTest, CommandsGoThroughTheRunningNode) {
  SetUpBudget(kCsv);
  StartServe();
  // The node's RocksDB is the daemon's now: only the API can answer.
  EXPECT_TRUE(json::parse(Ok("status --json")).at("serving").as_bool());
  EXPECT_EQ(Ok("export --collection budget --dataset spend"), kCsv);
  Ok("tag create v1 --collection budget");
  std::string out = Ok("publish '" + Write("spend2.csv", kCsvChanged).string() +
                       "' --collection budget --dataset spend --key id");
  EXPECT_NE(out.find("rows changed  1"), std::string::npos) << out;
  EXPECT_NE(Ok("diff --collection budget --from v1").find("~ spend [2] amount: 20.50 -> 21"),
            std::string::npos);
  EXPECT_EQ(Ok("export --collection budget --dataset spend --as-of v1"), kCsv);

  // Errors keep their exit code and name what the user gave.
  RunResult bad = Kongsi("publish '" + Write("bad.csv", "id,v\n1,a\n2\n").string() +
                         "' --collection budget --dataset spend --key id");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find((dir_ / "bad.csv").string() + ": line 3"), std::string::npos) << bad.err;
  RunResult missing = Kongsi("digest --collection nope");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("nope"), std::string::npos) << missing.err;

  EXPECT_EQ(StopServe(), 0);
  EXPECT_FALSE(fs::exists(data_ / "serve.json"));
  // And without the node, the directory answers directly again.
  EXPECT_FALSE(json::parse(Ok("status --json")).at("serving").as_bool());
}

TEST_F(CliServeTest, NodeAndTokenReachANodeElsewhere) {
  SetUpBudget(kCsv);
  StartServe();
  std::string viewer = Ok("token create --role viewer --name ci");
  ASSERT_EQ(viewer.rfind("kongsi_", 0), 0u) << viewer;
  viewer.pop_back();
  // --data points nowhere useful: --node decides.
  std::string remote = "--node " + ApiUrl() + " --token " + viewer + " ";
  std::string digest = Ok("digest --collection budget");
  EXPECT_EQ(Ok(remote + "digest --collection budget"), digest);
  RunResult denied = Kongsi(remote + "tag create v2 --collection budget");
  EXPECT_EQ(denied.code, 1);
  EXPECT_NE(denied.err.find("publisher"), std::string::npos) << denied.err;
  RunResult no_token = Kongsi("--node " + ApiUrl() + " digest --collection budget");
  EXPECT_EQ(no_token.code, 1);
  EXPECT_NE(no_token.err.find("token"), std::string::npos) << no_token.err;

  EXPECT_NE(Ok("token list").find("ci"), std::string::npos);
  Ok("token revoke ci");
  EXPECT_EQ(Kongsi(remote + "digest --collection budget").code, 1);
  EXPECT_EQ(Ok("digest --collection budget"), digest);
}

TEST_F(CliTest, TokensAndPeersWorkWithoutARunningNode) {
  Ok("init --name 'Org A'");
  json::value token = json::parse(Ok("token create --role publisher --name ci --json"));
  EXPECT_EQ(token.at("role").as_string(), "publisher");
  EXPECT_EQ(Kongsi("token create --role boss").code, 2);
  EXPECT_EQ(Kongsi("token create --role viewer --name ci").code, 1);  // names are unique
  Ok("token revoke ci");
  EXPECT_EQ(Ok("token list").find("ci"), std::string::npos);

  const std::string other = "7C3A5XBF4ZWLXTAGHBNIGYVBRZT2JF5LPTWXZ2SHRJ6IYSO3OPUA";
  Ok("peer add wss://10.1.2.3:7600/v1/sync " + other + " --name b --auto-join");
  std::string peers = Ok("peer list");
  EXPECT_NE(peers.find(other), std::string::npos) << peers;
  EXPECT_NE(peers.find("disconnected"), std::string::npos) << peers;
  EXPECT_NE(ReadFile(data_ / "config.json").find("10.1.2.3"), std::string::npos);
  EXPECT_EQ(Kongsi("peer add http://x " + other).code, 2);
  Ok("peer remove b");
  EXPECT_NE(Ok("peer list").find("no peers"), std::string::npos);
  EXPECT_NE(Ok("collection invites").find("no invitations"), std::string::npos);
  EXPECT_EQ(Kongsi("collection join nothing").code, 1);
}

}  // namespace
