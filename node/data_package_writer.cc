// ExportDataPackage: the merged collection out as a Data Package.
#include <boost/json/array.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "node/data_package.h"
#include "node/data_package_check.h"
#include "node/exporter.h"
#include "node/record_merge.h"
#include "node/table_schema.h"

namespace kongsi::node {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr char kPackagePrefix[] = "package/";

// Rows, contributions per organisation, conflicts and the dataset's version
// (each author's latest commit among its records' winning writes), in one
// scan.
Result<DatasetSummary> Summarise(const Reader& reader, const std::string& dataset,
                                 const VersionVector* as_of) {
  DatasetSummary s;
  s.dataset = dataset;
  std::map<std::string, OrgContribution> by_author;
  auto touch = [&](const v1::Provenance& p) {
    if (!p.author().empty() && p.seq() > s.version.Get(p.author())) {
      s.version.Set(p.author(), p.seq());
    }
  };
  Status scanned = reader.ScanRecords(
      dataset, as_of,
      [&](const v1::RecordState& r) {
        touch(r.last_upsert());
        touch(r.last_delete());
        for (const auto& cell : r.cells()) touch(cell.by());
        if (!IsLive(r)) return true;
        ++s.rows;
        std::set<std::string> authors{r.last_upsert().author()};  // who wrote the key
        for (const auto& cell : r.cells()) {
          CellView view = ViewCell(r, cell);
          if (!view.visible) continue;
          if (!view.conflicts.empty()) ++s.conflicts;
          if (cell.value().kind_case() == v1::Value::KIND_NOT_SET) continue;
          ++by_author[cell.by().author()].cells;
          authors.insert(cell.by().author());
        }
        for (const auto& a : authors) ++by_author[a].rows;
        return true;
      },
      /*include_deleted=*/true);
  if (!scanned.ok()) return scanned;
  for (auto& [author, contribution] : by_author) {
    contribution.node_id = reader.AuthorLabel(author);
    s.organisations.push_back(std::move(contribution));
  }
  std::sort(s.organisations.begin(), s.organisations.end(), [](const auto& a, const auto& b) {
    return a.rows != b.rows ? a.rows > b.rows : a.node_id < b.node_id;
  });
  return s;
}

// Writes `path` through a temporary file, so a reader never sees half of it.
Status WriteFileAtomically(const std::string& path,
                           const std::function<Status(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError(tmp + ": cannot create");
    Status written = write(out);
    out.close();
    if (written.ok() && !out) written = Status::IoError(tmp + ": write failed");
    if (!written.ok()) {
      fs::remove(tmp, ec);
      return written;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError(path + ": " + ec.message());
  return Status::Ok();
}

// Copies the properties of `from` that `to` lacks; "constraints" merge.
void AddMissing(const json::object& from, json::object* to) {
  for (const auto& [key, value] : from) {
    json::value* have = to->if_contains(key);
    if (have == nullptr) {
      (*to)[key] = value;
    } else if (key == "constraints" && have->is_object() && value.is_object()) {
      AddMissing(value.get_object(), &have->get_object());
    }
  }
}

// The resource's Table Schema: one field per column of the written CSV
// (`header`), typed from the dataset schema, plus what the publisher's
// schema (`declared`) said that Kongsi does not model (constraints, rdfType,
// foreignKeys...), for fields whose type is unchanged.
json::object ResourceSchema(const v1::Schema& schema, const std::vector<std::string>& header,
                            const json::object* declared) {
  json::object out = TableSchemaToJsonObject(schema);
  std::map<std::string, json::object> generated, original;
  for (const json::value& f : out["fields"].get_array()) {
    generated[std::string(f.at("name").get_string())] = f.get_object();
  }
  if (declared != nullptr) {
    if (const json::value* fields = declared->if_contains("fields"); fields && fields->is_array()) {
      for (const json::value& f : fields->get_array()) {
        const json::value* name = f.is_object() ? f.get_object().if_contains("name") : nullptr;
        if (name && name->is_string()) original[std::string(name->get_string())] = f.get_object();
      }
    }
  }
  json::array fields;
  for (const std::string& column : header) {
    auto g = generated.find(column);
    if (g == generated.end()) {  // a provenance column
      fields.push_back(json::object{
          {"name", column},
          {"type", "string"},
          {"description", "node ID of the organisation that wrote " +
                              column.substr(0, column.size() - std::string_view(".by").size())}});
      continue;
    }
    json::object field = g->second;
    auto o = original.find(column);
    if (o != original.end()) {
      const json::value* type = o->second.if_contains("type");
      const std::string declared_type =
          type && type->is_string() ? std::string(type->get_string()) : "string";
      if (declared_type == field.at("type").get_string()) AddMissing(o->second, &field);
    }
    fields.push_back(std::move(field));
  }
  out["fields"] = std::move(fields);
  if (declared != nullptr) {
    json::object rest = *declared;
    rest.erase("fields");
    rest.erase("primaryKey");  // Kongsi's key is the truth (a synthetic one is not written)
    AddMissing(rest, &out);
  }
  return out;
}

json::object KongsiResourceSection(const Reader& reader, const DatasetSummary& s,
                                   const v1::Schema& schema, bool provenance) {
  json::array orgs;
  for (const OrgContribution& c : s.organisations) {
    orgs.push_back(json::object{{"node_id", c.node_id}, {"rows", c.rows}, {"cells", c.cells}});
  }
  json::object out{{"dataset", s.dataset},
                   {"rows", s.rows},
                   {"organisations", std::move(orgs)},
                   {"conflicts", s.conflicts},
                   {"version", reader.FormatVersion(s.version)}};
  if (!schema.declared_types()) out["inferred_types"] = true;
  if (schema.synthetic_key()) out["synthetic_key"] = true;
  if (provenance) out["provenance_columns"] = true;
  return out;
}

// Appends the entries of array `key` of `from` to `to`'s, skipping ones it has.
void UnionArray(const json::object& from, const char* key, json::object* to) {
  const json::value* add = from.if_contains(key);
  if (add == nullptr || !add->is_array()) return;
  json::value& have = (*to)[key];
  if (!have.is_array()) have = json::array();
  for (const json::value& v : add->get_array()) {
    if (std::find(have.get_array().begin(), have.get_array().end(), v) == have.get_array().end()) {
      have.get_array().push_back(v);
    }
  }
}

}  // namespace

Result<PackageExportReport> ExportDataPackage(const Reader& reader, const std::string& out_dir,
                                              const PackageExportOptions& o) {
  const VersionVector* as_of = o.as_of ? &*o.as_of : nullptr;
  PackageExportReport report;
  report.version = as_of ? *as_of : reader.cache().vv;
  std::error_code ec;
  fs::create_directories(fs::path(out_dir) / "data", ec);
  if (ec) return Status::IoError(out_dir + "/data: " + ec.message());

  std::vector<std::string> ignored;
  auto metadata = LoadPackageMetadata(reader, as_of, &ignored);
  if (!metadata.ok()) return metadata.status();
  for (const auto& key : ignored) {
    report.notes.push_back("package metadata row \"" + key + "\" is not a JSON object; ignored");
  }
  std::map<std::string, const json::object*> packages;
  for (const auto& [key, object] : *metadata) {
    if (key.rfind(kPackagePrefix, 0) == 0)
      packages[key.substr(sizeof kPackagePrefix - 1)] = &object;
  }

  json::array resources;
  std::set<std::string> names;
  for (const auto& [dataset, info] : reader.cache().datasets) {
    if (dataset == kPackageMetadataDataset) continue;
    if (as_of && !as_of->Includes(info.created_by().author(), info.created_by().seq())) continue;
    std::string name = FrictionlessName(dataset);
    for (int n = 2; !names.insert(name).second; ++n)
      name = FrictionlessName(dataset) + "-" + std::to_string(n);
    const std::string rel = "data/" + name + ".csv";
    const std::string file = (fs::path(out_dir) / rel).string();
    // (clang 14 cannot capture a structured binding: capture a reference.)
    KONGSI_RETURN_IF_ERROR(WriteFileAtomically(file, [&, &dataset = dataset](std::ostream& out) {
      return ExportDataset(reader, dataset, ExportFormat::kCsv, as_of, o.provenance, out);
    }));
    auto header = ReadCsvHeader(file, CsvOptions());
    if (!header.ok()) return header.status();
    auto summary = Summarise(reader, dataset, as_of);
    if (!summary.ok()) return summary.status();
    summary->resource = name;
    summary->path = rel;

    json::object resource{{"name", name}, {"path", rel}};
    const json::object* declared_schema = nullptr;
    if (auto m = metadata->find(ResourceMetadataKey(dataset)); m != metadata->end()) {
      if (const json::value* kept = m->second.if_contains("resource"); kept && kept->is_object()) {
        AddMissing(kept->get_object(), &resource);
      }
      if (const json::value* s = m->second.if_contains("schema"); s && s->is_object()) {
        declared_schema = &s->get_object();
      }
      // Several packages in one collection: each resource keeps its own
      // package's licences and sources, the conditions of its reuse.
      const json::value* package = m->second.if_contains("package");
      if (packages.size() > 1 && package && package->is_string()) {
        auto p = packages.find(std::string(package->get_string()));
        if (p != packages.end()) {
          for (const char* key : {"licenses", "sources"}) {
            if (!resource.contains(key) && p->second->contains(key))
              resource[key] = p->second->at(key);
          }
        }
      }
    }
    resource["format"] = "csv";
    resource["mediatype"] = "text/csv";
    resource["encoding"] = "utf-8";
    resource["bytes"] = fs::file_size(file, ec);
    resource["schema"] = ResourceSchema(info.schema(), *header, declared_schema);
    resource["kongsi"] = KongsiResourceSection(reader, *summary, info.schema(), o.provenance);
    resources.push_back(std::move(resource));
    report.datasets.push_back(std::move(summary).value());
  }

  const v1::CollectionInfo& coll = reader.cache().info;
  json::object top;
  json::object kongsi{{"collection", HexId(reader.collection())},
                      {"collection_name", coll.name()},
                      {"version", reader.FormatVersion(report.version)}};
  if (packages.size() == 1) {
    top = *packages.begin()->second;
    if (!top.contains("name")) top["name"] = packages.begin()->first;
  } else {
    top["name"] = FrictionlessName(coll.name());
    top["title"] = coll.name();
    if (!coll.description().empty()) top["description"] = coll.description();
    json::object sources;
    for (const auto& [name, package] : packages) {
      UnionArray(*package, "licenses", &top);
      UnionArray(*package, "sources", &top);
      sources[name] = *package;
    }
    if (!sources.empty()) kongsi["packages"] = std::move(sources);
  }
  top["resources"] = std::move(resources);
  top["kongsi"] = std::move(kongsi);
  report.descriptor_path = (fs::path(out_dir) / "datapackage.json").string();
  KONGSI_RETURN_IF_ERROR(WriteFileAtomically(report.descriptor_path, [&](std::ostream& out) {
    out << ToPrettyJson(top);
    return Status::Ok();
  }));
  return report;
}

}  // namespace kongsi::node
