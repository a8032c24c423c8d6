// `kongsi pull C [--out DIR]`: what a member means by "give me the merged
// collection" — every dataset of C, merged, written as a Data Package
// (default: a folder named after the collection, FrictionlessName), and a
// provenance summary per dataset printed: rows, contributors per
// organisation, conflicts. The summary written into the package is each
// resource's `kongsi` section of datapackage.json (docs/DATA_PACKAGES.md);
// the printed one adds the node names this node knows (its own, its
// peers'), which are local knowledge and so stay out of the package.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "node/data_package.h"
#include "server/api_json.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"
#include "server/cli_package.h"
#include "server/cli_progress.h"
#include "server/data_file.h"

namespace kongsi::server {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct PullArgs {
  std::string collection;
  std::string out;
  bool force = false;
  bool provenance = false;
  std::string as_of;
};

// Node ID -> name, for the nodes this one knows by name. Best effort: a
// name is a nicety, the ID is the provenance.
std::map<std::string, std::string> KnownNames(ApiClient& api) {
  std::map<std::string, std::string> names;
  auto add = [&](const json::value& v) {
    const json::object* o = v.if_object();
    if (!o || !o->contains("node_id") || !o->contains("name")) return;
    const json::value& id = o->at("node_id");
    const json::value& name = o->at("name");
    if (id.is_string() && name.is_string() && !name.get_string().empty()) {
      names[std::string(id.get_string())] = std::string(name.get_string());
    }
  };
  if (auto peers = api.Call(ApiCall{"GET", "/v1/peers"}); peers.ok() && peers->is_array()) {
    for (const auto& p : peers->get_array()) add(p);
  }
  if (auto self = api.Call(ApiCall{"GET", "/v1/node"}); self.ok()) add(*self);
  return names;
}

bool NonEmptyDir(const std::string& dir) {
  std::error_code ec;
  return fs::exists(dir, ec) && (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec));
}

// The per-dataset summary from the descriptor's `kongsi` sections, names
// added.
Result<json::object> Summary(const std::string& out_dir,
                             const std::map<std::string, std::string>& names) {
  const std::string path = (fs::path(out_dir) / "datapackage.json").string();
  auto text = ReadSmallFile(path, node::kMaxPackageJsonBytes * 4);
  if (!text.ok()) return text.status();
  json::error_code ec;
  json::value doc = json::parse(*text, ec);
  if (ec || !doc.is_object()) return Status::Corruption(path + ": not a JSON object");
  json::array datasets;
  try {
    for (const auto& r : doc.at("resources").as_array()) {
      const json::object& k = r.at("kongsi").as_object();
      json::array orgs;
      for (const auto& o : k.at("organisations").as_array()) {
        json::object org = o.as_object();
        auto name = names.find(std::string(org.at("node_id").as_string()));
        org["name"] = name == names.end() ? "" : name->second;
        orgs.push_back(std::move(org));
      }
      datasets.push_back(json::object{{"dataset", k.at("dataset")},
                                      {"resource", r.at("name")},
                                      {"path", r.at("path")},
                                      {"rows", k.at("rows")},
                                      {"conflicts", k.at("conflicts")},
                                      {"organisations", std::move(orgs)}});
    }
    return json::object{{"collection", doc.at("kongsi").at("collection_name")},
                        {"version", doc.at("kongsi").at("version")},
                        {"out", out_dir},
                        {"datasets", std::move(datasets)}};
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": the kongsi sections are not as exported: " + e.what());
  }
}

void PrintSummary(std::ostream& out, const json::object& s) {
  out << "pulled " << Text(s, "collection") << " (version " << Text(s, "version") << ") into "
      << Text(s, "out") << '\n';
  Table table({"DATASET", "FILE", "ROWS", "CONFLICTS", "CONTRIBUTORS (rows, cells)"});
  for (const auto& d : s.at("datasets").as_array()) {
    std::string who;
    for (const auto& o : d.at("organisations").as_array()) {
      std::string name = Text(o, "name");
      std::string id = ShortIdText(Text(o, "node_id"));
      who += (who.empty() ? "" : "; ") + (name.empty() ? id : name + " " + id) + " " +
             Text(o, "rows") + ", " + Text(o, "cells");
    }
    table.AddRow({Text(d, "dataset"), Text(d, "path"), Text(d, "rows"), Text(d, "conflicts"),
                  who.empty() ? "-" : who});
  }
  table.Print(out);
}

Status RunPull(CliContext& ctx, const PullArgs& args) {
  auto api = ctx.Api();
  if (!api.ok()) return api.status();
  std::string out = args.out;
  if (out.empty()) {
    auto coll = (*api)->Call(ApiCall{"GET", ApiPath({"v1", "collections", args.collection})});
    if (!coll.ok()) return coll.status();
    const json::value* name = coll->is_object() ? coll->get_object().if_contains("name") : nullptr;
    if (!name || !name->is_string()) return Status::Internal("the collection has no name");
    out = node::FrictionlessName(name->get_string());
  }
  if (!args.force && NonEmptyDir(out)) {
    return Status::AlreadyExists(out + " exists and is not empty; pass --force to overwrite");
  }
  auto progress = Progress::ForStderr(ctx.json);
  auto files = DownloadPackage(ctx, {args.collection, args.provenance, args.as_of}, out,
                               progress.get());
  progress->Clear();
  if (!files.ok()) return files.status();
  auto summary = Summary(out, KnownNames(**api));
  if (!summary.ok()) return summary.status();
  if (ctx.json) {
    PrintJson(*ctx.out, *summary);
  } else {
    PrintSummary(*ctx.out, *summary);
  }
  return Status::Ok();
}

}  // namespace

void AddPullCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<PullArgs>();
  CLI::App* pull = app.add_subcommand(
      "pull", "Write every dataset of a collection, merged, as a Data Package folder");
  pull->add_option("collection", args->collection, "Collection name or ID")->required();
  pull->add_option("--out", args->out, "Folder (default: the collection's name, here)");
  pull->add_flag("--force", args->force, "Write into a folder that is not empty");
  pull->add_flag("--provenance", args->provenance, "Add a <field>.by column (who wrote each cell)");
  pull->add_option("--as-of", args->as_of, "A tag or a version (AUTHOR:SEQ,...)");
  OnRun(pull, ctx, [&ctx, args] { return RunPull(ctx, *args); });
}

}  // namespace kongsi::server
