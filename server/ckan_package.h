// A node as CKAN sees it (the Action API in server/api_ckan_routes.cc): a
// package is a collection under a CKAN-valid name, a resource one of its
// datasets (all but the "_package" metadata dataset), with the fields
// CKAN's package_show and resource_show document. Title, notes, licence,
// tags, homepage and version come from the collection's Data Package
// metadata when a package was published into it (node/data_package.h).
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "node/node.h"
#include "node/reader.h"
#include "storage/status.h"

namespace kongsi::server {

struct CkanPackage {
  std::string id;    // raw collection ID (the package id is its hex)
  std::string name;  // a-z 0-9 - _, 2..100 characters, unique on the node
};

// Every collection held, by name. A name that is too short, or that two
// collections would share, ends in "-" + the ID's first 8 hex digits, so
// names stay put as long as the collections do.
std::vector<CkanPackage> CkanPackages(const node::Node& node);
// By hex ID, CKAN name, or anything the node resolves (collection name,
// unique ID prefix). NotFound naming `id`.
Result<CkanPackage> FindCkanPackage(const node::Node& node, const std::string& id);

// A resource's id: 32 hex digits derived from collection and dataset.
std::string CkanResourceId(const std::string& coll, const std::string& dataset);
// The dataset of resource `id` in the reader's collection; NotFound naming it.
Result<std::string> FindCkanResource(const node::Reader& reader, const std::string& id);

// package_show's result. `base_url` ("http://HOST:PORT") makes resource
// URLs absolute: /dataset/{package}/resource/{id}/download/{dataset}.csv.
Result<boost::json::object> CkanPackageJson(const node::Node& node, const CkanPackage& pkg,
                                            const std::string& base_url);
// resource_show's result for `dataset` of the reader's collection.
Result<boost::json::object> CkanResourceJson(const node::Reader& reader, const std::string& dataset,
                                             const std::string& base_url);

// package_search's q on a package_show result: every whitespace-separated
// term is a case-insensitive substring of its name, title, notes, tags or
// resource names and descriptions; "field:term" is read as "term"; "*:*",
// "*" and "" match everything. (No Solr here: enough for people and for
// harvesters, which list everything.)
bool CkanPackageMatches(const boost::json::object& pkg, const std::string& q);

}  // namespace kongsi::server
