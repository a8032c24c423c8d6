// The progress line of publish, export, pull and `collection join --wait`.
#include "server/cli_progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

namespace kongsi::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

TEST(ProgressTest, ABytesPhaseShowsPercentRowsRateAndEta) {
  std::ostringstream out;
  Progress p(out, Progress::Style::kTerminal);
  p.Phase("publishing", 1000);
  p.Update(10, 250);
  const std::string line = p.Line(Clock::now() + std::chrono::seconds(2));
  EXPECT_THAT(line, HasSubstr("publishing  25%"));
  EXPECT_THAT(line, HasSubstr("10 rows 250 B"));
  EXPECT_THAT(line, HasSubstr("B/s ETA"));
  // Drawn on the terminal in place, and erased when cleared.
  EXPECT_THAT(out.str(), HasSubstr("\rpublishing"));
  p.Clear();
  EXPECT_THAT(out.str(), HasSubstr("\r\033[K"));
}

TEST(ProgressTest, ACountShowsDoneOfTotalInItsUnit) {
  std::ostringstream out;
  Progress p(out, Progress::Style::kTerminal);
  p.Phase("receiving budget", 0);
  p.UpdateCount(48, 120, "commits");
  const std::string line = p.Line(Clock::now() + std::chrono::seconds(2));
  EXPECT_THAT(line, HasSubstr("receiving budget  40% 48/120 commits"));
  EXPECT_THAT(line, HasSubstr("commits/s ETA"));
  EXPECT_THAT(line, Not(HasSubstr(" B")));
  // A new phase counts bytes again.
  p.Phase("exporting", 0);
  p.Update(0, 2000);
  EXPECT_THAT(p.Line(Clock::now()), HasSubstr("exporting 2.0 kB"));
}

TEST(ProgressTest, NothingUnderJsonAndNoLineBeforeFiveSecondsInALog) {
  std::ostringstream none, lines;
  Progress quiet(none, Progress::Style::kNone);
  Progress log(lines, Progress::Style::kLines);
  for (Progress* p : {&quiet, &log}) {
    p->Phase("publishing", 100);
    p->Update(1, 50);
    p->UpdateCount(1, 2, "commits");
  }
  EXPECT_EQ(none.str(), "");
  EXPECT_EQ(lines.str(), "") << "a quick job should not print progress lines into a log";
}

}  // namespace
}  // namespace kongsi::server
