// What import and export of Data Packages share: names and the "_package"
// metadata dataset.
#include "node/data_package.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "node/record_merge.h"

namespace kongsi::node {
namespace {

constexpr size_t kMaxFrictionlessNameBytes = 200;  // a file name, with room for ".csv"
constexpr char kKeyField[] = "key";
constexpr char kJsonField[] = "json";

v1::Schema MetadataSchema() {
  v1::Schema schema;
  v1::Field* key = schema.add_fields();
  key->set_name(kKeyField);
  key->set_type("string");
  v1::Field* json = schema.add_fields();
  json->set_name(kJsonField);
  json->set_type("string");
  schema.add_primary_key(kKeyField);
  schema.set_declared_types(true);
  return schema;
}

// The visible "json" text of a live metadata record; empty when none.
std::string JsonTextOf(const v1::RecordState& record) {
  if (!IsLive(record)) return "";
  const v1::CellState* cell = FindCell(record, kJsonField);
  if (cell == nullptr || !ViewCell(record, *cell).visible) return "";
  return cell->value().string_value();
}

}  // namespace

bool IsPackageRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (path.substr(start, slash - start) == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

std::string FrictionlessName(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size() && out.size() < kMaxFrictionlessNameBytes; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // one '-' per multi-byte character
    char mapped = '-';
    if (std::isalnum(c) && c < 0x80) {
      mapped = static_cast<char>(std::tolower(c));
    } else if (c == '_' || c == '.') {
      mapped = static_cast<char>(c);
    }
    if (mapped == '-' && !out.empty() && out.back() == '-') continue;
    out.push_back(mapped);
  }
  // No leading '.' or '-' (hidden or option-like file names), no trailing '-'.
  size_t start = out.find_first_not_of(".-");
  out = start == std::string::npos ? "" : out.substr(start);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "data" : out;
}

Result<bool> StorePackageMetadata(Node& node, const std::string& collection,
                                  const PackageMetadata& rows, const std::string& note) {
  std::vector<v1::Op> ops;
  Reader current(node, collection);
  const bool exists = current.cache().datasets.contains(kPackageMetadataDataset);
  if (!exists) {
    v1::Op op;
    op.mutable_create_dataset()->set_name(kPackageMetadataDataset);
    *op.mutable_create_dataset()->mutable_schema() = MetadataSchema();
    ops.push_back(std::move(op));
  }
  for (const auto& [key, object] : rows) {
    v1::Op op;
    v1::Upsert* up = op.mutable_upsert();
    up->set_dataset(kPackageMetadataDataset);
    up->add_key()->set_string_value(key);
    std::string text = boost::json::serialize(object);
    if (exists) {  // skip rows that are unchanged
      auto prior = current.GetRecord(kPackageMetadataDataset, up->key(), nullptr);
      if (!prior.ok()) return prior.status();
      if (prior->has_value() && JsonTextOf(**prior) == text) continue;
    }
    v1::Cell* cell = up->add_cells();
    cell->set_field(kJsonField);
    cell->mutable_value()->set_string_value(std::move(text));
    ops.push_back(std::move(op));
  }
  if (ops.empty()) return false;
  auto applied = node.CommitOps(collection, std::move(ops), note);
  if (!applied.ok()) return applied.status();
  return true;
}

Result<PackageMetadata> LoadPackageMetadata(const Reader& reader, const VersionVector* as_of,
                                            std::vector<std::string>* ignored) {
  PackageMetadata out;
  if (!reader.cache().datasets.contains(kPackageMetadataDataset)) return out;
  Status scanned =
      reader.ScanRecords(kPackageMetadataDataset, as_of, [&](const v1::RecordState& record) {
        if (record.key_size() != 1) return true;
        const std::string& key = record.key(0).string_value();
        std::string text = JsonTextOf(record);
        if (text.empty()) return true;  // a row whose JSON was cleared
        boost::system::error_code ec;
        boost::json::value parsed = boost::json::parse(text, ec);
        if (ec || !parsed.is_object()) {
          ignored->push_back(key);
        } else {
          out.emplace(key, std::move(parsed.get_object()));
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  return out;
}

}  // namespace kongsi::node
