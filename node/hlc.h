// Hybrid logical clock (DESIGN §3, normative): a 64-bit value
// (milliseconds since the Unix epoch << 16) | counter. Op stamps are
// (hlc, author), so an author's HLCs must strictly increase, and a received
// HLC far ahead of local time is rejected (a peer must not be able to drag
// everyone's clocks into the future).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

namespace kongsi::node {

// A received HLC whose millisecond part is more than this far ahead of local
// wall-clock time is rejected. Exactly kMaxClockSkewMs ahead is accepted.
inline constexpr uint64_t kMaxClockSkewMs = 5 * 60 * 1000;

inline constexpr int kHlcCounterBits = 16;

constexpr uint64_t HlcFromMs(uint64_t ms) { return ms << kHlcCounterBits; }
constexpr uint64_t HlcMs(uint64_t hlc) { return hlc >> kHlcCounterBits; }
constexpr uint64_t HlcCounter(uint64_t hlc) { return hlc & 0xffff; }

// Wall-clock milliseconds since the Unix epoch (std::chrono::system_clock).
uint64_t SystemNowMs();

// Thread-safe: every member may be called concurrently.
class HybridClock {
 public:
  // `now_ms` is the wall clock; tests pass a frozen or scripted one.
  explicit HybridClock(std::function<uint64_t()> now_ms = SystemNowMs);

  HybridClock(const HybridClock&) = delete;
  HybridClock& operator=(const HybridClock&) = delete;

  // A value strictly greater than every value this clock returned from Now()
  // or accepted in Observe(), and at least HlcFromMs(now_ms()). When the
  // wall clock stands still (or steps back) the counter counts up; after
  // 65535 in one millisecond it carries into the millisecond part, so the
  // result still increases strictly and runs ahead of wall time a little.
  uint64_t Now();

  // Max-merges a value seen on a valid received commit, so this node's next
  // commit is stamped after it. Callers reject commits with TooFarAhead()
  // first; as a second line of defence Observe ignores such values rather
  // than jump this clock (and all our future stamps) into the future.
  void Observe(uint64_t remote);

  // True when `hlc`'s millisecond part is more than kMaxClockSkewMs after
  // `now_ms`.
  static bool TooFarAhead(uint64_t hlc, uint64_t now_ms);

 private:
  const std::function<uint64_t()> now_ms_;
  std::mutex mu_;
  uint64_t last_ = 0;  // guarded by mu_: greatest value returned or observed
};

}  // namespace kongsi::node
