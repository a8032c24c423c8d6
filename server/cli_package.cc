#include "server/cli_package.h"

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <streambuf>

#include "node/data_package.h"
#include "server/api_tar.h"
#include "server/data_file.h"

namespace kongsi::server {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr char kDescriptor[] = "datapackage.json";

// The package-relative files a descriptor's resources name, where they
// exist. Anything else is left for the node's checks to report.
std::vector<std::string> ReferencedFiles(const json::value& descriptor, const fs::path& base) {
  std::set<std::string> out;
  auto add = [&](const json::value& v) {
    if (!v.is_string()) return;
    std::string rel(v.get_string());
    while (rel.rfind("./", 0) == 0) rel.erase(0, 2);
    std::error_code ec;
    if (rel == kDescriptor || !node::IsPackageRelativePath(rel) ||
        rel.find("://") != std::string::npos || !fs::is_regular_file(base / rel, ec)) {
      return;
    }
    out.insert(rel);
  };
  const json::value* resources =
      descriptor.is_object() ? descriptor.get_object().if_contains("resources") : nullptr;
  if (resources == nullptr || !resources->is_array()) return {};
  for (const json::value& r : resources->get_array()) {
    if (!r.is_object()) continue;
    if (const json::value* path = r.get_object().if_contains("path")) {
      if (path->is_array()) {
        for (const auto& p : path->get_array()) add(p);
      } else {
        add(*path);
      }
    }
    if (const json::value* schema = r.get_object().if_contains("schema")) add(*schema);
  }
  return {out.begin(), out.end()};
}

// Counts what goes through to `target`, for the download's progress.
class CountingBuf : public std::streambuf {
 public:
  CountingBuf(std::streambuf* target, Progress* progress) : target_(target), progress_(progress) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::streamsize done = target_->sputn(s, n);
    count(done);
    return done;
  }
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    if (traits_type::eq_int_type(target_->sputc(traits_type::to_char_type(c)), traits_type::eof()))
      return traits_type::eof();
    count(1);
    return c;
  }
  int sync() override { return target_->pubsync(); }

 private:
  void count(std::streamsize n) {
    bytes_ += static_cast<uint64_t>(n);
    if (progress_) progress_->Update(0, bytes_);
  }
  std::streambuf* target_;
  Progress* progress_;
  uint64_t bytes_ = 0;
};

}  // namespace

bool IsPackagePath(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) || fs::path(path).extension() == ".json";
}

Result<PackedPackage> PackPackage(const std::string& path) {
  std::error_code ec;
  const fs::path descriptor = fs::is_directory(path, ec) ? fs::path(path) / kDescriptor : fs::path(path);
  auto text = ReadSmallFile(descriptor.string(), node::kMaxPackageJsonBytes);
  if (!text.ok()) return text.status();
  PackedPackage packed;
  auto dir = SpoolDir::CreateTemp();
  if (!dir.ok()) return dir.status();
  packed.dir = std::move(dir).value();
  packed.descriptor_path = descriptor.string();
  // The tar is built from a staging folder holding the descriptor under its
  // standard name and links to the data files where they are.
  const fs::path stage = fs::path(packed.dir->path()) / "package";
  fs::create_directories(stage, ec);
  if (ec) return Status::IoError(stage.string() + ": " + ec.message());
  {
    std::ofstream out(stage / kDescriptor, std::ios::binary);
    out << *text;
    if (!out) return Status::IoError((stage / kDescriptor).string() + ": write failed");
  }
  json::error_code jec;
  json::value doc = json::parse(*text, jec);
  std::vector<std::string> files{kDescriptor};
  const fs::path base = descriptor.parent_path().empty() ? fs::path(".") : descriptor.parent_path();
  for (const std::string& rel : jec ? std::vector<std::string>{} : ReferencedFiles(doc, base)) {
    fs::create_directories((stage / rel).parent_path(), ec);
    fs::create_symlink(fs::absolute(base / rel), stage / rel, ec);
    if (ec) return Status::IoError((stage / rel).string() + ": " + ec.message());
    packed.data_bytes += fs::file_size(base / rel, ec);
    files.push_back(rel);
  }
  packed.tar_path = packed.dir->path() + "/package.tar";
  std::ofstream tar(packed.tar_path, std::ios::binary);
  KONGSI_RETURN_IF_ERROR(WriteTar(stage.string(), files, tar));
  tar.close();
  if (!tar) return Status::IoError(packed.tar_path + ": write failed");
  return packed;
}

Result<std::vector<std::string>> DownloadPackage(CliContext& ctx, const PackageDownload& what,
                                                 const std::string& out_dir, Progress* progress) {
  ApiCall call{"GET", ApiPath({"v1", "collections", what.collection, "datapackage"})};
  if (what.provenance) call.query.emplace_back("provenance", "true");
  if (!what.as_of.empty()) call.query.emplace_back("as_of", what.as_of);
  auto api = ctx.Api();
  if (!api.ok()) return api.status();
  auto dir = SpoolDir::CreateTemp();
  if (!dir.ok()) return dir.status();
  const std::string tar_path = (*dir)->path() + "/package.tar";
  {
    std::ofstream file(tar_path, std::ios::binary);
    if (!file) return Status::IoError(tar_path + ": cannot create");
    if (progress) progress->Phase("downloading", 0);
    CountingBuf counting(file.rdbuf(), progress);
    std::ostream out(&counting);
    KONGSI_RETURN_IF_ERROR((*api)->Stream(call, out));
    file.close();
    if (!file) return Status::IoError(tar_path + ": write failed");
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::IoError(out_dir + ": cannot create: " + ec.message());
  if (progress) progress->Phase("writing", fs::file_size(tar_path, ec));
  return ExtractTar(tar_path, out_dir, TarLimits{}, [progress](uint64_t bytes) {
    if (progress) progress->Update(0, bytes);
  });
}

}  // namespace kongsi::server
