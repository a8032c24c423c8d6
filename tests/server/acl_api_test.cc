// The administrator's view through the API routes (issue 4): `acl list`,
// `acl log`, `log --invalid` and `members` answers, and the statuses bad
// grants and revokes get. Real nodes in temp dirs exchange real signed
// commits; requests go through the router and handlers the HTTP server
// and the CLI use (the HTTP transport itself is tested in api_test.cc).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "node/identity.h"
#include "node/node.h"
#include "server/api_router.h"
#include "tests/node/test_cluster.h"

namespace kongsi::server {
namespace {

namespace json = boost::json;
using node::testing::CreateDatasetOp;
using node::testing::GrantOp;
using node::testing::InitNode;
using node::testing::Int;
using node::testing::RevokeOp;
using node::testing::Str;
using node::testing::SyncInto;
using node::testing::TempDir;
using node::testing::TestSchema;
using node::testing::UpsertOp;

constexpr char kStranger[] = "7C3A5XBF4ZWLXTAGHBNIGYVBRZT2JF5LPTWXZ2SHRJ6IYSO3OPUA";

struct Answer {
  int status = 0;
  json::value body;  // the document, or {"error": {code, message}}
  std::string Message() const {
    return std::string(body.at("error").at("message").as_string());
  }
};

class AclApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = InitNode(dir_.Sub("a"), "Org A");
    b_ = InitNode(dir_.Sub("b"), "Org B");
    w_ = InitNode(dir_.Sub("w"), "Org W");
    ASSERT_TRUE(a_ && b_ && w_);
    auto coll = a_->CreateCollection("budget", "");
    ASSERT_TRUE(coll.ok()) << coll.status().ToString();
    coll_ = *coll;
    Commit(*a_, CreateDatasetOp("t", TestSchema()));
  }

  // Calls the route for `method` `target` ("/v1/..." with an optional
  // query) on `node` as an admin token would.
  Answer Call(node::Node& node, const std::string& method, const std::string& target,
              const std::string& body = "") {
    ApiRequest request;
    request.method = method;
    request.path = target.substr(0, target.find('?'));
    if (target.find('?') != std::string::npos) {
      std::string query = target.substr(target.find('?') + 1);
      request.query.emplace_back(query.substr(0, query.find('=')),
                                 query.substr(query.find('=') + 1));
    }
    request.body = body;
    request.role = ApiRole::kAdmin;
    ApiMatch match = DefaultApiRouter().Match(method, request.path);
    EXPECT_TRUE(match.ok()) << method << " " << target;
    if (!match.ok()) return {match.error.http_status, match.error.ToJson()};
    ApiContext ctx{node, nullptr, node.data_dir(), {}};
    ApiOutcome out = RunRoute(match, ctx, request);
    if (!out.ok()) return {out.error.http_status, out.error.ToJson()};
    return {out.response.status, out.response.json};
  }

  Answer Grant(node::Node& node, const std::string& node_id, const std::string& role) {
    return Call(node, "POST", "/v1/collections/budget/acl",
                R"({"node_id":")" + node_id + R"(","role":")" + role + R"("})");
  }

  void Commit(node::Node& node, v1::Op op) {
    std::vector<v1::Op> ops{std::move(op)};
    auto applied = node.CommitOps(coll_, std::move(ops), "test");
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  }

  std::string Digest(node::Node& node) {
    return std::string(
        Call(node, "GET", "/v1/collections/budget/digest").body.at("digest").as_string());
  }

  static std::string Id(const node::Node& node) { return node.identity().node_id_text(); }

  TempDir dir_{"kongsi_acl_api"};
  std::unique_ptr<node::Node> a_, b_, w_;
  std::string coll_;
};

