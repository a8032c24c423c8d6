// Data Packages over the local API on loopback: a real ApiServer, a real
// node, the CLI's HTTP client, and tar archives made by GNU tar (a client
// no one here wrote) or, for archives tar refuses to make, by hand.
//   PUT /v1/collections/{c}/datapackage  upload (tar of the package folder)
//   GET /v1/collections/{c}/datapackage  download (tar)
#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "node/node.h"
#include "node/reader.h"
#include "server/api_server.h"
#include "server/api_tar.h"
#include "server/cli_client.h"
#include "server/token_store.h"

namespace kongsi::server {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const std::string kPopulation = std::string(KONGSI_SHARED_DATA) + "/population";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One ustar header (and data) written by hand, for archives GNU tar will
// not make: names with "..", links.
std::string HandTarMember(const std::string& name, char type, const std::string& data,
                          const std::string& link = "") {
  std::array<char, 512> h{};
  std::memcpy(h.data(), name.data(), name.size());
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 124, 12, "%011zo", data.size());
  h[156] = type;
  std::memcpy(h.data() + 157, link.data(), link.size());
  std::memcpy(h.data() + 257, "ustar\0" "00", 8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h.data() + 148, 7, "%06o", sum);
  std::string out(h.data(), h.size());
  out += data;
  out.append((512 - data.size() % 512) % 512, '\0');
  return out;
}

class DataPackageApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kongsi-dpapi-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto node = node::Node::Init(dir_ + "/data", "Org A");
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    node_ = std::move(node).value();
    ASSERT_TRUE(node_->CreateCollection("c", "").ok());
    TokenStore tokens(node_->db());
    std::string publisher = tokens.Create(ApiRole::kPublisher, "publisher").value().token;
    std::string viewer = tokens.Create(ApiRole::kViewer, "viewer").value().token;
    server_ = std::make_unique<ApiServer>(ioc_, ApiContext{*node_, nullptr, dir_ + "/data", {}},
                                          "127.0.0.1:0", ApiServerOptions{});
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    thread_ = std::thread([this] { ioc_.run(); });
    const std::string url = "http://127.0.0.1:" + std::to_string(server_->port());
    publisher_ = MakeHttpClient(url, publisher, "").value();
    viewer_ = MakeHttpClient(url, viewer, "").value();
  }

  void TearDown() override {
    server_->Stop();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    node_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Tar(const std::string& args) {
    const std::string path = dir_ + "/upload-" + std::to_string(++tars_) + ".tar";
    std::string cmd = "tar cf '" + path + "' " + args;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return path;
  }
  std::string WriteFile(const std::string& bytes) {
    const std::string path = dir_ + "/upload-" + std::to_string(++tars_) + ".tar";
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  Result<json::value> Upload(ApiClient& api, const std::string& tar) {
    ApiCall call{"PUT", "/v1/collections/c/datapackage"};
    call.upload_path = tar;
    return api.Call(call);
  }

  std::string Digest() { return node::Reader(*node_, CollectionId()).Digest().value(); }
  std::string CollectionId() { return node_->ListCollections().at(0).id(); }

  // Uploads `tar`, expects a 400 whose message has `says`, and that nothing
  // changed.
  void ExpectRefused(const std::string& tar, const std::string& says) {
    const std::string before = Digest();
    auto r = Upload(*publisher_, tar);
    ASSERT_FALSE(r.ok()) << json::serialize(*r);
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find(says), std::string::npos) << r.status().ToString();
    EXPECT_EQ(Digest(), before);
    // The spool folder is gone with the request.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ + "/data/tmp", ec)) ADD_FAILURE() << e.path();
  }

  std::string dir_;
  std::unique_ptr<node::Node> node_;
  boost::asio::io_context ioc_;
  std::unique_ptr<ApiServer> server_;
  std::thread thread_;
  std::unique_ptr<ApiClient> publisher_, viewer_;
  int tars_ = 0;
};

TEST_F(DataPackageApiTest, GnuTarUploadPublishesAndDownloadRoundTrips) {
  auto r = Upload(*publisher_, Tar("-C '" + kPopulation + "' ."));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const json::value& res = r->at("resources").at(0);
  EXPECT_EQ(res.at("dataset").as_string(), "population");
  EXPECT_FALSE(res.at("skipped").as_bool());
  EXPECT_GT(res.at("rows_read").to_number<uint64_t>(), 10000u);

  // The download is a tar GNU tar reads; its CSV re-uploads to no change.
  ApiCall get{"GET", "/v1/collections/c/datapackage"};
  const std::string tar = dir_ + "/download.tar";
  {
    std::ofstream out(tar, std::ios::binary);
    Status streamed = viewer_->Stream(get, out);
    ASSERT_TRUE(streamed.ok()) << streamed.ToString();
  }
  const std::string unpacked = dir_ + "/unpacked";
  fs::create_directories(unpacked);
  ASSERT_EQ(std::system(("tar xf '" + tar + "' -C '" + unpacked + "'").c_str()), 0);
  json::value desc = json::parse(ReadAll(unpacked + "/datapackage.json"));
  ASSERT_EQ(desc.at("resources").as_array().size(), 1u);
  const std::string csv_path = std::string(desc.at("resources").at(0).at("path").as_string());
  EXPECT_EQ(desc.at("resources").at(0).at("kongsi").at("rows"), res.at("rows_read"));
  EXPECT_TRUE(fs::is_regular_file(unpacked + "/" + csv_path));

  // It re-uploads whole. (Into the collection it came from, `_package` and
  // a cell's text may change once — the export says the schema as merged —
  // but the same upload twice changes nothing.)
  const std::string exported = Tar("-C '" + unpacked + "' .");
  auto again = Upload(*publisher_, exported);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->at("resources").at(0).at("rows_read"), res.at("rows_read"));
  const std::string after_export = Digest();
  auto third = Upload(*publisher_, exported);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_FALSE(third->at("metadata_changed").as_bool());
  EXPECT_EQ(Digest(), after_export);
}

