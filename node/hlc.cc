#include "node/hlc.h"

#include <chrono>
#include <limits>
#include <utility>

namespace kongsi::node {

uint64_t SystemNowMs() {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
  return ms < 0 ? 0 : static_cast<uint64_t>(ms);
}

HybridClock::HybridClock(std::function<uint64_t()> now_ms) : now_ms_(std::move(now_ms)) {}

uint64_t HybridClock::Now() {
  uint64_t wall = HlcFromMs(now_ms_());
  std::lock_guard<std::mutex> lock(mu_);
  // last_ + 1 carries a full counter into the millisecond part by itself,
  // because the counter is the low 16 bits. last_ cannot reach 2^64 - 1 in
  // practice: Observe only accepts values near the wall clock, and 2^48 ms
  // is the year 10889.
  last_ = wall > last_ ? wall : last_ + 1;
  return last_;
}

void HybridClock::Observe(uint64_t remote) {
  uint64_t now = now_ms_();
  if (TooFarAhead(remote, now)) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (remote > last_) last_ = remote;
}

bool HybridClock::TooFarAhead(uint64_t hlc, uint64_t now_ms) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  // Saturate so a wall clock near the end of time cannot wrap the bound.
  uint64_t limit = now_ms > kMax - kMaxClockSkewMs ? kMax : now_ms + kMaxClockSkewMs;
  return HlcMs(hlc) > limit;
}

}  // namespace kongsi::node
