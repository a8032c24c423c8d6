// node/data_package_reader: PublishDataPackage on a datapackage.json made of
// the input. The resources it may name live in a scratch copy of
// fuzz/fixtures/data_package (heads of the real files of ../shared/data,
// under the paths their real descriptors use), made once; the descriptor is
// rewritten there every iteration and published into a collection of a
// node opened once.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "fuzz/fuzz_env.h"
#include "node/data_package.h"

namespace {

namespace fs = std::filesystem;
using kongsi::fuzz::FuzzNode;

struct Env {
  std::unique_ptr<FuzzNode> node;
  std::string collection;  // raw id, the same after every reset
  std::string package_dir;
  std::string descriptor;
};
Env* env = nullptr;

void CreateTarget(kongsi::node::Node& node) {
  auto coll = node.CreateCollection("packages", "Data Package fuzzing");
  if (!coll.ok()) kongsi::fuzz::Die(coll.status().ToString());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  env = new Env;
  env->node = std::make_unique<FuzzNode>("fuzz_data_package", CreateTarget);
  auto coll = env->node->node().ResolveCollection("packages");
  if (!coll.ok()) kongsi::fuzz::Die(coll.status().ToString());
  env->collection = *coll;
  env->package_dir = kongsi::fuzz::MakeScratchDir("fuzz_data_package_files");
  std::error_code ec;
  fs::copy(std::string(KONGSI_FUZZ_DIR) + "/fixtures/data_package", env->package_dir,
           fs::copy_options::recursive, ec);
  if (ec) kongsi::fuzz::Die("cannot copy the package fixtures: " + ec.message());
  env->descriptor = env->package_dir + "/datapackage.json";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kongsi::fuzz::WriteFileOrDie(env->descriptor,
                               std::string_view(reinterpret_cast<const char*>(data), size));
  kongsi::node::PackagePublishOptions options;
  options.collection = env->collection;
  // The descriptor path and the folder path are both accepted; alternate.
  const std::string& path = (size & 1) ? env->descriptor : env->package_dir;
  auto report = kongsi::node::PublishDataPackage(env->node->node(), path, options);
  if (report.ok()) {
    bool published = false;
    for (const auto& r : report->resources) published |= !r.skipped;
    // "InvalidArgument when no resource can be imported at all".
    if (!published) __builtin_trap();
    if (report->metadata_changed || published) env->node->Changed();
  }
  return 0;
}
