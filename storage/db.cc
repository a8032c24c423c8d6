#include "storage/db.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <vector>

namespace kongsi::storage {
namespace {

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string m = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(m);
  if (s.IsCorruption()) return Status::Corruption(m);
  if (s.IsIOError()) return Status::IoError(m);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(m);
  return Status::Internal(m);
}

constexpr int kFamilies = static_cast<int>(Family::kCount);
// Memory bounds, whatever the data size (see Db::Open).
constexpr size_t kMemtableBudgetBytes = 32u << 20;
constexpr size_t kBlockCacheBytes = 32u << 20;

}  // namespace

const char* FamilyName(Family f) {
  switch (f) {
    case Family::kMeta: return rocksdb::kDefaultColumnFamilyName.c_str();
    case Family::kCollections: return "collections";
    case Family::kDatasets: return "datasets";
    case Family::kCommits: return "commits";
    case Family::kChanges: return "changes";
    case Family::kVersions: return "versions";
    case Family::kRecords: return "records";
    case Family::kRecordOps: return "record_ops";
    case Family::kAcl: return "acl";
    case Family::kTags: return "tags";
    case Family::kPending: return "pending";
    case Family::kStaging: return "staging";
    case Family::kCount: break;
  }
  return "?";
}

std::string PrefixSuccessor(std::string_view p) {
  std::string s(p);
  while (!s.empty()) {
    auto c = static_cast<unsigned char>(s.back());
    if (c != 0xff) {
      s.back() = static_cast<char>(c + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

// ---- WriteBatch ----

WriteBatch::WriteBatch(const Db& db)
    : batch_(std::make_unique<rocksdb::WriteBatch>()), db_(&db) {}
WriteBatch::WriteBatch(const Db& db, size_t reserve_bytes)
    : batch_(std::make_unique<rocksdb::WriteBatch>(reserve_bytes)), db_(&db) {}
WriteBatch::~WriteBatch() = default;

void WriteBatch::Put(Family f, std::string_view key, std::string_view value) {
  // rocksdb::WriteBatch::Put only fails past 4 GiB; Db::Write reports that.
  (void)batch_->Put(db_->handles_[static_cast<int>(f)], ToSlice(key), ToSlice(value));
}
void WriteBatch::Delete(Family f, std::string_view key) {
  (void)batch_->Delete(db_->handles_[static_cast<int>(f)], ToSlice(key));
}
size_t WriteBatch::Count() const { return batch_->Count(); }
size_t WriteBatch::ByteSize() const { return batch_->GetDataSize(); }
void WriteBatch::Clear() { batch_->Clear(); }

// ---- Iterator ----

Iterator::Iterator(std::string lower, std::string upper)
    : lower_(std::move(lower)),
      upper_(std::move(upper)),
      lower_slice_(std::make_unique<rocksdb::Slice>(lower_)),
      upper_slice_(std::make_unique<rocksdb::Slice>(upper_)) {}
Iterator::~Iterator() { it_.reset(); }
void Iterator::SeekToFirst() { it_->SeekToFirst(); }
void Iterator::Seek(std::string_view key) {
  if (key < std::string_view(lower_)) key = lower_;
  it_->Seek(ToSlice(key));
}
void Iterator::SeekToLast() { it_->SeekToLast(); }
bool Iterator::Valid() const { return it_->Valid(); }
void Iterator::Next() { it_->Next(); }
void Iterator::Prev() { it_->Prev(); }
std::string_view Iterator::key() const {
  auto k = it_->key();
  return {k.data(), k.size()};
}
std::string_view Iterator::value() const {
  auto v = it_->value();
  return {v.data(), v.size()};
}
Status Iterator::status() const { return FromRocks(it_->status(), "iterator"); }

// ---- Snapshot ----

Snapshot::~Snapshot() { db_->ReleaseSnapshot(snap_); }

// ---- Db ----

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, const Options& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_open_files = 512;
  db_options.keep_log_file_num = 3;
  // Each family opened its first SST files on 16 new threads: on this
  // 2-core machine those thread starts cost every CLI command ~10 ms.
  db_options.max_file_opening_threads = 1;
  db_options.compression = rocksdb::kLZ4Compression;
  // Memory bounded in the data size, though not flat (bench figure 6: a
  // sync's receiver peaks at ~100 MB at 100k rows, ~130 MB at 1M): every
  // family's memtables share one budget, and index/filter blocks live in
  // one bounded block cache instead of growing with the number of SST
  // files. Without the budget, 12 families x 2 memtables x 16 MiB could
  // hold ~380 MiB.
  // 32 MiB (16 MiB memtables) rather than 64 (32): the receiving node's
  // peak RSS in a 1M-row sync fell 293 -> 247 MB at the same sync rate;
  // 16 MiB (8 MiB memtables) saved 4 MB more but cost ~15% of the rate.
  auto cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(kMemtableBudgetBytes);
  db_options.max_total_wal_size = 2 * kMemtableBudgetBytes;
  // Flushes and compactions write their SST files out a megabyte at a time
  // instead of leaving tens of megabytes dirty for one fsync at the end, a
  // burst that a synced commit write would wait behind on the disk (bench
  // figure 4: one-row changes right after a 1M-row sync, while RocksDB
  // compacts what the sync wrote).
  db_options.bytes_per_sync = 1u << 20;

  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.compression = rocksdb::kLZ4Compression;
  cf_options.write_buffer_size = 16u << 20;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  // Most Gets during an import or an initial sync ask for records that do
  // not exist yet: a memtable bloom filter answers them without a skiplist
  // search. Only there: each memtable zeroes its filter when it is made, at
  // every open, and that was a fifth of the time `kongsi id` took.
  rocksdb::ColumnFamilyOptions records_options = cf_options;
  records_options.memtable_whole_key_filtering = true;
  records_options.memtable_prefix_bloom_size_ratio = 0.02;
  for (int i = 0; i < kFamilies; ++i) {
    auto f = static_cast<Family>(i);
    descriptors.emplace_back(FamilyName(f), f == Family::kRecords ? records_options : cf_options);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocks(s, "opening database " + path);

  std::unique_ptr<Db> db(new Db());
  db->db_ = raw;
  for (int i = 0; i < kFamilies; ++i) db->handles_[i] = handles[i];
  return db;
}

Db::~Db() {
  if (!db_) return;
  for (auto* h : handles_) {
    if (h) (void)db_->DestroyColumnFamilyHandle(h);
  }
  (void)db_->Close();
  delete db_;
}

Status Db::Get(Family f, std::string_view key, std::string* value,
               const Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  if (snapshot) ro.snapshot = snapshot->snap_;
  return FromRocks(db_->Get(ro, handles_[static_cast<int>(f)], ToSlice(key), value),
                   FamilyName(f));
}

Status Db::MultiGet(Family f, const std::vector<std::string>& keys,
                    const std::function<Status(size_t i, const std::string_view* value)>& visit) const {
  // In slices: each value found pins its block until visited, so a commit
  // of 100,000 ops cannot pin 100,000 blocks at once.
  constexpr size_t kSlice = 512;
  std::vector<rocksdb::Slice> slices(std::min(kSlice, keys.size()));
  std::vector<rocksdb::PinnableSlice> values(slices.size());
  std::vector<rocksdb::Status> statuses(slices.size());
  for (size_t from = 0; from < keys.size(); from += kSlice) {
    size_t n = std::min(kSlice, keys.size() - from);
    for (size_t j = 0; j < n; ++j) {
      slices[j] = ToSlice(keys[from + j]);
      values[j].Reset();
    }
    db_->MultiGet(rocksdb::ReadOptions(), handles_[static_cast<int>(f)], n, slices.data(), values.data(),
                  statuses.data(), /*sorted_input=*/true);
    for (size_t j = 0; j < n; ++j) {
      if (statuses[j].IsNotFound()) {
        KONGSI_RETURN_IF_ERROR(visit(from + j, nullptr));
        continue;
      }
      KONGSI_RETURN_IF_ERROR(FromRocks(statuses[j], FamilyName(f)));
      std::string_view value(values[j].data(), values[j].size());
      KONGSI_RETURN_IF_ERROR(visit(from + j, &value));
    }
  }
  return Status::Ok();
}

Status Db::Write(WriteBatch& batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  if (sync) synced_writes_.fetch_add(1, std::memory_order_relaxed);
  return FromRocks(db_->Write(wo, batch.batch_.get()), "write batch");
}

std::unique_ptr<Iterator> Db::NewIterator(Family f, std::string_view lower,
                                          std::string_view upper,
                                          const Snapshot* snapshot) const {
  return MakeIterator(f, lower, upper, snapshot, /*scan=*/false);
}

std::unique_ptr<Iterator> Db::MakeIterator(Family f, std::string_view lower, std::string_view upper,
                                           const Snapshot* snapshot, bool scan) const {
  std::unique_ptr<Iterator> it(new Iterator(std::string(lower), std::string(upper)));
  rocksdb::ReadOptions ro;
  if (snapshot) ro.snapshot = snapshot->snap_;
  if (scan) ro.fill_cache = false;
  if (!it->lower_.empty()) ro.iterate_lower_bound = it->lower_slice_.get();
  if (!it->upper_.empty()) ro.iterate_upper_bound = it->upper_slice_.get();
  it->it_.reset(db_->NewIterator(ro, handles_[static_cast<int>(f)]));
  return it;
}

std::unique_ptr<Iterator> Db::NewPrefixIterator(Family f, std::string_view prefix,
                                                const Snapshot* snapshot) const {
  return MakePrefixIterator(f, prefix, snapshot, /*scan=*/false);
}

std::unique_ptr<Iterator> Db::NewScanIterator(Family f, std::string_view prefix,
                                              const Snapshot* snapshot) const {
  return MakePrefixIterator(f, prefix, snapshot, /*scan=*/true);
}

std::unique_ptr<Iterator> Db::MakePrefixIterator(Family f, std::string_view prefix,
                                                 const Snapshot* snapshot, bool scan) const {
  auto it = MakeIterator(f, prefix, PrefixSuccessor(prefix), snapshot, scan);
  it->SeekToFirst();
  return it;
}

std::unique_ptr<Snapshot> Db::NewSnapshot() const {
  return std::unique_ptr<Snapshot>(new Snapshot(db_, db_->GetSnapshot()));
}

Status Db::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* cp = nullptr;
  auto s = rocksdb::Checkpoint::Create(db_, &cp);
  if (!s.ok()) return FromRocks(s, "checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> owner(cp);
  return FromRocks(cp->CreateCheckpoint(dir), "checkpoint to " + dir);
}

uint64_t Db::ApproximateSize() const {
  uint64_t total = 0;
  for (auto* h : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, rocksdb::DB::Properties::kTotalSstFilesSize, &v)) total += v;
    if (db_->GetIntProperty(h, rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) total += v;
  }
  return total;
}

Status Db::Flush() {
  rocksdb::FlushOptions fo;
  std::vector<rocksdb::ColumnFamilyHandle*> hs(std::begin(handles_), std::end(handles_));
  return FromRocks(db_->Flush(fo, hs), "flush");
}

}  // namespace kongsi::storage
