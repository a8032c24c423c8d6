// One page of a dataset, for people (the web console's table):
//   GET /v1/collections/{collection}/datasets/{dataset}/rows
//       ?offset=N&limit=N&sort=FIELD|-FIELD&q=TEXT&as_of=TAG|VERSION
// Each cell comes with its source text and the node that contributed it,
// and the answer counts the matching rows and each contributor's cells, so
// a client can page, colour cells by organisation and draw a legend without
// downloading the dataset. Bulk reads belong to .../export, which streams.
//
// Cost: every call scans the dataset once (the total and the legend need
// it); memory stays within one page, or kMaxRowsSortWindow keys when sorted.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "node/identity.h"
#include "node/reader.h"
#include "node/record_merge.h"
#include "node/value_text.h"
#include "server/api_json.h"
#include "server/api_router.h"

namespace kongsi::server {
namespace {

// Rows per page at most, and the default.
constexpr uint64_t kMaxRowsPageLimit = 1000;
constexpr uint64_t kDefaultRowsPageLimit = 50;
// A sorted page is chosen from the best offset+limit rows, whose keys are
// held while the dataset is scanned: offset+limit may not pass this.
constexpr uint64_t kMaxRowsSortWindow = 100000;
// Longest search text (a search box, not a query language).
constexpr size_t kMaxRowsQueryBytes = 1000;

Status QueryError(const char* name, const std::string& why) {
  return Status::InvalidArgument(std::string("query parameter ") + name + ": " + why);
}

// One column of the table: a schema field, and where its value lives.
struct Column {
  std::string name;
  int key_index = -1;  // >= 0 for primary-key fields
};

// The schema's fields in order. A synthetic key (`_row`) is not part of the
// source table, so it is not a column (rows still carry it in key_text).
std::vector<Column> ColumnsOf(const v1::Schema& schema) {
  std::vector<Column> columns;
  for (const auto& field : schema.fields()) {
    Column c{field.name()};
    for (int i = 0; i < schema.primary_key_size(); ++i) {
      if (schema.primary_key(i) == field.name()) c.key_index = i;
    }
    if (schema.synthetic_key() && c.key_index >= 0) continue;
    columns.push_back(std::move(c));
  }
  return columns;
}

// What a reader sees in one cell, as the export shows it: a key column is
// written by the record's latest upserter; a cell hidden by a newer Delete
// or never written is null with no author.
struct Cell {
  const v1::Value* value = nullptr;  // null: no value
  const std::string* author = nullptr;
  bool conflicted = false;
};

Cell CellOf(const v1::RecordState& record, const Column& column) {
  Cell out;
  if (column.key_index >= 0) {
    if (column.key_index < record.key_size()) out.value = &record.key(column.key_index);
    out.author = &record.last_upsert().author();
    return out;
  }
  const v1::CellState* cell = node::FindCell(record, column.name);
  if (cell == nullptr) return out;
  node::CellView view = node::ViewCell(record, *cell);
  if (!view.visible) return out;
  out.value = &cell->value();
  out.author = &cell->by().author();
  out.conflicted = !view.conflicts.empty();
  return out;
}

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// The page asked for, checked.
struct PageQuery {
  uint64_t offset = 0;
  uint64_t limit = kDefaultRowsPageLimit;
  std::optional<size_t> sort_column;
  bool descending = false;
  std::string q;  // lower case; empty: every row
  std::optional<node::VersionVector> as_of;
};

Result<PageQuery> ParsePageQuery(const ApiRequest& request, const node::Reader& reader,
                                 const std::vector<Column>& columns) {
  PageQuery page;
  if (request.HasQuery("offset")) {
    auto n = request.QueryUint("offset");
    if (!n.ok()) return n.status();
    page.offset = *n;
  }
  if (request.HasQuery("limit")) {
    auto n = request.QueryUint("limit");
    if (!n.ok()) return n.status();
    if (*n == 0 || *n > kMaxRowsPageLimit) {
      return QueryError("limit", std::to_string(*n) + " is not between 1 and " +
                                     std::to_string(kMaxRowsPageLimit));
    }
    page.limit = *n;
  }
  std::string sort = request.Query("sort");
  if (!sort.empty()) {
    page.descending = sort.front() == '-';
    std::string field = page.descending ? sort.substr(1) : sort;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].name == field) page.sort_column = i;
    }
    if (!page.sort_column) return QueryError("sort", "no column \"" + field + "\" in the dataset");
    if (page.offset > kMaxRowsSortWindow - page.limit) {  // offset + limit, without overflow
      return QueryError("offset",
                        "a sorted page must end by row " + std::to_string(kMaxRowsSortWindow) +
                            "; narrow it with q, reverse the sort, or export the dataset");
    }
  }
  page.q = request.Query("q");
  if (page.q.size() > kMaxRowsQueryBytes) {
    return QueryError("q", "over " + std::to_string(kMaxRowsQueryBytes) + " bytes");
  }
  page.q = Lower(std::move(page.q));
  if (!request.Query("as_of").empty()) {
    auto vv = reader.ResolveVersion(request.Query("as_of"));
    if (!vv.ok()) return vv.status().WithContext("as_of");
    page.as_of = std::move(vv).value();
  }
  return page;
}

