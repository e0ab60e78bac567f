#include "renderer/script/timers.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::renderer::script {
namespace {

using ::testing::ElementsAre;

class Recorder : public TimerList::Callback {
 public:
  Recorder(std::vector<std::string>* log,
           std::string name,
           std::function<void()> then = nullptr)
      : log_(log), name_(std::move(name)), then_(std::move(then)) {}
  void Run() override {
    log_->push_back(name_);
    if (then_)
      then_();
  }

 private:
  std::vector<std::string>* log_;
  std::string name_;
  std::function<void()> then_;
};

void RunNow(TimerList::Callback& callback) {
  callback.Run();
}

TEST(TimerListTest, OrderByDueThenScheduling) {
  std::vector<std::string> log;
  TimerList timers(100);
  timers.Add(std::make_shared<Recorder>(&log, "b"), 10, false);
  timers.Add(std::make_shared<Recorder>(&log, "a"), 5, false);
  timers.Add(std::make_shared<Recorder>(&log, "c"), 10, false);
  timers.Add(std::make_shared<Recorder>(&log, "neg"), -5, false);
  EXPECT_EQ(timers.NextDue(), 100);
  timers.AdvanceTo(110, RunNow);
  EXPECT_THAT(log, ElementsAre("neg", "a", "b", "c"));
  EXPECT_EQ(timers.now_ms(), 110);
  EXPECT_EQ(timers.NextDue(), std::nullopt);
}

TEST(TimerListTest, ClearAndInternalIds) {
  std::vector<std::string> log;
  TimerList timers(0);
  int id = timers.Add(std::make_shared<Recorder>(&log, "x"), 1, false);
  int internal = timers.Add(std::make_shared<Recorder>(&log, "i"), 1, false,
                            /*internal=*/true);
  EXPECT_GT(id, 0);
  EXPECT_LT(internal, 0);
  timers.Clear(id);
  timers.AdvanceTo(5, RunNow);
  EXPECT_THAT(log, ElementsAre("i"));
}

TEST(TimerListTest, NestingLevelClampsToFourMs) {
  std::vector<std::string> log;
  TimerList timers(0);
  std::function<void()> again;
  int depth = 0;
  again = [&] {
    if (++depth < 10) {
      timers.Add(std::make_shared<Recorder>(&log, "t", again), 0, false);
    }
  };
  timers.Add(std::make_shared<Recorder>(&log, "t", again), 0, false);
  timers.AdvanceTo(0, RunNow);
  // Levels 0-5 run at 0 ms; from level 6 on each waits 4 ms.
  EXPECT_EQ(log.size(), 6u);
  EXPECT_EQ(timers.NextDue(), 4);
  timers.AdvanceTo(100, RunNow);
  EXPECT_EQ(log.size(), 10u);
  EXPECT_EQ(timers.now_ms(), 100);
}

TEST(TimerListTest, IntervalRepeatsUntilCleared) {
  std::vector<std::string> log;
  TimerList timers(0);
  int id = 0;
  int runs = 0;
  id = timers.Add(std::make_shared<Recorder>(&log, "tick",
                                             [&] {
                                               if (++runs == 3) {
                                                 timers.Clear(id);
                                               }
                                             }),
                  10, /*repeat=*/true);
  timers.AdvanceTo(25, RunNow);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(timers.NextDue(), 30);
  timers.AdvanceTo(1000, RunNow);
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(timers.NextDue(), std::nullopt);
}

TEST(TimerListTest, ClockNeverMovesBackwards) {
  TimerList timers(50);
  timers.AdvanceTo(10, RunNow);
  EXPECT_EQ(timers.now_ms(), 50);
}

}  // namespace
}  // namespace fetch_later::renderer::script
