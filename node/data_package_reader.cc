// PublishDataPackage: a datapackage.json in, one dataset per tabular resource.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "node/data_package.h"
#include "node/data_package_check.h"
#include "node/op_validation.h"
#include "node/table_schema.h"
#include "node/value_text.h"

namespace kongsi::node {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

// Resource properties that describe Kongsi's copy of the data rather than
// the data: export writes its own, so they are not kept as metadata.
constexpr const char* kRegenerated[] = {"name",      "path",        "data",    "format",
                                        "mediatype", "encoding",    "dialect", "bytes",
                                        "hash",      "compression", "schema",  "kongsi"};

struct ResourcePlan {
  ResourceReport report;
  ResourceData data;             // file, where, dialect, schema
  json::object schema_json;      // as declared, kept for export
  json::object kept;             // the resource's other properties
  bool schema_inferred = false;  // a Kongsi export of inferred types
};

Status Invalid(const std::string& source, const std::string& path, const std::string& message) {
  return Status::InvalidArgument(source + ": " + path + ": " + message);
}

bool IsRemote(std::string_view path) { return path.find("://") != std::string_view::npos; }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Status ParseDialect(const json::value& v, const std::string& source, const std::string& path,
                    ResourcePlan* plan) {
  if (!v.is_object()) {
    return Invalid(source, path, "must be an object (a dialect file of its own is not supported)");
  }
  for (const auto& [key, value] : v.get_object()) {
    const std::string at = path + "." + std::string(key);
    if (key == "delimiter") {
      const bool ok = value.is_string() && value.get_string().size() == 1 &&
                      static_cast<unsigned char>(value.get_string()[0]) < 0x80 &&
                      std::string_view("\"\r\n").find(value.get_string()[0]) == std::string::npos;
      if (!ok) return Invalid(source, at, "must be one ASCII character other than \", CR and LF");
      plan->data.csv.delimiter = value.get_string()[0];
      plan->data.delimiter_declared = true;
    } else if (key == "header") {
      if (!(value.is_bool() && value.get_bool())) {
        return Invalid(source, at, "only true is supported (the first row must name the columns)");
      }
    } else if (key == "quoteChar") {
      if (!(value.is_string() && value.get_string() == "\"")) {
        return Invalid(source, at, "only \"\\\"\" is supported");
      }
    } else if (key == "doubleQuote") {
      if (!(value.is_bool() && value.get_bool())) {
        return Invalid(source, at, "only true is supported (a quote inside quotes is doubled)");
      }
    } else if (key == "skipInitialSpace") {
      if (!(value.is_bool() && !value.get_bool())) {
        return Invalid(source, at, "only false is supported (spaces are part of the value)");
      }
    } else if (key == "escapeChar" || key == "commentChar" || key == "nullSequence") {
      return Invalid(source, at,
                     "not supported (quotes are escaped by doubling; declare null tokens in "
                     "schema.missingValues)");
    }
    // lineTerminator (any is read), caseSensitiveHeader and csvddfVersion
    // do not change how Kongsi reads the file.
  }
  return Status::Ok();
}

// The table schema of a resource: inline, or a file next to datapackage.json.
// Sets *skip when the schema is at a URL.
Status ParseResourceSchema(const json::value& v, const std::string& source, const fs::path& base,
                           ResourcePlan* plan, std::string* skip) {
  const std::string at = plan->data.where + ".schema";
  if (v.is_string()) {
    const std::string rel(v.get_string());
    if (IsRemote(rel)) {
      *skip = "its schema is at a URL (" + rel + "), which Kongsi does not fetch";
      return Status::Ok();
    }
    if (!IsPackageRelativePath(rel)) return Invalid(source, at, "must be a path inside the package");
    const std::string file = (base / rel).string();
    auto doc = ReadJsonFile(file, kMaxSchemaJsonBytes, "kMaxSchemaJsonBytes");
    if (!doc.ok()) return doc.status();
    auto schema = TableSchemaFromJson(*doc, file, "");
    if (!schema.ok()) return schema.status();
    plan->data.schema = std::move(schema).value();
    plan->schema_json = doc->is_object() ? doc->get_object() : json::object();
    return Status::Ok();
  }
  auto schema = TableSchemaFromJson(v, source, at);
  if (!schema.ok()) return schema.status();
  plan->data.schema = std::move(schema).value();
  plan->schema_json = v.get_object();
  return Status::Ok();
}

// Why the data of a resource cannot be read here, or "" when it can; sets
// plan->data.file. Errors are for paths a Data Package must not have.
Result<std::string> LocateData(const json::object& r, const std::string& source,
                               const fs::path& base, ResourcePlan* plan) {
  if (r.contains("data")) return std::string("inline data is not supported");
  const json::value* path = r.if_contains("path");
  if (path == nullptr)
    return Invalid(source, plan->data.where, "has neither \"path\" nor \"data\"");
  if (path->is_array() && path->get_array().size() == 1) path = &path->get_array()[0];
  if (path->is_array()) {
    return fmt::format("multi-part data ({} files) is not supported", path->get_array().size());
  }
  if (!path->is_string()) return Invalid(source, plan->data.where + ".path", "must be a string");
  const std::string rel(path->get_string());
  plan->report.path = rel;
  if (IsRemote(rel)) return "remote data (" + rel + ") is not fetched; download it and change path";
  if (!IsPackageRelativePath(rel)) {
    return Invalid(source, plan->data.where + ".path",
                   "\"" + rel + "\" must be a relative path inside the package, without \"..\"");
  }
  const bool compressed = r.contains("compression") || EndsWith(rel, ".zip") ||
                          EndsWith(rel, ".gz") || EndsWith(rel, ".bz2") || EndsWith(rel, ".xz");
  if (compressed)
    return "compressed data (" + rel + ") is not supported; unpack it and change path";
  std::string format;
  if (const json::value* f = r.if_contains("format"); f && f->is_string()) {
    for (char c : f->get_string()) format.push_back(static_cast<char>(std::tolower(c)));
  } else if (EndsWith(rel, ".csv") || EndsWith(rel, ".tsv") || EndsWith(rel, ".txt")) {
    format = EndsWith(rel, ".tsv") ? "tsv" : "csv";
  }
  if (format == "tsv") {
    plan->data.csv.delimiter = '\t';
    plan->data.delimiter_declared = true;
  }
  if (format.empty()) return "no format is declared and " + rel + " does not end in .csv";
  if (format != "csv" && format != "tsv") {
    return "format \"" + format + "\" is not CSV; only CSV data is imported";
  }
  plan->data.file = (base / rel).string();
  std::error_code ec;
  if (!fs::is_regular_file(plan->data.file, ec))
    return "its data file " + plan->data.file + " is missing";
  return std::string();
}

Result<ResourcePlan> PlanResource(const json::value& v, size_t index, const std::string& source,
                                  const fs::path& base) {
  ResourcePlan plan;
  plan.data.where = fmt::format("resources[{}]", index);
  if (!v.is_object()) return Invalid(source, plan.data.where, "a resource must be a JSON object");
  const json::object& r = v.get_object();
  for (const char* key : {"name", "encoding"}) {
    const json::value* p = r.if_contains(key);
    if (p != nullptr && !p->is_string())
      return Invalid(source, plan.data.where + "." + key, "must be a string");
  }
  auto located = LocateData(r, source, base, &plan);
  if (!located.ok()) return located.status();

  std::string name = r.contains("name") ? std::string(r.at("name").get_string()) : "";
  if (name.empty()) name = FrictionlessName(fs::path(plan.report.path).stem().string());
  plan.report.resource = name;
  plan.report.dataset = name;
  const json::value* kongsi = r.if_contains("kongsi");
  if (kongsi && kongsi->is_object()) {  // a Kongsi export: keep the dataset's own name and text
    const json::object& k = kongsi->get_object();
    if (const json::value* d = k.if_contains("dataset"); d && d->is_string()) {
      plan.report.dataset = std::string(d->get_string());
    }
    if (const json::value* t = k.if_contains("inferred_types"); t && t->is_bool()) {
      plan.schema_inferred = t->get_bool();
    }
  }
  KONGSI_RETURN_IF_ERROR(
      CheckName("dataset", plan.report.dataset).WithContext(source + ": " + plan.data.where));
  if (plan.report.dataset == kPackageMetadataDataset) {
    return Invalid(source, plan.data.where + ".name",
                   fmt::format("\"{}\" is reserved for package metadata", kPackageMetadataDataset));
  }
  for (const auto& [key, value] : r) {
    if (std::find(std::begin(kRegenerated), std::end(kRegenerated), key) ==
        std::end(kRegenerated)) {
      plan.kept[key] = value;
    }
  }
  plan.report.skip_reason = std::move(located).value();
  if (plan.report.skip_reason.empty() && r.contains("schema")) {
    KONGSI_RETURN_IF_ERROR(
        ParseResourceSchema(r.at("schema"), source, base, &plan, &plan.report.skip_reason));
  }
  plan.report.skipped = !plan.report.skip_reason.empty();
  if (plan.report.skipped) return plan;
  if (const json::value* e = r.if_contains("encoding"))
    plan.data.csv.encoding = std::string(e->get_string());
  if (const json::value* d = r.if_contains("dialect")) {
    KONGSI_RETURN_IF_ERROR(ParseDialect(*d, source, plan.data.where + ".dialect", &plan));
  }
  return plan;
}

}  // namespace