// Orders rows by one column, empty cells last either way, ties in key
// (scan) order so that pages never overlap.
struct SortEntry {
  std::optional<v1::Value> value;
  uint64_t position = 0;  // in key order
  google::protobuf::RepeatedPtrField<v1::Value> key;
};

struct SortOrder {
  bool descending = false;
  bool operator()(const SortEntry& a, const SortEntry& b) const {
    if (a.value.has_value() != b.value.has_value()) return a.value.has_value();
    if (a.value) {
      int c = node::CompareValues(*a.value, *b.value);
      if (c != 0) return descending ? c > 0 : c < 0;
    }
    return a.position < b.position;
  }
};

// Scans the dataset once: counts matches and contributions, and gathers the
// page (directly in key order, or through a bounded heap when sorted).
class PageBuilder {
 public:
  PageBuilder(const node::Reader& reader, std::vector<Column> columns, const PageQuery& page)
      : reader_(reader), columns_(std::move(columns)), page_(page), order_{page.descending} {}

  Status Scan(const std::string& dataset) {
    const node::VersionVector* as_of = page_.as_of ? &*page_.as_of : nullptr;
    KONGSI_RETURN_IF_ERROR(reader_.ScanRecords(dataset, as_of, [&](const v1::RecordState& r) {
      Visit(r);
      return true;
    }));
    if (!page_.sort_column) return Status::Ok();
    std::sort_heap(heap_.begin(), heap_.end(), order_);
    for (uint64_t i = page_.offset; i < heap_.size(); ++i) {
      auto record = reader_.GetRecord(dataset, heap_[i].key, as_of);
      if (!record.ok()) return record.status();
      if (record->has_value()) rows_.push_back(RowJson(**record));
    }
    return Status::Ok();
  }

  uint64_t total() const { return matched_; }
  boost::json::array TakeRows() { return std::move(rows_); }

  // Contributors of the matching rows, most cells first.
  boost::json::array Contributors() const {
    std::vector<std::pair<uint64_t, std::string>> by_count;
    for (const auto& [author, cells] : contributions_) by_count.emplace_back(cells, author);
    std::sort(by_count.begin(), by_count.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    boost::json::array out;
    for (const auto& [cells, author] : by_count) {
      out.push_back(
          boost::json::object{{"node_id", reader_.AuthorLabel(author)}, {"cells", cells}});
    }
    return out;
  }

 private:
  void Visit(const v1::RecordState& record) {
    if (!page_.q.empty() && !Matches(record)) return;
    const uint64_t position = matched_++;
    for (const Column& c : columns_) {
      Cell cell = CellOf(record, c);
      if (cell.author != nullptr && cell.value != nullptr) ++contributions_[*cell.author];
    }
    if (!page_.sort_column) {
      if (position >= page_.offset && position - page_.offset < page_.limit)
        rows_.push_back(RowJson(record));
      return;
    }
    SortEntry entry;
    Cell cell = CellOf(record, columns_[*page_.sort_column]);
    if (cell.value != nullptr) entry.value = *cell.value;
    entry.position = position;
    entry.key = record.key();
    // Keep the best offset+limit rows: a max-heap whose top is the worst.
    const size_t window = page_.offset + page_.limit;
    if (heap_.size() < window) {
      heap_.push_back(std::move(entry));
      std::push_heap(heap_.begin(), heap_.end(), order_);
    } else if (order_(entry, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), order_);
      heap_.back() = std::move(entry);
      std::push_heap(heap_.begin(), heap_.end(), order_);
    }
  }