TEST_F(AclApiTest, AclListNamesWhoGrantedAndWhoRevoked) {
  ASSERT_EQ(Grant(*a_, Id(*w_), "writer").status, 200);
  ASSERT_EQ(Call(*a_, "DELETE", "/v1/collections/budget/acl/" + Id(*w_)).status, 200);
  Answer list = Call(*a_, "GET", "/v1/collections/budget/acl");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body.as_array().size(), 2u);
  for (const auto& m : list.body.as_array()) {
    if (m.at("node_id").as_string() == Id(*w_)) {
      EXPECT_EQ(m.at("role").as_string(), "none");
      EXPECT_EQ(m.at("revoked_by").as_string(), Id(*a_));
      EXPECT_EQ(m.at("revoked_seq").as_uint64(), 4u);  // genesis, dataset, grant, revoke
      EXPECT_EQ(m.at("time").as_string(), m.at("revoked_time").as_string());
      EXPECT_EQ(m.at("time").as_string().size(), 20u) << m;  // YYYY-MM-DDTHH:MM:SSZ
    } else {
      EXPECT_EQ(m.at("role").as_string(), "admin");
      EXPECT_TRUE(m.at("self").as_bool());
      EXPECT_EQ(m.at("granted_by").as_string(), Id(*a_));
      EXPECT_EQ(m.at("revoked_by").as_string(), "");
    }
  }
  // Members: current ones only, with what they wrote.
  Answer members = Call(*a_, "GET", "/v1/collections/budget/members");
  ASSERT_EQ(members.body.as_array().size(), 1u);
  EXPECT_EQ(members.body.as_array()[0].at("node_id").as_string(), Id(*a_));
  EXPECT_EQ(members.body.as_array()[0].at("commits").as_uint64(), 4u);
  EXPECT_EQ(members.body.as_array()[0].at("invalid_commits").as_uint64(), 0u);
}

// W writes while A, not having seen it, revokes W; B, an admin A revoked
// too, grants W reader unaware. On A every cut commit is listed with its
// reason, and the ACL log shows B's grant invalid.
TEST_F(AclApiTest, CutCommitsAreListedInvalidWithTheirReasons) {
  ASSERT_EQ(Grant(*a_, Id(*w_), "writer").status, 200);
  ASSERT_EQ(Grant(*a_, Id(*b_), "admin").status, 200);
  ASSERT_TRUE(SyncInto(*a_, *w_, coll_));
  ASSERT_TRUE(SyncInto(*a_, *b_, coll_));
  Commit(*w_, UpsertOp("t", {Int(1)}, {{"a", Str("by W, cut")}}));
  ASSERT_EQ(Grant(*b_, Id(*w_), "reader").status, 200);
  ASSERT_EQ(Call(*a_, "DELETE", "/v1/collections/budget/acl/" + Id(*w_)).status, 200);
  ASSERT_EQ(Call(*a_, "DELETE", "/v1/collections/budget/acl/" + Id(*b_)).status, 200);
  ASSERT_TRUE(SyncInto(*w_, *a_, coll_));
  ASSERT_TRUE(SyncInto(*b_, *a_, coll_));

  Answer invalid = Call(*a_, "GET", "/v1/collections/budget/log?invalid=true");
  ASSERT_EQ(invalid.status, 200);
  ASSERT_EQ(invalid.body.as_array().size(), 2u) << invalid.body;
  for (const auto& e : invalid.body.as_array()) {
    EXPECT_FALSE(e.at("valid").as_bool());
    EXPECT_NE(e.at("invalid_reason").as_string().find("cut by the revocation"), json::string::npos)
        << e;
  }
  EXPECT_EQ(Call(*a_, "GET", "/v1/collections/budget/log").body.as_array().size(), 8u);
  EXPECT_EQ(Call(*a_, "GET", "/v1/collections/budget/log?invalid=false").body.as_array().size(),
            8u);

  Answer log = Call(*a_, "GET", "/v1/collections/budget/acl/log");
  ASSERT_EQ(log.status, 200);
  const json::array& ops = log.body.as_array();
  ASSERT_EQ(ops.size(), 6u) << log.body;  // genesis, 2 grants by A, B's grant, 2 revokes
  EXPECT_EQ(ops[0].at("op").as_string(), "genesis");
  int invalid_ops = 0;
  for (const auto& e : ops) {
    if (e.at("valid").as_bool()) continue;
    ++invalid_ops;
    EXPECT_EQ(e.at("author").as_string(), Id(*b_));
    EXPECT_EQ(e.at("op").as_string(), "grant");
    EXPECT_EQ(e.at("role").as_string(), "reader");
    EXPECT_FALSE(e.at("invalid_reason").as_string().empty());
  }
  EXPECT_EQ(invalid_ops, 1);
  EXPECT_EQ(Call(*a_, "GET", "/v1/collections/budget/log?invalid=maybe").status, 400);
}

