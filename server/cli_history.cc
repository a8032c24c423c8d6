// `kongsi log`, `diff`, `history`, `conflicts`, `digest`: reading a
// collection's past (DESIGN §4, §5).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <vector>

#include "server/api_json.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

struct LogArgs {
  std::string collection;
  size_t limit = 0;
  bool invalid = false;
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

// "AUTHOR8:seq" of an entry with "author" and "seq".
std::string CommitOf(const boost::json::value& entry) {
  return CommitLabel(Text(entry, "author"), entry.at("seq").to_number<uint64_t>());
}

// One collection's log; with --invalid and no --collection, the invalid
// commits of every collection, each entry naming its collection.
Status RunLog(CliContext& ctx, const LogArgs& args) {
  auto api = ctx.Api();
  if (!api.ok()) return api.status();
  std::vector<std::string> collections{args.collection};
  if (args.collection.empty()) {
    auto list = (*api)->Call({"GET", "/v1/collections"});
    if (!list.ok()) return list.status();
    collections.clear();
    for (const auto& c : list->as_array()) collections.push_back(Text(c, "name"));
  }
  boost::json::array entries;
  for (const auto& coll : collections) {
    ApiCall call{"GET", ApiPath({"v1", "collections", coll, "log"})};
    if (args.limit > 0) call.query.emplace_back("limit", std::to_string(args.limit));
    if (args.invalid) call.query.emplace_back("invalid", "true");
    auto log = (*api)->Call(call);
    if (!log.ok()) return log.status();
    for (auto& e : log->as_array()) {
      e.as_object()["collection"] = coll;
      entries.push_back(std::move(e));
    }
  }
  if (ctx.json) {
    PrintJson(*ctx.out, entries);
    return Status::Ok();
  }
  const bool every = args.collection.empty();
  std::vector<std::string> header{"COMMIT", "TIME", "OPS", args.invalid ? "WHY INVALID" : "NOTE"};
  if (every) header.insert(header.begin(), "COLLECTION");
  Table table(header);
  for (const auto& e : entries) {
    std::string last = Text(e, "note");
    if (args.invalid) {
      last = Text(e, "invalid_reason");
    } else if (!e.at("valid").as_bool()) {
      last = "INVALID (" + Text(e, "invalid_reason") + ") " + last;
    }
    std::vector<std::string> row{CommitOf(e), Text(e, "time"), JoinedText(e, "summary", ", "), last};
    if (every) row.insert(row.begin(), Text(e, "collection"));
    table.AddRow(std::move(row));
  }
  if (args.invalid && table.empty()) {
    *ctx.out << "no invalid commits\n";
  } else {
    table.Print(*ctx.out);
  }
  return Status::Ok();
}

Status RunDiff(CliContext& ctx, const DiffArgs& args) {
  ApiCall call{"GET", ApiPath({"v1", "collections", args.collection, "diff"})};
  call.query.emplace_back("from", args.from);
  if (!args.to.empty()) call.query.emplace_back("to", args.to);
  return CallAndPrint(ctx, call, [&](const boost::json::value& doc) {
    *ctx.out << "from " << Text(doc, "from") << "\nto   " << Text(doc, "to") << '\n';
    const boost::json::array& records = doc.at("records").as_array();
    if (records.empty()) {
      *ctx.out << "no changes\n";
      return;
    }
    // One line per record added or removed, one per cell changed: greppable.
    for (const auto& d : records) {
      std::string where = Text(d, "dataset") + " [" + Text(d, "key_text") + "]";
      std::string kind = Text(d, "kind");
      const boost::json::array& changes = d.at("changes").as_array();
      if (kind == "removed") {
        *ctx.out << "- " << where << '\n';
      } else if (kind == "added") {
        std::string cells;
        for (const auto& c : changes)
          cells += (cells.empty() ? "" : ", ") + Text(c, "field") + "=" + Text(c, "after_text");
        *ctx.out << "+ " << where << (cells.empty() ? "" : " " + cells) << '\n';
      } else {
        for (const auto& c : changes) {
          *ctx.out << "~ " << where << " " << Text(c, "field") << ": " << Text(c, "before_text")
                   << " -> " << Text(c, "after_text") << '\n';
        }
      }
    }
  });
}

Status RunHistory(CliContext& ctx, const HistoryArgs& args) {
  std::string key;
  for (const auto& k : args.key) key += (key.empty() ? "" : ",") + k;
  ApiCall call{"GET", ApiPath({"v1", "collections", args.collection, "datasets", args.dataset,
                               "records", key, "history"})};
  return CallAndPrint(ctx, call, [&](const boost::json::value& doc) {
    Table table({"COMMIT", "TIME", "OP", "NOTE"});
    for (const auto& h : doc.as_array()) {
      table.AddRow({CommitOf(h), Text(h, "time"),
                    (h.at("valid").as_bool() ? "" : "INVALID ") + Text(h, "summary"),
                    Text(h, "note")});
    }
    table.Print(*ctx.out);
  });
}

Status RunConflicts(CliContext& ctx, const ConflictArgs& args) {
  ApiCall call{"GET", ApiPath({"v1", "collections", args.collection, "conflicts"})};
  if (!args.dataset.empty()) call.query.emplace_back("dataset", args.dataset);
  return CallAndPrint(ctx, call, [&](const boost::json::value& doc) {
    if (doc.as_array().empty()) {
      *ctx.out << "no conflicts\n";
      return;
    }
    Table table({"DATASET", "KEY", "FIELD", "VALUE", "BY", "CONCURRENT"});
    for (const auto& c : doc.as_array()) {
      std::string losers;
      for (const auto& l : c.at("losers").as_array()) {
        losers += (losers.empty() ? "" : "; ") + Text(l, "value_text") + " by " + CommitOf(l);
      }
      table.AddRow({Text(c, "dataset"), Text(c, "key_text"), Text(c, "field"),
                    Text(c, "value_text"), CommitOf(c), losers});
    }
    table.Print(*ctx.out);
  });
}

Status RunDigest(CliContext& ctx, const std::string& collection) {
  return CallAndPrint(
      ctx, {"GET", ApiPath({"v1", "collections", collection, "digest"})},
      [&](const boost::json::value& doc) { *ctx.out << Text(doc, "digest") << '\n'; });
}

}  // namespace

void AddHistoryCommands(CLI::App& app, CliContext& ctx) {
  auto log_args = std::make_shared<LogArgs>();
  CLI::App* log = app.add_subcommand("log", "Commits of a collection, newest first");
  log->add_option("--collection", log_args->collection,
                  "Collection name or ID (with --invalid: default every collection)");
  log->add_option("--limit", log_args->limit, "Show at most N commits (0: all)");
  log->add_flag("--invalid", log_args->invalid, "Only commits judged invalid, and why (DESIGN §6)");
  log->parse_complete_callback([log_args] {
    if (log_args->collection.empty() && !log_args->invalid) {
      throw CLI::RequiredError("--collection (required unless --invalid)");
    }
  });
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
