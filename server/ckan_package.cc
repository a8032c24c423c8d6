// See server/ckan_package.h.
#include "server/ckan_package.h"

#include <openssl/sha.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "node/data_package.h"
#include "server/api_json.h"
#include "server/api_types.h"
#include "server/api_url.h"

namespace kongsi::server {
namespace {

namespace json = boost::json;

constexpr size_t kMaxSlugBytes = 100;  // CKAN's name length limit

// Lower-cases ASCII, for case-insensitive matching.
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Slug(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    char lower = static_cast<char>(std::tolower(c));
    bool keep = (lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (keep) {
      out += lower;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.substr(0, kMaxSlugBytes - 9);  // room for "-" + 8 hex
}

// "2024-05-01T12:00:00.123000": CKAN's form (UTC, no zone); null for 0.
json::value CkanTime(uint64_t hlc) {
  if (hlc == 0) return nullptr;
  const uint64_t ms = hlc >> 16;
  std::string t = MsTime(ms);
  t.pop_back();  // the 'Z'
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03u000", static_cast<unsigned>(ms % 1000));
  return json::string(t + frac);
}

std::string Field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// What the Data Package metadata ("_package" dataset) says of the package:
// the one package published into the collection, else nothing package-wide.
struct PackageMeta {
  json::object package;
  node::PackageMetadata rows;
};

Result<PackageMeta> LoadMeta(const node::Reader& reader) {
  std::vector<std::string> ignored;  // a bad row is skipped, as in exports
  auto rows = node::LoadPackageMetadata(reader, nullptr, &ignored);
  if (!rows.ok()) return rows.status();
  PackageMeta meta;
  const json::object* only = nullptr;
  int packages = 0;
  for (const auto& [key, object] : *rows) {
    if (key.rfind(node::PackageMetadataKey(""), 0) == 0 && ++packages == 1) only = &object;
  }
  if (packages == 1) meta.package = *only;
  meta.rows = std::move(rows).value();
  return meta;
}

json::object ResourceJson(const node::Reader& reader, const PackageMeta& meta,
                          const std::string& dataset, size_t position,
                          const std::string& base_url) {
  const std::string coll_hex = node::HexId(reader.collection());
  const std::string id = CkanResourceId(reader.collection(), dataset);
  json::object kept;
  if (auto m = meta.rows.find(node::ResourceMetadataKey(dataset)); m != meta.rows.end()) {
    if (const json::value* r = m->second.if_contains("resource"); r && r->is_object())
      kept = r->get_object();
  }
  const std::string title = Field(kept, "title");
  const auto& info = reader.cache().datasets.at(dataset);
  return json::object{
      {"id", id},
      {"package_id", coll_hex},
      {"name", title.empty() ? dataset : title},
      {"description", Field(kept, "description")},
      {"format", "CSV"},
      {"mimetype", "text/csv"},
      {"url", base_url + std::string(kCkanDownloadPrefix) + coll_hex + "/resource/" + id +
                  "/download/" + PercentEncode(node::FrictionlessName(dataset)) + ".csv"},
      {"url_type", nullptr},
      {"position", position},
      {"state", "active"},
      {"created", CkanTime(info.created_by().hlc())},
      {"last_modified", nullptr},
      {"size", nullptr},
      {"hash", ""},
      {"datastore_active", false},
      {"kongsi_dataset", dataset}};
}

}  // namespace

std::vector<CkanPackage> CkanPackages(const node::Node& n) {
  std::vector<CkanPackage> out;
  std::map<std::string, int> uses;
  for (const auto& info : n.ListCollections()) {
    out.push_back({info.id(), Slug(info.name())});
    ++uses[out.back().name];
  }
  for (CkanPackage& p : out) {
    if (p.name.size() < 2 || uses[p.name] > 1)
      p.name += (p.name.empty() ? "" : "-") + node::HexId(p.id).substr(0, 8);
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

Result<CkanPackage> FindCkanPackage(const node::Node& n, const std::string& id) {
  std::vector<CkanPackage> all = CkanPackages(n);
  for (const CkanPackage& p : all) {
    if (p.name == id || node::HexId(p.id) == id) return p;
  }
  auto resolved = n.ResolveCollection(id);
  for (const CkanPackage& p : all) {
    if (resolved.ok() && p.id == *resolved) return p;
  }
  return Status::NotFound("no package \"" + id + "\"");
}

std::string CkanResourceId(const std::string& coll, const std::string& dataset) {
  std::string input = coll + '\0' + dataset;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), md);
  return node::HexId(std::string_view(reinterpret_cast<const char*>(md), 16));
}

Result<json::object> CkanPackageJson(const node::Node& n, const CkanPackage& pkg,
                                     const std::string& base_url) {
  node::Reader reader(n, pkg.id);
  auto meta = LoadMeta(reader);
  if (!meta.ok()) return meta.status();
  const node::CollectionCache& cache = reader.cache();
  json::array resources;
  for (const auto& [dataset, info] : cache.datasets) {
    if (dataset == node::kPackageMetadataDataset) continue;
    resources.push_back(ResourceJson(reader, *meta, dataset, resources.size(), base_url));
  }
  json::array tags;
  if (const json::value* k = meta->package.if_contains("keywords"); k && k->is_array()) {
    for (const auto& word : k->get_array()) {
      if (word.is_string())
        tags.push_back(json::object{{"name", word}, {"display_name", word}, {"state", "active"}});
    }
  }
  json::object license{
      {"license_id", nullptr}, {"license_title", nullptr}, {"license_url", nullptr}};
  if (const json::value* l = meta->package.if_contains("licenses");
      l && l->is_array() && !l->get_array().empty() && l->get_array()[0].is_object()) {
    const json::object& first = l->get_array()[0].get_object();
    std::string name = Field(first, "name"), title = Field(first, "title");
    license = {{"license_id", name.empty() ? title : name},
               {"license_title", title.empty() ? name : title},
               {"license_url", Field(first, "path")}};
  }
  uint64_t created = 0, modified = 0;
  if (auto genesis = n.GetCommit(pkg.id, cache.info.creator(), 1); genesis.ok()) {
    if (auto c = node::DecodeStoredCommit(*genesis); c.ok()) created = c->hlc();
  }
  for (const auto& [author, hlc] : cache.last_hlc) modified = std::max(modified, hlc);
  const std::string title = Field(meta->package, "title");
  const std::string notes = Field(meta->package, "description");
  const size_t num_resources = resources.size(), num_tags = tags.size();
  json::object out{{"id", node::HexId(pkg.id)},
                   {"name", pkg.name},
                   {"title", title.empty() ? cache.info.name() : title},
                   {"notes", notes.empty() ? cache.info.description() : notes},
                   {"url", Field(meta->package, "homepage")},
                   {"version", Field(meta->package, "version")},
                   {"author", nullptr},
                   {"author_email", nullptr},
                   {"maintainer", nullptr},
                   {"maintainer_email", nullptr},
                   {"state", "active"},
                   {"type", "dataset"},
                   {"private", false},
                   {"metadata_created", CkanTime(created)},
                   {"metadata_modified", CkanTime(modified)},
                   {"num_resources", num_resources},
                   {"num_tags", num_tags},
                   {"resources", std::move(resources)},
                   {"tags", std::move(tags)},
                   {"groups", json::array()},
                   {"organization", nullptr},
                   {"owner_org", nullptr},
                   {"extras", json::array{json::object{{"key", "kongsi_version"},
                                                       {"value", reader.FormatVersion(cache.vv)}}}},
                   {"relationships_as_object", json::array()},
                   {"relationships_as_subject", json::array()}};
  for (auto& [k, v] : license) out[k] = v;
  return out;
}

Result<std::string> FindCkanResource(const node::Reader& reader, const std::string& id) {
  for (const auto& [dataset, info] : reader.cache().datasets) {
    if (dataset != node::kPackageMetadataDataset &&
        CkanResourceId(reader.collection(), dataset) == id)
      return dataset;
  }
  return Status::NotFound("no resource \"" + id + "\"");
}

Result<json::object> CkanResourceJson(const node::Reader& reader, const std::string& dataset,
                                      const std::string& base_url) {
  auto meta = LoadMeta(reader);
  if (!meta.ok()) return meta.status();
  size_t position = 0;
  for (const auto& [name, info] : reader.cache().datasets) {
    if (name == dataset) break;
    if (name != node::kPackageMetadataDataset) ++position;
  }
  return ResourceJson(reader, *meta, dataset, position, base_url);
}

bool CkanPackageMatches(const json::object& pkg, const std::string& q) {
  std::string text;
  for (const char* key : {"name", "title", "notes"}) text += Field(pkg, key) + "\n";
  for (const auto& list : {"tags", "resources"}) {
    for (const auto& item : pkg.at(list).as_array()) {
      for (const char* key : {"name", "description"}) text += Field(item.as_object(), key) + "\n";
    }
  }
  text = Lower(std::move(text));
  size_t pos = 0;
  while (pos < q.size()) {
    size_t end = q.find_first_of(" \t", pos);
    std::string term = q.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? q.size() : end + 1;
    if (size_t colon = term.find(':'); colon != std::string::npos) term = term.substr(colon + 1);
    if (term.empty() || term == "*") continue;
    if (text.find(Lower(term)) == std::string::npos) return false;
  }
  return true;
}

}  // namespace kongsi::server
