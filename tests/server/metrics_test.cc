// GET /metrics and GET /healthz over real HTTP on loopback. The metrics are
// read back with a parser of Prometheus' text exposition format (0.0.4), so
// a malformed line, a sample without its HELP and TYPE, or a counter not
// named *_total fails here before a scraper sees it.
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "server/peer_registry.h"
#include "tests/server/loopback_api.h"

namespace kongsi::server {
namespace {

// Samples by their text "name{labels}" (labels as sent).
using Samples = std::map<std::string, double>;

// Parses the exposition text; every failure is a test failure naming the line.
Samples ParseExposition(const std::string& text) {
  Samples samples;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("# HELP ", 0) == 0) {
      helped.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      EXPECT_TRUE(type == "counter" || type == "gauge") << "line " << n << ": " << line;
      EXPECT_TRUE(helped.count(name)) << "line " << n << ": TYPE before HELP";
      if (type == "counter") {
        EXPECT_EQ(name.substr(name.size() - 6), "_total") << name;
      }
      types[name] = type;
      continue;
    }
    EXPECT_FALSE(line.empty() || line[0] == '#') << "line " << n << ": " << line;
    size_t space = line.rfind(' ');
    if (space == std::string::npos) {
      ADD_FAILURE() << "line " << n << ": no value: " << line;
      continue;
    }
    std::string series = line.substr(0, space);
    std::string name = series.substr(0, series.find('{'));
    EXPECT_TRUE(types.count(name)) << "line " << n << ": sample of " << name << " without TYPE";
    if (series.find('{') != std::string::npos) {
      EXPECT_EQ(series.back(), '}') << "line " << n;
    }
    size_t used = 0;
    double value = std::stod(line.substr(space + 1), &used);
    EXPECT_EQ(used, line.size() - space - 1) << "line " << n << ": " << line;
    EXPECT_TRUE(samples.emplace(series, value).second) << "line " << n << ": repeated series";
  }
  return samples;
}

class MetricsTest : public LoopbackApiTest {
 protected:
  Samples Scrape(const HttpHeaders& headers) {
    HttpReply r = Send("GET", "/metrics", headers);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8");
    return ParseExposition(r.body);
  }
  PeerRegistry peers_;
};

TEST_F(MetricsTest, CountersMoveWithPublishesAndAnswers) {
  StartServer();
  Samples before = Scrape(Bearer(viewer_));
  EXPECT_EQ(before.at("kongsi_api_tokens{role=\"viewer\"}"), 1);
  EXPECT_EQ(before.at("kongsi_api_tokens{role=\"publisher\"}"), 1);
  EXPECT_EQ(before.at("kongsi_collections"), 0);
  EXPECT_GT(before.at("kongsi_rocksdb_size_bytes"), 0);
  EXPECT_EQ(before.at("kongsi_commits_rejected_total{reason=\"refused\"}"), 0);

  Publish("budget", "spend", "id,amount\n1,10\n2,20\n", "id");
  EXPECT_EQ(Send("GET", "/v1/collections/nope", Bearer(viewer_)).status, 404);
  Samples after = Scrape(Bearer(viewer_));
  EXPECT_GT(after.at("kongsi_commits_applied_total"), before.at("kongsi_commits_applied_total"));
  EXPECT_EQ(after.at("kongsi_collections"), 1);
  auto coll = node_->ResolveCollection("budget");
  ASSERT_TRUE(coll.ok());
  const std::string labels = "{collection=\"" + node::HexId(*coll) + "\",name=\"budget\"}";
  EXPECT_EQ(after.at("kongsi_pending_commits" + labels), 0);
  EXPECT_GE(after.at("kongsi_collection_commits" + labels), 2);  // genesis, dataset, rows
  // The scrape before, the publish's requests, the 404.
  EXPECT_GT(after.at("kongsi_api_responses_total{class=\"2xx\"}"),
            before.at("kongsi_api_responses_total{class=\"2xx\"}"));
  EXPECT_GE(after.at("kongsi_api_responses_total{class=\"4xx\"}"), 2);
  EXPECT_EQ(counters_->Responses(5), 0u);
}

TEST_F(MetricsTest, PeersTheirLinksAndLagAreLabelledByNodeId) {
  StartServer([this](ApiContext& ctx) { ctx.peers = &peers_; });
  Samples none = Scrape(Bearer(viewer_));
  EXPECT_EQ(none.at("kongsi_peers_connected"), 0);
  PeerState p;
  p.node_id = std::string(32, '\x07');
  p.name = "ngo \"b\"";  // quotes in a label value are escaped
  p.connected = true;
  p.configured = true;
  p.connects = 2;
  p.stats.bytes_in = 1000;
  p.stats.bytes_out = 250;
  p.behind[std::string(16, '\x01')] = 7;
  peers_.Put(p);
  Samples some = Scrape(Bearer(viewer_));
  EXPECT_EQ(some.at("kongsi_peers_connected"), 1);
  EXPECT_EQ(some.at("kongsi_peers_configured"), 1);
  const std::string peer = "peer=\"" + node::NodeIdText(p.node_id) + "\",name=\"ngo \\\"b\\\"\"";
  EXPECT_EQ(some.at("kongsi_peer_received_bytes_total{" + peer + "}"), 1000);
  EXPECT_EQ(some.at("kongsi_peer_sent_bytes_total{" + peer + "}"), 250);
  EXPECT_EQ(some.at("kongsi_peer_connects_total{" + peer + "}"), 2);
  EXPECT_EQ(some.at("kongsi_peer_commits_behind{" + peer + ",collection=\"" +
                    node::HexId(std::string(16, '\x01')) + "\"}"),
            7);
}

TEST_F(MetricsTest, MetricsNeedAViewerTokenUnlessPublic) {
  StartServer();
  EXPECT_EQ(Send("GET", "/metrics", {}).status, 401);
  EXPECT_EQ(Send("GET", "/metrics", {{"Authorization", "Bearer kongsi_0_0"}}).status, 401);
  EXPECT_EQ(Send("GET", "/metrics", {{"Authorization", viewer_}}).status, 200);  // CKAN's form
}

TEST_F(MetricsTest, MetricsPublicServesThemWithoutAToken) {
  StartServer([](ApiContext& ctx) { ctx.metrics_public = true; });
  EXPECT_EQ(Scrape({}).count("kongsi_commits_applied_total"), 1u);
  EXPECT_EQ(Send("GET", "/v1/status", {}).status, 401);
  EXPECT_EQ(Send("GET", "/api/3/action/package_list", {}).status, 403);
}

TEST_F(MetricsTest, HealthzNeedsNoTokenAndSaysOkWhileTheDatabaseReads) {
  StartServer();
  HttpReply r = Send("GET", "/healthz", {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("status"), "ok");
}

}  // namespace
}  // namespace kongsi::server
