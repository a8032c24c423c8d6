#include "node/publish_mark.h"

#include <fstream>

#include "node/digest_builder.h"
#include "node/importer.h"
#include "node/store_keys.h"

namespace kongsi::node {
namespace {

// Bump when the importer reads the same bytes differently (a parser or
// type-inference change), so that marks written by an older kongsi miss.
constexpr std::string_view kFingerprintFormat = "kongsi publish mark 1";
constexpr size_t kFingerprintBytes = 32;
constexpr size_t kReadChunk = 1 << 20;

std::string MarkKey(const std::string& collection, const std::string& dataset) {
  return "publish/" + keys::Dataset(collection, dataset);
}

Result<std::string> FileDigest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  DigestBuilder h;
  std::string chunk(kReadChunk, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    h.Update(std::string_view(chunk.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) return Status::IoError(path + ": read failed");
  return h.Finish();
}

}  // namespace

Result<std::string> PublishFingerprint(const std::string& path, const PublishOptions& o) {
  DigestBuilder h;
  h.Add(kFingerprintFormat);
  h.Add(std::string_view(&o.delimiter, 1));
  h.Add(o.encoding);
  h.Add(std::to_string(o.key_columns.size()));
  for (const auto& k : o.key_columns) h.Add(k);
  h.Add(o.schema ? o.schema->SerializeAsString() : std::string());
  h.Add(o.schema_inferred ? "inferred" : "declared");
  for (const std::string* file : {&o.schema_path, &path}) {
    if (file->empty()) continue;
    auto digest = FileDigest(*file);
    if (!digest.ok()) return digest.status();
    h.Add(*digest);
  }
  return h.Finish();
}

std::optional<PublishMark> LastPublish(const storage::Db& db, const std::string& collection,
                                       const std::string& dataset) {
  std::string bytes;
  if (!db.Get(storage::Family::kMeta, MarkKey(collection, dataset), &bytes).ok()) return std::nullopt;
  std::string_view in(bytes);
  PublishMark mark;
  v1::VersionVector version;
  if (!storage::ConsumeFixed(&in, kFingerprintBytes, &mark.fingerprint) ||
      !storage::ConsumeU64(&in, &mark.rows_read) || !storage::ConsumeU64(&in, &mark.blank_rows_skipped) ||
      !version.ParseFromArray(in.data(), static_cast<int>(in.size()))) {
    return std::nullopt;  // unreadable: compare every row, as without a mark
  }
  mark.version = VersionVector::FromProto(version);
  return mark;
}

Status RecordPublish(storage::Db& db, const std::string& collection, const std::string& dataset,
                     const PublishMark& mark) {
  if (mark.fingerprint.size() != kFingerprintBytes) return Status::InvalidArgument("publish mark: bad fingerprint");
  std::string bytes = mark.fingerprint;
  storage::AppendU64(&bytes, mark.rows_read);
  storage::AppendU64(&bytes, mark.blank_rows_skipped);
  bytes.append(mark.version.ToProto().SerializeAsString());
  storage::WriteBatch batch(db);
  batch.Put(storage::Family::kMeta, MarkKey(collection, dataset), bytes);
  // No fsync of its own: losing the mark in a crash costs only a full
  // compare on the next publish, and the write-ahead log keeps writes in
  // order, so a mark that survives never names commits that did not. That
  // saves a one-row publish one of its two disk flushes.
  return db.Write(batch, /*sync=*/false);
}

}  // namespace kongsi::node
