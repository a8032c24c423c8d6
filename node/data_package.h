// Frictionless Data Packages in and out (docs/DATA_PACKAGES.md).
//
// In: PublishDataPackage reads a datapackage.json and publishes each tabular
// resource as one dataset through Publish (node/importer.h), with the
// resource's Table Schema (fields, types, primaryKey, missingValues), dialect
// delimiter and encoding. Every resource is checked first — header against
// schema, every cell against its declared type — so a package that fails
// these checks changes nothing. Each resource then lands whole or not at all;
// only a failure found while publishing (a duplicate key, a full disk) can
// leave earlier resources of the package published. Resources whose data is
// not here (a remote URL, a compressed or missing file, inline or multi-part
// data, a non-CSV format) are skipped with a note, never fetched.
//
// Out: ExportDataPackage writes the merged collection as a Data Package:
// datapackage.json plus data/<resource>.csv per dataset (UTF-8, comma,
// header, the text `kongsi export` writes), with a `kongsi` section per
// resource saying who contributed what (rows and cells per organisation,
// conflicts, version) and one for the package (collection, version).
//
// Package metadata (title, licenses, sources, keywords, per-resource titles,
// schema properties Kongsi does not model...) is kept in a dataset named
// "_package" of the collection, one row per package and per resource, the
// value a JSON text. Why a dataset: the metadata must replicate with the data
// (licences and sources are conditions of reuse, and every member that pulls
// must get them), it then carries provenance and merges like any cell, and
// it needs no new op (ops are the wire contract, DESIGN §3). The collection
// description cannot hold it: it is set once, at genesis.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/importer.h"
#include "node/node.h"
#include "node/reader.h"
#include "node/version_vector.h"
#include "storage/status.h"

namespace kongsi::node {

// The dataset holding package metadata; no resource may be named so.
inline constexpr char kPackageMetadataDataset[] = "_package";
// Largest datapackage.json read.
inline constexpr size_t kMaxPackageJsonBytes = size_t{4} << 20;  // 4 MiB

struct PackagePublishOptions {
  std::string collection;  // raw id
  // Key columns by resource name, for tables that declare no primaryKey
  // (otherwise each row gets a synthetic `_row` key, see importer.h).
  std::map<std::string, std::vector<std::string>> key_columns;
  // Import data that contradicts its own schema instead of refusing it:
  // a field with a cell its declared type cannot read takes the type
  // inferred from its cells, and columns after the last schema field become
  // fields of the inferred type. Each change is a note. Missing or reordered
  // columns are still errors.
  bool lenient = false;
  bool recheck = false;  // PublishOptions::recheck, for every resource
  std::string message;  // commit note; default "publish <package>/<resource>"
  // Rows and bytes read so far of `resource`; pass 0 is the check before
  // anything is published, 1 and 2 are Publish's passes.
  std::function<void(const std::string& resource, uint64_t rows, uint64_t bytes, int pass)>
      progress;
};

struct ResourceReport {
  std::string resource;  // name in the package
  std::string dataset;
  std::string path;  // the data file as found
  bool skipped = false;
  std::string skip_reason;
  PublishReport publish;           // when not skipped
  std::vector<std::string> notes;  // schema adaptations, delimiter found
};

struct PackageReport {
  std::string package;  // the package name
  std::vector<ResourceReport> resources;
  bool metadata_changed = false;
  VersionVector version;  // the collection's version afterwards
};

// `path` is a datapackage.json or a folder holding one. Errors name the file
// and the JSON path ("datapackage.json: resources[2].dialect.quoteChar: ...")
// or the data file, line and column. InvalidArgument when no resource can
// be imported at all.
Result<PackageReport> PublishDataPackage(Node& node, const std::string& path,
                                         const PackagePublishOptions& options);

struct PackageExportOptions {
  // Adds `<field>.by` columns (node ID of the cell's writer) to every CSV,
  // declared in the resource schemas. Re-importing such a package imports
  // them as ordinary columns.
  bool provenance = false;
  std::optional<VersionVector> as_of;  // unset: the current version
};

struct OrgContribution {
  std::string node_id;  // text form
  uint64_t rows = 0;    // rows with at least one cell (or the key) by this org
  uint64_t cells = 0;   // non-null cells it wrote
};

struct DatasetSummary {
  std::string dataset;
  std::string resource;  // name in the package
  std::string path;      // relative to the package folder
  uint64_t rows = 0;
  std::vector<OrgContribution> organisations;  // most rows first
  uint64_t conflicts = 0;                      // cells with concurrent values that lost
  VersionVector version;                       // each author's latest commit touching the dataset
};

struct PackageExportReport {
  std::string descriptor_path;  // out_dir/datapackage.json
  std::vector<DatasetSummary> datasets;
  std::vector<std::string> notes;  // e.g. unreadable metadata rows ignored
  VersionVector version;           // of the collection, as exported
};

// Writes every dataset of the reader's collection (but "_package") as a Data
// Package into `out_dir`, created if needed; files already there are
// replaced (each written to a temporary name, then renamed). The output is
// deterministic: the same version exports the same bytes.
Result<PackageExportReport> ExportDataPackage(const Reader& reader, const std::string& out_dir,
                                              const PackageExportOptions& options);

// A Frictionless name (lower-case a-z, 0-9, '-', '_', '.'; "data" when
// nothing is left) for a dataset or collection name: other characters
// become '-'. Used for resource names, CSV file names and `pull`'s folder.
std::string FrictionlessName(std::string_view text);

// Data Package paths are relative POSIX paths without ".." (and without
// '\\'): anything else could read or write outside the package folder.
// Shared by the importer, the CLI collecting a package's files and the tar
// reader of package uploads.
bool IsPackageRelativePath(std::string_view path);

// ---- the "_package" dataset ----

// Metadata rows: key -> JSON object.
using PackageMetadata = std::map<std::string, boost::json::object>;
inline std::string PackageMetadataKey(const std::string& package) { return "package/" + package; }
inline std::string ResourceMetadataKey(const std::string& dataset) { return "resource/" + dataset; }

// Upserts the rows of `rows` that differ from what the collection holds
// (creating "_package" on first use) in one commit. Returns whether
// anything changed.
Result<bool> StorePackageMetadata(Node& node, const std::string& collection,
                                  const PackageMetadata& rows, const std::string& note);
// The rows as of `as_of` (null: current). Rows that are not a JSON object are
// left out and named in *ignored (metadata comes from peers too; one bad row
// must not stop an export).
Result<PackageMetadata> LoadPackageMetadata(const Reader& reader, const VersionVector* as_of,
                                            std::vector<std::string>* ignored);

}  // namespace kongsi::node
