// `kongsi log`, `diff`, `history`, `conflicts`, `digest`: reading a
// collection's past (DESIGN §4, §5).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <vector>

#include "node/reader.h"
#include "node/value_text.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

struct LogArgs {
  std::string collection;
  size_t limit = 0;
};

struct DiffArgs {
  std::string collection;
  std::string from;
  std::string to;
};

struct HistoryArgs {
  std::string collection;
  std::string dataset;
  std::vector<std::string> key;
};

struct ConflictArgs {
  std::string collection;
  std::string dataset;
};

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// "AUTHOR8:seq": the commit as FormatVersion would name it.
std::string CommitLabel(const node::Reader& reader, const std::string& author, uint64_t seq) {
  return ShortId(reader.AuthorLabel(author)) + ":" + std::to_string(seq);
}

Status RunLog(const CliContext& ctx, const LogArgs& args) {
  auto opened = OpenCollection(ctx, args.collection);
  if (!opened.ok()) return opened.status();
  node::Reader reader(*opened->node, opened->id);
  auto log = reader.Log(args.limit);
  if (!log.ok()) return log.status();
  if (ctx.json) {
    boost::json::array out;
    for (const auto& e : *log) {
      boost::json::array ops;
      for (const auto& s : e.op_summary) ops.push_back(boost::json::string(s));
      out.push_back(boost::json::object{{"author", reader.AuthorLabel(e.author)},
                                        {"seq", e.seq},
                                        {"hlc", e.hlc},
                                        {"time", HlcTime(e.hlc)},
                                        {"local_seq", e.local_seq},
                                        {"ops", e.op_count},
                                        {"summary", std::move(ops)},
                                        {"note", e.note},
                                        {"valid", e.valid},
                                        {"invalid_reason", e.invalid_reason}});
    }
    PrintJson(*ctx.out, out);
    return Status::Ok();
  }
  Table table({"COMMIT", "TIME", "OPS", "NOTE"});
  for (const auto& e : *log) {
    std::string note = e.note;
    if (!e.valid) note = "INVALID (" + e.invalid_reason + ") " + note;
    table.AddRow(
        {CommitLabel(reader, e.author, e.seq), HlcTime(e.hlc), Join(e.op_summary, ", "), note});
  }
  table.Print(*ctx.out);
  return Status::Ok();
}

const char* KindName(node::RecordDiff::Kind kind) {
  switch (kind) {
    case node::RecordDiff::Kind::kAdded:
      return "added";
    case node::RecordDiff::Kind::kRemoved:
      return "removed";
    default:
      return "changed";
  }
}

Status RunDiff(const CliContext& ctx, const DiffArgs& args) {
  auto opened = OpenCollection(ctx, args.collection);
  if (!opened.ok()) return opened.status();
  node::Reader reader(*opened->node, opened->id);
  auto from = reader.ResolveVersion(args.from);
  if (!from.ok()) return from.status().WithContext("--from");
  node::VersionVector to = reader.cache().vv;
  if (!args.to.empty()) {
    auto v = reader.ResolveVersion(args.to);
    if (!v.ok()) return v.status().WithContext("--to");
    to = std::move(v).value();
  }
  auto diff = reader.Diff(*from, to);
  if (!diff.ok()) return diff.status();
  if (ctx.json) {
    boost::json::array records;
    for (const auto& d : *diff) {
      boost::json::array changes;
      for (const auto& c : d.changes) {
        changes.push_back(boost::json::object{{"field", c.field},
                                              {"before", node::ValueToJson(c.before)},
                                              {"after", node::ValueToJson(c.after)}});
      }
      records.push_back(boost::json::object{{"dataset", d.dataset},
                                            {"kind", KindName(d.kind)},
                                            {"key", KeyJson(d.key)},
                                            {"changes", std::move(changes)}});
    }
    PrintJson(*ctx.out, boost::json::object{{"from", reader.FormatVersion(*from)},
                                            {"to", reader.FormatVersion(to)},
                                            {"records", std::move(records)}});
    return Status::Ok();
  }
  *ctx.out << "from " << reader.FormatVersion(*from) << "\nto   " << reader.FormatVersion(to)
           << '\n';
  if (diff->empty()) {
    *ctx.out << "no changes\n";
    return Status::Ok();
  }
  // One line per record added or removed, one per cell changed: greppable.
  for (const auto& d : *diff) {
    std::string where = d.dataset + " [" + KeyText(d.key) + "]";
    if (d.kind == node::RecordDiff::Kind::kRemoved) {
      *ctx.out << "- " << where << '\n';
    } else if (d.kind == node::RecordDiff::Kind::kAdded) {
      std::vector<std::string> cells;
      for (const auto& c : d.changes) cells.push_back(c.field + "=" + ValueLabel(c.after));
      *ctx.out << "+ " << where << (cells.empty() ? "" : " " + Join(cells, ", ")) << '\n';
    } else {
      for (const auto& c : d.changes) {
        *ctx.out << "~ " << where << " " << c.field << ": " << ValueLabel(c.before) << " -> "
                 << ValueLabel(c.after) << '\n';
      }
    }
  }
  return Status::Ok();
}