TEST_F(DataPackageApiTest, PackageInOneFolderOfTheArchiveIsFound) {
  auto r = Upload(*publisher_, Tar("-C '" + fs::path(kPopulation).parent_path().string() +
                                   "' population"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("resources").at(0).at("dataset").as_string(), "population");
}

TEST_F(DataPackageApiTest, ViewerMayDownloadButNotUpload) {
  auto r = Upload(*viewer_, Tar("-C '" + kPopulation + "' ."));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kPermissionDenied) << r.status().ToString();
}

TEST_F(DataPackageApiTest, BadArchivesAreRefusedNamingTheMemberAndChangeNothing) {
  const std::string desc = R"({"name":"p","resources":[{"name":"t","path":"t.csv"}]})";
  const std::string end(1024, '\0');
  ExpectRefused(WriteFile(HandTarMember("datapackage.json", '0', desc) +
                          HandTarMember("../t.csv", '0', "a\n1\n") + end),
                "tar member \"../t.csv\": the name must be relative");
  ExpectRefused(WriteFile(HandTarMember("/etc/t.csv", '0', "a\n1\n") + end),
                "tar member \"/etc/t.csv\"");
  ExpectRefused(WriteFile(HandTarMember("datapackage.json", '0', desc) +
                          HandTarMember("t.csv", '2', "", "/etc/passwd") + end),
                "tar member \"t.csv\": a symbolic link");
  ExpectRefused(WriteFile(HandTarMember("t.csv", '1', "", "datapackage.json") + end),
                "a hard link");
  ExpectRefused(WriteFile("id,name\n1,x\n"), "not a tar archive");
  // Cut in the middle of a member's data.
  std::string whole = HandTarMember("datapackage.json", '0', desc) +
                      HandTarMember("t.csv", '0', std::string(2000, 'x')) + end;
  ExpectRefused(WriteFile(whole.substr(0, 2200)), "tar member \"t.csv\": truncated");
  ExpectRefused(WriteFile(HandTarMember("t.csv", '0', "a\n1\n") + end),
                "no datapackage.json at its top level");
  ExpectRefused(WriteFile(HandTarMember("datapackage.json", '0', "{not json") + end),
                "datapackage.json");
}

TEST(TarTest, OversizedMemberIsRefusedBeforeItsDataIsRead) {
  std::string tmpl = (fs::temp_directory_path() / "kongsi-tar-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string tar = tmpl + "/a.tar";
  std::ofstream(tar, std::ios::binary) << HandTarMember("big.csv", '0', std::string(3000, 'x'))
                                       << std::string(1024, '\0');
  fs::create_directories(tmpl + "/out");
  auto r = ExtractTar(tar, tmpl + "/out", TarLimits{1000, 10});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tar member \"big.csv\": 3000 bytes, over the limit of 1000"),
            std::string::npos)
      << r.status().ToString();
  EXPECT_FALSE(fs::exists(tmpl + "/out/big.csv"));
  fs::remove_all(tmpl);
}

TEST(TarTest, WrittenArchiveExtractsToTheSameFiles) {
  std::string tmpl = (fs::temp_directory_path() / "kongsi-tar-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string long_dir = std::string(90, 'd');
  fs::create_directories(tmpl + "/in/" + long_dir);
  std::ofstream(tmpl + "/in/a.txt") << "alpha";
  std::ofstream(tmpl + "/in/" + long_dir + "/" + std::string(60, 'f') + ".csv") << std::string(700, 'z');
  const std::vector<std::string> files{"a.txt", long_dir + "/" + std::string(60, 'f') + ".csv"};
  {
    std::ofstream out(tmpl + "/a.tar", std::ios::binary);
    ASSERT_TRUE(WriteTar(tmpl + "/in", files, out).ok());
  }
  fs::create_directories(tmpl + "/out");
  auto r = ExtractTar(tmpl + "/a.tar", tmpl + "/out", TarLimits{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, files);
  for (const auto& f : files) EXPECT_EQ(ReadAll(tmpl + "/out/" + f), ReadAll(tmpl + "/in/" + f)) << f;
  // GNU tar reads it too (prefix field for the long name).
  fs::create_directories(tmpl + "/gnu");
  ASSERT_EQ(std::system(("tar xf '" + tmpl + "/a.tar' -C '" + tmpl + "/gnu'").c_str()), 0);
  for (const auto& f : files) EXPECT_EQ(ReadAll(tmpl + "/gnu/" + f), ReadAll(tmpl + "/in/" + f)) << f;
  fs::remove_all(tmpl);
}

}  // namespace
}  // namespace kongsi::server
