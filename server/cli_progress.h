// Progress of a long CLI operation (publish, export, pull) on stderr.
//
// On a terminal: one line — what, rows, bytes, rate, and percent and ETA
// when the total is known — redrawn in place at most ten times a second and
// cleared when done. Not on a terminal (a log, CI): a plain line every few
// seconds, so a slow job still shows it is alive without flooding the log.
// Under --json nothing at all: scripts read stdout, and stderr is for errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

namespace kongsi::server {

class Progress {
 public:
  enum class Style { kNone, kTerminal, kLines };

  // kTerminal when stderr is a terminal, kLines when not, kNone with --json.
  static std::unique_ptr<Progress> ForStderr(bool json);
  Progress(std::ostream& out, Style style) : out_(out), style_(style) {}
  ~Progress() { Clear(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Starts a phase ("uploading", "checking", ...): counts, rate and ETA
  // restart. `total_bytes` 0: unknown, no percent or ETA.
  void Phase(std::string label, uint64_t total_bytes);
  // Rows (0: not counted) and bytes done so far in this phase.
  void Update(uint64_t rows, uint64_t bytes);
  // Counts things other than bytes (the commits of an initial sync) against
  // a total that may still grow: "receiving budget  40% 48/120 commits ...".
  void UpdateCount(uint64_t done, uint64_t total, std::string unit);
  // Erases the terminal line (before the result is printed).
  void Clear();

  // The line as shown, for tests: "publishing  42% 1200 rows 4.2 MB 1.1 MB/s ETA 3s".
  std::string Line(std::chrono::steady_clock::time_point now) const;

 private:
  void Draw();

  std::ostream& out_;
  Style style_;
  std::string label_;
  uint64_t total_ = 0;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
  std::string count_unit_;  // set by UpdateCount: rows_ is done, total_ the total
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_shown_;
  bool shown_ = false;
};

// Bytes counted across the passes of a multi-file import, whose progress
// callback restarts its count at each file and pass: feeds a Progress one
// growing number per phase. `phase_of(pass)` names the phase of a pass
// and its total bytes.
class PassCounter {
 public:
  using PhaseFn = std::function<std::pair<std::string, uint64_t>(int pass)>;
  PassCounter(Progress* progress, PhaseFn phase_of)
      : progress_(progress), phase_of_(std::move(phase_of)) {}
  void operator()(uint64_t rows, uint64_t bytes, int pass);

 private:
  Progress* progress_;
  PhaseFn phase_of_;
  std::string phase_;
  int pass_ = -1;
  uint64_t base_bytes_ = 0, last_bytes_ = 0;
};

// "4.2 MB", "512 B": decimal units.
std::string HumanBytes(uint64_t bytes);

}  // namespace kongsi::server