  bool Matches(const v1::RecordState& record) const {
    for (const Column& c : columns_) {
      Cell cell = CellOf(record, c);
      if (cell.value != nullptr &&
          Lower(node::RenderText(*cell.value)).find(page_.q) != std::string::npos)
        return true;
    }
    return false;
  }

  boost::json::object RowJson(const v1::RecordState& record) {
    boost::json::object cells, text, by;
    boost::json::array conflicted;
    for (const Column& c : columns_) {
      Cell cell = CellOf(record, c);
      if (cell.value == nullptr) {
        cells[c.name] = nullptr;
        text[c.name] = "";
        continue;
      }
      cells[c.name] = node::ValueToJson(*cell.value);
      text[c.name] = node::RenderText(*cell.value);
      if (cell.author != nullptr) by[c.name] = Label(*cell.author);
      if (cell.conflicted) conflicted.push_back(boost::json::string(c.name));
    }
    return boost::json::object{
        {"key", KeyJson(record.key())}, {"key_text", KeyText(record.key())},
        {"cells", std::move(cells)},    {"text", std::move(text)},
        {"by", std::move(by)},          {"conflicted", std::move(conflicted)}};
  }

  // Node ID text per author key; a dataset has few authors, so memoise.
  const std::string& Label(const std::string& author) {
    auto it = labels_.find(author);
    if (it == labels_.end()) it = labels_.emplace(author, reader_.AuthorLabel(author)).first;
    return it->second;
  }

  const node::Reader& reader_;
  const std::vector<Column> columns_;
  const PageQuery& page_;
  const SortOrder order_;
  uint64_t matched_ = 0;
  std::map<std::string, uint64_t> contributions_;  // author key -> cells
  std::vector<SortEntry> heap_;
  boost::json::array rows_;
  std::map<std::string, std::string> labels_;
};

Result<ApiResponse> GetRows(const ApiContext& ctx, const ApiRequest& request) {
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  const std::string& dataset = request.param("dataset");
  KONGSI_RETURN_IF_ERROR(RequireDataset(reader, dataset));
  const v1::Schema& schema = reader.cache().datasets.at(dataset).schema();
  std::vector<Column> columns = ColumnsOf(schema);
  auto page = ParsePageQuery(request, reader, columns);
  if (!page.ok()) return page.status();

  PageBuilder builder(reader, columns, *page);
  KONGSI_RETURN_IF_ERROR(builder.Scan(dataset));

  boost::json::array fields, key;
  for (const Column& c : columns) {
    std::string type = "string";
    for (const auto& f : schema.fields()) {
      if (f.name() == c.name && !f.type().empty()) type = f.type();
    }
    fields.push_back(boost::json::object{{"name", c.name}, {"type", type}});
  }
  for (const auto& k : schema.primary_key()) key.push_back(boost::json::string(k));
  std::string sort;
  if (page->sort_column) sort = (page->descending ? "-" : "") + columns[*page->sort_column].name;
  return ApiResponse::Json(boost::json::object{
      {"collection", node::HexId(*coll)},
      {"dataset", dataset},
      {"version", reader.FormatVersion(page->as_of ? *page->as_of : reader.cache().vv)},
      {"fields", std::move(fields)},
      {"primary_key", std::move(key)},
      {"offset", page->offset},
      {"limit", page->limit},
      {"sort", sort},
      {"q", request.Query("q")},
      {"total", builder.total()},
      {"contributors", builder.Contributors()},
      {"rows", builder.TakeRows()}});
}

}  // namespace

void AddRowsRoutes(ApiRouter& router) {
  router.Add({"GET", "/v1/collections/{collection}/datasets/{dataset}/rows", ApiRole::kViewer,
              ApiBody::kNone, GetRows});
}

}  // namespace kongsi::server