Result<PackageReport> PublishDataPackage(Node& node, const std::string& path,
                                         const PackagePublishOptions& o) {
  std::error_code ec;
  const std::string source =
      fs::is_directory(path, ec) ? (fs::path(path) / "datapackage.json").string() : path;
  auto doc = ReadJsonFile(source, kMaxPackageJsonBytes, "kMaxPackageJsonBytes");
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) {
    return Status::InvalidArgument(source + ": a Data Package descriptor must be a JSON object");
  }
  const json::object& top = doc->get_object();
  const json::value* resources = top.if_contains("resources");
  if (resources == nullptr || !resources->is_array() || resources->get_array().empty()) {
    return Invalid(source, "resources", "must be a non-empty array of resources");
  }
  const fs::path base = fs::path(source).parent_path();
  PackageReport report;
  if (const json::value* name = top.if_contains("name")) {
    if (!name->is_string()) return Invalid(source, "name", "must be a string");
    report.package = std::string(name->get_string());
  }
  if (report.package.empty())
    report.package = FrictionlessName(fs::absolute(base).filename().string());

  // Plan every resource, then check every one, before publishing any.
  std::vector<ResourcePlan> plans;
  std::map<std::string, std::string> where_of_dataset;
  for (size_t i = 0; i < resources->get_array().size(); ++i) {
    auto plan = PlanResource(resources->get_array()[i], i, source, base);
    if (!plan.ok()) return plan.status();
    auto [it, fresh] = where_of_dataset.emplace(plan->report.dataset, plan->data.where);
    if (!fresh) {
      return Invalid(source, plan->data.where,
                     fmt::format("dataset \"{}\" is also {}'s", plan->report.dataset, it->second));
    }
    plans.push_back(std::move(plan).value());
  }
  for (const auto& [resource, keys] : o.key_columns) {
    auto plan = std::find_if(plans.begin(), plans.end(),
                             [&resource = resource](const ResourcePlan& p) {
                               return p.report.resource == resource;  // (clang 14: no bindings in lambdas)
                             });
    if (plan == plans.end()) {
      return Status::InvalidArgument(fmt::format(
          "{}: key columns given for \"{}\", but no resource has that name", source, resource));
    }
  }
  std::vector<std::string> skipped;
  for (ResourcePlan& plan : plans) {
    if (plan.report.skipped) {
      skipped.push_back(fmt::format("{} (\"{}\"): {}", plan.data.where, plan.report.resource,
                                    plan.report.skip_reason));
      continue;
    }
    auto progress = [&](uint64_t rows, uint64_t bytes) {
      if (o.progress) o.progress(plan.report.resource, rows, bytes, 0);
    };
    KONGSI_RETURN_IF_ERROR(CheckResourceData(&plan.data, o.lenient, progress, &plan.report.notes));
    auto keys = o.key_columns.find(plan.report.resource);
    if (keys != o.key_columns.end() && plan.data.schema) {
      std::vector<std::string> fields;
      for (const v1::Field& f : plan.data.schema->fields()) fields.push_back(f.name());
      KONGSI_RETURN_IF_ERROR(
          CheckKeyColumns(keys->second, fields)
              .WithContext(fmt::format("{}: {}", plan.data.file, plan.data.where)));
    }
  }
  if (skipped.size() == plans.size()) {
    return Status::InvalidArgument(
        fmt::format("{}: no resource can be imported: {}", source, fmt::join(skipped, "; ")));
  }

  PackageMetadata metadata;
  json::object package_meta = top;
  package_meta.erase("resources");
  package_meta.erase("kongsi");
  metadata[PackageMetadataKey(report.package)] = std::move(package_meta);
  for (ResourcePlan& plan : plans) {
    if (!plan.report.skipped) {
      PublishOptions p;
      p.collection = o.collection;
      p.dataset = plan.report.dataset;
      if (auto k = o.key_columns.find(plan.report.resource); k != o.key_columns.end()) {
        p.key_columns = k->second;
      }
      p.schema = plan.data.schema;
      p.schema_inferred = plan.schema_inferred;
      p.delimiter = plan.data.csv.delimiter;
      p.encoding = plan.data.csv.encoding;
      p.recheck = o.recheck;
      p.message =
          o.message.empty() ? "publish " + report.package + "/" + plan.report.resource : o.message;
      if (o.progress) {
        p.progress = [&](uint64_t rows, uint64_t bytes, int pass) {
          o.progress(plan.report.resource, rows, bytes, pass);
        };
      }
      auto published = Publish(node, plan.data.file, p);
      if (!published.ok()) {
        return published.status().WithContext(
            fmt::format("{}: {} (\"{}\")", source, plan.data.where, plan.report.resource));
      }
      plan.report.publish = std::move(published).value();
      json::object meta{{"package", report.package}, {"resource", std::move(plan.kept)}};
      if (!plan.schema_json.empty()) meta["schema"] = std::move(plan.schema_json);
      metadata[ResourceMetadataKey(plan.report.dataset)] = std::move(meta);
    }
    report.resources.push_back(std::move(plan.report));
  }
  auto stored =
      StorePackageMetadata(node, o.collection, metadata, "package metadata of " + report.package);
  if (!stored.ok()) return stored.status();
  report.metadata_changed = *stored;
  report.version = node.Version(o.collection);
  return report;
}

}  // namespace kongsi::node
