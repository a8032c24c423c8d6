#include "server/cli_progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

namespace kongsi::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kTerminalEvery = std::chrono::milliseconds(100);
constexpr auto kLinesEvery = std::chrono::seconds(5);

std::string Duration(double seconds) {
  auto s = static_cast<uint64_t>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
}

}  // namespace

std::string HumanBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1000 && unit + 1 < std::size(kUnits)) {
    v /= 1000;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, kUnits[unit]);
}

std::unique_ptr<Progress> Progress::ForStderr(bool json) {
  Style style = json ? Style::kNone : isatty(STDERR_FILENO) ? Style::kTerminal : Style::kLines;
  return std::make_unique<Progress>(std::cerr, style);
}

void Progress::Phase(std::string label, uint64_t total_bytes) {
  label_ = std::move(label);
  total_ = total_bytes;
  rows_ = bytes_ = 0;
  count_unit_.clear();
  start_ = Clock::now();
  // A plain line per phase would be noise for quick jobs: the first line
  // comes kLinesEvery after the phase started.
  last_shown_ = start_;
}

std::string Progress::Line(Clock::time_point now) const {
  std::string line = label_;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  if (!count_unit_.empty()) {
    if (total_ > 0) line += fmt::format(" {:3}%", std::min<uint64_t>(100, rows_ * 100 / total_));
    line += fmt::format(" {}/{} {}", rows_, total_, count_unit_);
    if (seconds >= 0.5 && rows_ > 0) {
      const double rate = static_cast<double>(rows_) / seconds;
      line += fmt::format(" {:.0f} {}/s", rate, count_unit_);
      if (total_ > rows_) line += " ETA " + Duration(static_cast<double>(total_ - rows_) / rate);
    }
    return line;
  }
  if (total_ > 0) {
    line += fmt::format(" {:3}%", std::min<uint64_t>(100, bytes_ * 100 / total_));
  }
  if (rows_ > 0) line += fmt::format(" {} rows", rows_);
  line += " " + HumanBytes(bytes_);
  if (seconds >= 0.5 && bytes_ > 0) {
    const double rate = static_cast<double>(bytes_) / seconds;
    line += " " + HumanBytes(static_cast<uint64_t>(rate)) + "/s";
    if (total_ > bytes_) line += " ETA " + Duration(static_cast<double>(total_ - bytes_) / rate);
  }
  return line;
}

void Progress::Update(uint64_t rows, uint64_t bytes) {
  rows_ = rows;
  bytes_ = bytes;
  Draw();
}

void Progress::UpdateCount(uint64_t done, uint64_t total, std::string unit) {
  count_unit_ = std::move(unit);
  rows_ = done;
  total_ = total;
  Draw();
}

void Progress::Draw() {
  if (style_ == Style::kNone) return;
  const auto now = Clock::now();
  if (style_ == Style::kTerminal) {
    if (shown_ && now - last_shown_ < kTerminalEvery) return;
    out_ << '\r' << Line(now) << "\033[K" << std::flush;
    shown_ = true;
  } else {
    if (now - last_shown_ < kLinesEvery) return;
    out_ << Line(now) << '\n' << std::flush;
  }
  last_shown_ = now;
}

void Progress::Clear() {
  if (shown_ && style_ == Style::kTerminal) out_ << "\r\033[K" << std::flush;
  shown_ = false;
}

void PassCounter::operator()(uint64_t rows, uint64_t bytes, int pass) {
  if (pass != pass_) {
    auto [phase, total] = phase_of_(pass);
    if (phase != phase_) {
      progress_->Phase(phase, total);
      phase_ = phase;
      base_bytes_ = 0;
    } else {
      base_bytes_ += last_bytes_;  // the same phase, the next pass
    }
    pass_ = pass;
  } else if (bytes < last_bytes_) {
    base_bytes_ += last_bytes_;  // the next file
  }
  last_bytes_ = bytes;
  progress_->Update(rows, base_bytes_ + bytes);
}

}  // namespace kongsi::server