// Key values typed per the dataset's key fields, so "007" finds integer 7.
Result<google::protobuf::RepeatedPtrField<v1::Value>> ParseKey(
    const v1::Schema& schema, const std::vector<std::string>& text) {
  if (static_cast<int>(text.size()) != schema.primary_key_size()) {
    return Status::InvalidArgument(
        "--key: the dataset's key has " + std::to_string(schema.primary_key_size()) +
        " column(s) (" + Join({schema.primary_key().begin(), schema.primary_key().end()}, ",") +
        "), got " + std::to_string(text.size()) + " value(s)");
  }
  google::protobuf::RepeatedPtrField<v1::Value> key;
  for (int i = 0; i < schema.primary_key_size(); ++i) {
    v1::Field field;
    field.set_name(schema.primary_key(i));
    for (const auto& f : schema.fields()) {
      if (f.name() == schema.primary_key(i)) field = f;
    }
    auto v = node::ParseValue(text[i], field, schema, /*keep_lexical=*/false);
    if (!v.ok()) return v.status().WithContext("--key " + field.name());
    *key.Add() = std::move(v).value();
  }
  return key;
}

std::string OpText(const v1::Op& op) {
  if (op.has_delete_()) return "delete";
  if (!op.has_upsert()) return "other";
  std::vector<std::string> cells;
  for (const auto& c : op.upsert().cells())
    cells.push_back(c.field() + "=" + ValueLabel(c.value()));
  return "upsert " + Join(cells, ", ");
}

Status RunHistory(const CliContext& ctx, const HistoryArgs& args) {
  auto opened = OpenCollection(ctx, args.collection);
  if (!opened.ok()) return opened.status();
  node::Reader reader(*opened->node, opened->id);
  auto ds = reader.cache().datasets.find(args.dataset);
  if (ds == reader.cache().datasets.end()) {
    return Status::NotFound("no dataset \"" + args.dataset + "\" in collection " +
                            reader.cache().info.name());
  }
  auto key = ParseKey(ds->second.schema(), args.key);
  if (!key.ok()) return key.status();
  auto history = reader.History(args.dataset, *key);
  if (!history.ok()) return history.status();
  if (history->empty()) {
    return Status::NotFound("no record [" + KeyText(*key) + "] in dataset " + args.dataset);
  }
  if (ctx.json) {
    boost::json::array out;
    for (const auto& h : *history) {
      boost::json::object cells;
      if (h.op.has_upsert()) {
        for (const auto& c : h.op.upsert().cells()) cells[c.field()] = node::ValueToJson(c.value());
      }
      out.push_back(boost::json::object{{"author", reader.AuthorLabel(h.by.author())},
                                        {"seq", h.by.seq()},
                                        {"hlc", h.by.hlc()},
                                        {"time", HlcTime(h.by.hlc())},
                                        {"op_index", h.op_index},
                                        {"op", h.op.has_delete_() ? "delete" : "upsert"},
                                        {"cells", std::move(cells)},
                                        {"valid", h.valid},
                                        {"note", h.note}});
    }
    PrintJson(*ctx.out, out);
    return Status::Ok();
  }
  Table table({"COMMIT", "TIME", "OP", "NOTE"});
  for (const auto& h : *history) {
    table.AddRow({CommitLabel(reader, h.by.author(), h.by.seq()), HlcTime(h.by.hlc()),
                  (h.valid ? "" : "INVALID ") + OpText(h.op), h.note});
  }
  table.Print(*ctx.out);
  return Status::Ok();
}