// W is revoked while writing, then granted writer again: a member again,
// with its cut commit counted as invalid.
TEST_F(AclApiTest, MembersCountEachMembersInvalidCommits) {
  ASSERT_EQ(Grant(*a_, Id(*w_), "writer").status, 200);
  ASSERT_TRUE(SyncInto(*a_, *w_, coll_));
  Commit(*w_, UpsertOp("t", {Int(2)}, {{"a", Str("by W, cut")}}));
  ASSERT_EQ(Call(*a_, "DELETE", "/v1/collections/budget/acl/" + Id(*w_)).status, 200);
  ASSERT_EQ(Grant(*a_, Id(*w_), "writer").status, 200);
  ASSERT_TRUE(SyncInto(*w_, *a_, coll_));
  Answer members = Call(*a_, "GET", "/v1/collections/budget/members");
  ASSERT_EQ(members.status, 200);
  ASSERT_EQ(members.body.as_array().size(), 2u) << members.body;
  for (const auto& m : members.body.as_array()) {
    bool is_w = m.at("node_id").as_string() == Id(*w_);
    EXPECT_EQ(m.at("role").as_string(), is_w ? "writer" : "admin");
    EXPECT_EQ(m.at("commits").as_uint64(), is_w ? 1u : 5u) << m;
    EXPECT_EQ(m.at("invalid_commits").as_uint64(), is_w ? 1u : 0u) << m;
    EXPECT_FALSE(m.at("last_commit_time").as_string().empty());
  }
}

TEST_F(AclApiTest, BadGrantsAndRevokesGetTheirStatusAndChangeNothing) {
  ASSERT_EQ(Grant(*a_, Id(*w_), "writer").status, 200);
  ASSERT_TRUE(SyncInto(*a_, *w_, coll_));
  const std::string digest_a = Digest(*a_), digest_w = Digest(*w_);
  struct Case {
    node::Node* node;
    std::string method, target, body;
    int status;
    std::string says;
  };
  const std::string acl = "/v1/collections/budget/acl";
  const Case cases[] = {
      {a_.get(), "DELETE", acl + "/" + Id(*a_), "", 409, "no admin"},
      {a_.get(), "DELETE", acl + "/" + kStranger, "", 404, "not a member"},
      {a_.get(), "DELETE", acl + "/NOT-AN-ID", "", 400, "{node_id}"},
      {a_.get(), "POST", acl, R"({"node_id":"NOT-AN-ID","role":"writer"})", 400, "node_id"},
      {a_.get(), "POST", acl, R"({"node_id":")" + std::string(kStranger) + R"(","role":"boss"})",
       400, "unknown role \"boss\""},
      {w_.get(), "POST", acl, R"({"node_id":")" + std::string(kStranger) + R"(","role":"reader"})",
       403, "only admins"},
      {w_.get(), "DELETE", acl + "/" + Id(*a_), "", 403, "only admins"},
      {a_.get(), "GET", "/v1/collections/nope/acl/log", "", 404, "nope"},
  };
  for (const Case& c : cases) {
    Answer r = Call(*c.node, c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << ": " << r.body;
    ASSERT_TRUE(r.body.as_object().contains("error")) << r.body;
    EXPECT_NE(r.Message().find(c.says), std::string::npos) << c.target << ": " << r.Message();
  }
  EXPECT_EQ(Digest(*a_), digest_a);
  EXPECT_EQ(Digest(*w_), digest_w);
}

}  // namespace
}  // namespace kongsi::server
