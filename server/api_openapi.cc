// The OpenAPI 3 description of the local API, served at GET
// /v1/openapi.json. Written by hand next to the routes; a test
// (ApiOpenApiTest in tests/server/api_test.cc) checks that every route of the router
// is described here and nothing else is.
#include <boost/json/parse.hpp>

#include "server/api_router.h"

namespace kongsi::server {
namespace {

constexpr char kOpenApi[] = R"json({
"openapi": "3.0.3",
"info": {"title": "Kongsi local API", "version": "1",
  "description": "Every operation of the kongsi CLI. Errors are {\"error\":{\"code\",\"message\"}}. See docs/API.md."},
"servers": [{"url": "http://127.0.0.1:7680"}],
"security": [{"bearer": []}],
"components": {
  "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
    "description": "A token from `kongsi token create --role viewer|publisher|admin`."},
    "ckanKey": {"type": "apiKey", "in": "header", "name": "Authorization",
      "description": "The same token without \"Bearer \", as CKAN clients send it (X-CKAN-API-Key works too)."}},
  "parameters": {
    "collection": {"name": "collection", "in": "path", "required": true, "schema": {"type": "string"},
      "description": "Collection name, ID, or unique ID prefix (6+ hex characters)."},
    "dataset": {"name": "dataset", "in": "path", "required": true, "schema": {"type": "string"}},
    "ckanAction": {"name": "action", "in": "path", "required": true, "schema": {"type": "string",
      "enum": ["package_list", "package_show", "package_search", "resource_show", "status_show", "site_read", "help_show"]},
      "description": "package_list (limit, offset), package_show (id), package_search (q, rows, start), resource_show (id), status_show, site_read, help_show (name). See docs/API.md"}
  },
  "schemas": {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
      "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    "Object": {"type": "object"},
    "List": {"type": "array", "items": {"type": "object"}}
  },
  "responses": {
    "Object": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Object"}}}},
    "Created": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Object"}}}},
    "List": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/List"}}}},
    "Ckan": {"description": "CKAN's envelope: {\"help\", \"success\": true, \"result\"}", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Object"}}}},
    "CkanError": {"description": "{\"help\", \"success\": false, \"error\": {\"__type\", \"message\"}}: 400 unknown action, 403 Authorization Error (no or low token), 404 Not Found Error, 409 Validation Error (a missing or malformed parameter)",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Object"}}}},
    "Error": {"description": "400 bad input (names the position), 401 no or unknown token, 403 role too low, 404 unknown collection / dataset / record / route, 405 wrong method, 409 already exists, 413 over a limit, 431 headers too large",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
  }
},
"paths": {
  "/healthz": {"get": {"summary": "Liveness (no token needed)", "security": [],
    "responses": {"200": {"$ref": "#/components/responses/Object"}}}},
  "/v1/openapi.json": {"get": {"summary": "This document (no token needed)", "security": [],
    "responses": {"200": {"$ref": "#/components/responses/Object"}}}},
  "/metrics": {"get": {"summary": "Prometheus text exposition: commits, peers, sync lag, pending sets, database size, tokens, API answers (viewer; no token with metrics_public)",
    "responses": {"200": {"description": "Metrics", "content": {"text/plain": {}}}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/api/3/action/{action}": {
    "parameters": [{"$ref": "#/components/parameters/ckanAction"}],
    "get": {"summary": "CKAN Action API, read-only (viewer; no token with ckan_public). Parameters in the query", "security": [{"bearer": []}, {"ckanKey": []}],
      "responses": {"200": {"$ref": "#/components/responses/Ckan"}, "default": {"$ref": "#/components/responses/CkanError"}}},
    "post": {"summary": "The same, parameters as a JSON object (how ckanapi calls)", "security": [{"bearer": []}, {"ckanKey": []}],
      "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Object"}}}},
      "responses": {"200": {"$ref": "#/components/responses/Ckan"}, "default": {"$ref": "#/components/responses/CkanError"}}}},
  "/api/action/{action}": {
    "parameters": [{"$ref": "#/components/parameters/ckanAction"}],
    "get": {"summary": "CKAN Action API without the version (as /api/3/action/{action})", "security": [{"bearer": []}, {"ckanKey": []}],
      "responses": {"200": {"$ref": "#/components/responses/Ckan"}, "default": {"$ref": "#/components/responses/CkanError"}}},
    "post": {"summary": "The same, parameters as a JSON object", "security": [{"bearer": []}, {"ckanKey": []}],
      "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Object"}}}},
      "responses": {"200": {"$ref": "#/components/responses/Ckan"}, "default": {"$ref": "#/components/responses/CkanError"}}}},
  "/dataset/{package}/resource/{resource}/download/{file}": {"get": {
    "summary": "A CKAN resource's data: the merged dataset as CSV (the url of resource_show; viewer; no token with ckan_public)",
    "security": [{"bearer": []}, {"ckanKey": []}],
    "parameters": [{"name": "package", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Package id or name"},
      {"name": "resource", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Resource id"},
      {"name": "file", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Any file name (DATASET.csv in the url)"}],
    "responses": {"200": {"description": "The records", "content": {"text/csv": {}}}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/node": {"get": {"summary": "Node ID, name and public key (viewer)",
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/status": {"get": {"summary": "Node, collections, counters and alarms (viewer)",
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/backup": {"post": {"summary": "Back the node up into a new or empty directory on its machine: RocksDB checkpoint + key and config files + backup.json (admin)",
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["to"],
      "properties": {"to": {"type": "string", "description": "Absolute path"}}}}}},
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections": {
    "get": {"summary": "List collections (viewer)",
      "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}},
    "post": {"summary": "Create a collection; this node is its admin (publisher)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}, "description": {"type": "string"}}}}}},
      "responses": {"201": {"$ref": "#/components/responses/Created"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}": {"get": {"summary": "One collection (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"}],
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/datasets": {"get": {"summary": "Datasets and their schemas (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"}],
    "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/datasets/{dataset}": {"put": {
    "summary": "Publish a CSV file into the dataset (created on first publish); all or nothing (publisher)",
    "parameters": [{"$ref": "#/components/parameters/collection"}, {"$ref": "#/components/parameters/dataset"},
      {"name": "key", "in": "query", "schema": {"type": "string"}, "description": "Primary-key column(s), comma-separated"},
      {"name": "delimiter", "in": "query", "schema": {"type": "string", "enum": [",", ";", "|", "tab"]}},
      {"name": "encoding", "in": "query", "schema": {"type": "string"}, "description": "Input encoding (default UTF-8)"},
      {"name": "message", "in": "query", "schema": {"type": "string"}, "description": "Commit note"},
      {"name": "recheck", "in": "query", "schema": {"type": "boolean"}, "description": "Compare every row even when the file and the collection are unchanged since the dataset's last publish"},
      {"name": "schema", "in": "query", "schema": {"type": "string"}, "description": "A Frictionless Table Schema (JSON text)"},
      {"name": "source", "in": "query", "schema": {"type": "string"}, "description": "Name of the upload in error messages"},
      {"name": "schema_source", "in": "query", "schema": {"type": "string"}, "description": "Name of the schema in error messages"}],
    "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}},
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/datasets/{dataset}/export": {"get": {
    "summary": "The dataset, current or as of a version, streamed (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"}, {"$ref": "#/components/parameters/dataset"},
      {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "json", "ndjson"]}},
      {"name": "as_of", "in": "query", "schema": {"type": "string"}, "description": "A tag or a version (AUTHOR:SEQ,...)"},
      {"name": "provenance", "in": "query", "schema": {"type": "boolean"}, "description": "Say which node wrote each cell"}],
    "responses": {"200": {"description": "The records", "content": {"text/csv": {}, "application/json": {}, "application/x-ndjson": {}}},
      "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/datapackage": {
    "parameters": [{"$ref": "#/components/parameters/collection"}],
    "put": {"summary": "Publish a Frictionless Data Package: each tabular resource becomes a dataset; checked in full first (publisher)",
      "description": "The body is an uncompressed tar of the package folder (tar cf - -C DIR .), datapackage.json at its top or in its one folder. Only files and folders; links, absolute names and names with .. are refused (400 naming the member).",
      "parameters": [
        {"name": "lenient", "in": "query", "schema": {"type": "boolean"}, "description": "Import fields whose cells contradict their declared type with the inferred type"},
        {"name": "recheck", "in": "query", "schema": {"type": "boolean"}, "description": "Compare every row even when a resource's file and the collection are unchanged since its last publish"},
        {"name": "key", "in": "query", "schema": {"type": "string"}, "description": "RESOURCE:COLUMN, comma-separated or repeated: key columns for tables without a primaryKey"},
        {"name": "message", "in": "query", "schema": {"type": "string"}, "description": "Commit note"}],
      "requestBody": {"required": true, "content": {"application/x-tar": {"schema": {"type": "string", "format": "binary"}}}},
      "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}},
    "get": {"summary": "The merged collection as a Data Package, an uncompressed tar: datapackage.json and data/<resource>.csv (viewer)",
      "parameters": [
        {"name": "as_of", "in": "query", "schema": {"type": "string"}, "description": "A tag or a version (AUTHOR:SEQ,...)"},
        {"name": "provenance", "in": "query", "schema": {"type": "boolean"}, "description": "Add a <field>.by column per field"}],
      "responses": {"200": {"description": "The package", "content": {"application/x-tar": {}}},
        "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/datasets/{dataset}/rows": {"get": {
    "summary": "One page of the dataset for people: cells as text with the node that contributed each, the matching total and each contributor's cell count (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"}, {"$ref": "#/components/parameters/dataset"},
      {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}, "description": "Matching rows to skip"},
      {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}, "description": "Rows in the page"},
      {"name": "sort", "in": "query", "schema": {"type": "string"}, "description": "A column name, or -NAME for descending; empty cells last. Sorted pages end by row 100000. Default: primary-key order"},
      {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 1000}, "description": "Only rows with a cell containing this text (ASCII case-insensitive)"},
      {"name": "as_of", "in": "query", "schema": {"type": "string"}, "description": "A tag or a version (AUTHOR:SEQ,...)"}],
    "responses": {"200": {"description": "{collection, dataset, version, fields[{name,type}], primary_key[], offset, limit, sort, q, total, contributors[{node_id,cells}], rows[{key, key_text, cells{field: value}, text{field: text}, by{field: NODEID}, conflicted[field]}]}",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Object"}}}},
      "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/datasets/{dataset}/records/{key}/history": {"get": {
    "summary": "Ops on one record, newest first (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"}, {"$ref": "#/components/parameters/dataset"},
      {"name": "key", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Primary-key value(s), comma-separated"}],
    "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/log": {"get": {"summary": "Commits, newest first (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"},
      {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "At most N commits (0: all)"},
      {"name": "invalid", "in": "query", "schema": {"type": "boolean"}, "description": "Only the commits judged invalid, with invalid_reason"}],
    "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/diff": {"get": {"summary": "Records added, removed and cells changed between versions (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"},
      {"name": "from", "in": "query", "required": true, "schema": {"type": "string"}, "description": "A tag or a version"},
      {"name": "to", "in": "query", "schema": {"type": "string"}, "description": "A tag or a version (default: current)"}],
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/conflicts": {"get": {"summary": "Cells with concurrent values that lost (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"},
      {"name": "dataset", "in": "query", "schema": {"type": "string"}, "description": "Only this dataset"}],
    "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/digest": {"get": {"summary": "SHA-256 of the materialized state (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"}],
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/tags": {
    "parameters": [{"$ref": "#/components/parameters/collection"}],
    "get": {"summary": "Tags (viewer)",
      "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}},
    "post": {"summary": "Tag the current version; a name is never moved (publisher)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}, "message": {"type": "string"}}}}}},
      "responses": {"201": {"$ref": "#/components/responses/Created"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/acl": {
    "parameters": [{"$ref": "#/components/parameters/collection"}],
    "get": {"summary": "Every node a valid Grant or Revoke names: its role as this node sees it (none: revoked) and the op that decided it, with its time (viewer)",
      "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}},
    "post": {"summary": "Grant a node a role (admin). 403 when this node is not an admin of the collection",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["node_id", "role"],
        "properties": {"node_id": {"type": "string"}, "role": {"type": "string", "enum": ["reader", "writer", "admin"]}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/acl/{node_id}": {"delete": {"summary": "Revoke a node's role (admin). 403 when this node is not an admin of the collection, 404 when the node is not a member, 409 when no admin would be left",
    "parameters": [{"$ref": "#/components/parameters/collection"},
      {"name": "node_id", "in": "path", "required": true, "schema": {"type": "string"}}],
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/acl/log": {"get": {"summary": "Every Grant and Revoke (and the genesis) in causal order: author, time, target, role, valid or invalid_reason (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"}],
    "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/collections/{collection}/members": {"get": {"summary": "Current members: role, commits held, invalid commits, time of the latest commit (viewer)",
    "parameters": [{"$ref": "#/components/parameters/collection"}],
    "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/invites": {"get": {"summary": "Collections peers offered that this node does not hold (viewer)",
    "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/invites/{collection}/join": {"post": {"summary": "Accept an invitation: fetch the collection from peers (admin)",
    "parameters": [{"$ref": "#/components/parameters/collection"}],
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/peers": {
    "get": {"summary": "Peers: configured or connected, last seen, commits behind (viewer)",
      "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}},
    "post": {"summary": "Add a peer to config.json (admin)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["url", "node_id"],
        "properties": {"url": {"type": "string"}, "node_id": {"type": "string"}, "name": {"type": "string"}, "auto_join": {"type": "boolean"}}}}}},
      "responses": {"201": {"$ref": "#/components/responses/Created"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/peers/{peer}": {"delete": {"summary": "Remove a peer from config.json by node ID or name (admin)",
    "parameters": [{"name": "peer", "in": "path", "required": true, "schema": {"type": "string"}}],
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/tokens": {
    "get": {"summary": "API tokens, without their secrets (admin)",
      "responses": {"200": {"$ref": "#/components/responses/List"}, "default": {"$ref": "#/components/responses/Error"}}},
    "post": {"summary": "Create a token; the response is the only place it appears (admin)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["role"],
        "properties": {"role": {"type": "string", "enum": ["viewer", "publisher", "admin"]}, "name": {"type": "string"}}}}}},
      "responses": {"201": {"$ref": "#/components/responses/Created"}, "default": {"$ref": "#/components/responses/Error"}}}},
  "/v1/tokens/{token}": {"delete": {"summary": "Revoke a token by ID or name (admin)",
    "parameters": [{"name": "token", "in": "path", "required": true, "schema": {"type": "string"}}],
    "responses": {"200": {"$ref": "#/components/responses/Object"}, "default": {"$ref": "#/components/responses/Error"}}}}
}
})json";

}  // namespace

const boost::json::value& OpenApiDocument() {
  static const boost::json::value* doc = new boost::json::value(boost::json::parse(kOpenApi));
  return *doc;
}

}  // namespace kongsi::server