Status RunConflicts(const CliContext& ctx, const ConflictArgs& args) {
  auto opened = OpenCollection(ctx, args.collection);
  if (!opened.ok()) return opened.status();
  node::Reader reader(*opened->node, opened->id);
  auto conflicts = reader.Conflicts(args.dataset);
  if (!conflicts.ok()) return conflicts.status();
  if (ctx.json) {
    boost::json::array out;
    for (const auto& c : *conflicts) {
      boost::json::array losers;
      for (const auto& l : c.losers) {
        losers.push_back(boost::json::object{{"value", node::ValueToJson(l.value())},
                                             {"author", reader.AuthorLabel(l.by().author())},
                                             {"seq", l.by().seq()}});
      }
      out.push_back(boost::json::object{{"dataset", c.dataset},
                                        {"key", KeyJson(c.key)},
                                        {"field", c.field},
                                        {"value", node::ValueToJson(c.value)},
                                        {"author", reader.AuthorLabel(c.by.author())},
                                        {"seq", c.by.seq()},
                                        {"losers", std::move(losers)}});
    }
    PrintJson(*ctx.out, out);
    return Status::Ok();
  }
  if (conflicts->empty()) {
    *ctx.out << "no conflicts\n";
    return Status::Ok();
  }
  Table table({"DATASET", "KEY", "FIELD", "VALUE", "BY", "CONCURRENT"});
  for (const auto& c : *conflicts) {
    std::vector<std::string> losers;
    for (const auto& l : c.losers) {
      losers.push_back(ValueLabel(l.value()) + " by " +
                       CommitLabel(reader, l.by().author(), l.by().seq()));
    }
    table.AddRow({c.dataset, KeyText(c.key), c.field, ValueLabel(c.value),
                  CommitLabel(reader, c.by.author(), c.by.seq()), Join(losers, "; ")});
  }
  table.Print(*ctx.out);
  return Status::Ok();
}

Status RunDigest(const CliContext& ctx, const std::string& collection) {
  auto opened = OpenCollection(ctx, collection);
  if (!opened.ok()) return opened.status();
  node::Reader reader(*opened->node, opened->id);
  auto digest = reader.Digest();
  if (!digest.ok()) return digest.status();
  if (ctx.json) {
    PrintJson(*ctx.out, boost::json::object{{"collection", node::HexId(opened->id)},
                                            {"version", reader.FormatVersion(reader.cache().vv)},
                                            {"digest", *digest}});
  } else {
    *ctx.out << *digest << '\n';
  }
  return Status::Ok();
}

}  // namespace

void AddHistoryCommands(CLI::App& app, CliContext& ctx) {
  auto log_args = std::make_shared<LogArgs>();
  CLI::App* log = app.add_subcommand("log", "Commits of a collection, newest first");
  log->add_option("--collection", log_args->collection, "Collection name or ID")->required();
  log->add_option("--limit", log_args->limit, "Show at most N commits (0: all)");
  OnRun(log, ctx, [&ctx, log_args] { return RunLog(ctx, *log_args); });

  auto diff_args = std::make_shared<DiffArgs>();
  CLI::App* diff =
      app.add_subcommand("diff", "Records added, removed and cells changed between versions");
  diff->add_option("--collection", diff_args->collection, "Collection name or ID")->required();
  diff->add_option("--from", diff_args->from, "A tag or a version (AUTHOR:SEQ,...)")->required();
  diff->add_option("--to", diff_args->to, "A tag or a version (default: current)");
  OnRun(diff, ctx, [&ctx, diff_args] { return RunDiff(ctx, *diff_args); });

  auto hist_args = std::make_shared<HistoryArgs>();
  CLI::App* history = app.add_subcommand("history", "Ops on one record, newest first");
  history->add_option("--collection", hist_args->collection, "Collection name or ID")->required();
  history->add_option("--dataset", hist_args->dataset, "Dataset name")->required();
  history->add_option("--key", hist_args->key, "Primary-key value(s), comma-separated")
      ->required()
      ->delimiter(',');
  OnRun(history, ctx, [&ctx, hist_args] { return RunHistory(ctx, *hist_args); });

  auto conf_args = std::make_shared<ConflictArgs>();
  CLI::App* conflicts = app.add_subcommand("conflicts", "Cells with concurrent values that lost");
  conflicts->add_option("--collection", conf_args->collection, "Collection name or ID")->required();
  conflicts->add_option("--dataset", conf_args->dataset, "Only this dataset");
  OnRun(conflicts, ctx, [&ctx, conf_args] { return RunConflicts(ctx, *conf_args); });

  auto digest_coll = std::make_shared<std::string>();
  CLI::App* digest = app.add_subcommand("digest", "SHA-256 of the collection's materialized state");
  digest->add_option("--collection", *digest_coll, "Collection name or ID")->required();
  OnRun(digest, ctx, [&ctx, digest_coll] { return RunDigest(ctx, *digest_coll); });
}

}  // namespace kongsi::server
