// Building blocks of the local API's JSON: typed values and keys, versions,
// times and the short labels the CLI prints, computed once on the serving
// side so every client shows the same text; and the checked reading of
// request bodies and the collection a path names.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "kongsi/v1/value.pb.h"
#include "node/reader.h"
#include "node/version_vector.h"
#include "server/api_types.h"

namespace kongsi::server {

// A version vector as {"NODEID": seq, ...}.
boost::json::object VersionJson(const node::VersionVector& vv);
// A value for people, unambiguous: null as `null`, text-like values quoted
// with JSON escapes, numbers and booleans as their source text.
std::string ValueLabel(const v1::Value& value);
// Primary-key values as their source text joined by ",": the form the
// history route's {key} and `history --key` read back.
std::string KeyText(const google::protobuf::RepeatedPtrField<v1::Value>& key);
// Typed key values.
boost::json::array KeyJson(const google::protobuf::RepeatedPtrField<v1::Value>& key);
// Milliseconds since the epoch as UTC "YYYY-MM-DDTHH:MM:SSZ".
std::string MsTime(uint64_t ms);
// The wall-clock part of an HLC, as MsTime.
std::string HlcTime(uint64_t hlc);
// The first 8 characters of a node ID text (not the raw ID: see ShortId in
// server/peer_hub.h): enough to tell nodes apart in
// a table (the same prefix Reader::FormatVersion uses).
std::string ShortIdText(std::string_view node_id_text);
// "AUTHOR8:seq": a commit as FormatVersion would name it.
std::string CommitLabel(std::string_view author_node_id_text, uint64_t seq);

// Request body fields; errors name the field. A missing optional field
// leaves `out` unchanged.
Status BodyString(const boost::json::object& body, const char* field, bool required,
                  std::string* out);
Status BodyBool(const boost::json::object& body, const char* field, bool* out);

// A publish delimiter by name: , ; | and tab (also "tab" and "\t", since a
// literal tab is awkward to type). False for anything else.
bool ParseDelimiter(const std::string& text, char* out);

// NotFound naming the dataset and collection when `dataset` is not in the
// reader's collection.
Status RequireDataset(const node::Reader& reader, const std::string& dataset);

// The raw ID of the collection the {collection} path parameter names (a
// name, an ID or a unique ID prefix).
Result<std::string> PathCollection(const ApiContext& ctx, const ApiRequest& request);

}  // namespace kongsi::server
