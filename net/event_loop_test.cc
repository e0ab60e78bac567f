#include "net/event_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

TEST(EventLoopTest, PostTaskFromManyThreadsRunsInOrderPerThread) {
  RealClock clock;
  EventLoop loop(&clock);
  std::atomic<int> count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        loop.PostTask([&] { ++count; });
    });
  }
  for (auto& t : threads)
    t.join();
  absl::Notification done;
  loop.PostTask([&] {
    EXPECT_TRUE(loop.IsLoopThread());
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(count.load(), 400);
}

TEST(EventLoopTest, FakeClockTimersFireOnlyWhenAdvanced) {
  FakeClock clock;
  EventLoop loop(&clock);
  std::atomic<int> fired{0};
  absl::Notification second;
  loop.PostTaskAt(clock.Now() + absl::Seconds(10), [&] { fired = 1; });
  loop.PostTaskAt(clock.Now() + absl::Seconds(20), [&] {
    fired = 2;
    second.Notify();
  });
  const EventLoop::TimerId cancelled =
      loop.PostTaskAt(clock.Now() + absl::Seconds(15), [&] { fired = 99; });
  loop.CancelTimer(cancelled);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(fired.load(), 0);
  clock.Advance(absl::Seconds(9));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(fired.load(), 0);
  clock.Advance(absl::Seconds(11));  // both due: they run in time order
  ASSERT_TRUE(second.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(fired.load(), 2);
}

TEST(EventLoopTest, RealDelayTimersIgnoreTheFakeClock) {
  FakeClock clock;
  EventLoop loop(&clock);
  absl::Notification fired;
  const absl::Time start = absl::Now();
  loop.PostTaskAfterRealDelay(absl::Milliseconds(50), [&] { fired.Notify(); });
  ASSERT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
}

TEST(EventLoopTest, RealClockTimer) {
  RealClock clock;
  EventLoop loop(&clock);
  absl::Notification fired;
  const absl::Time start = absl::Now();
  loop.PostTaskAt(start + absl::Milliseconds(30), [&] { fired.Notify(); });
  ASSERT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
}

TEST(EventLoopTest, CancelTimerByIdAmongManyAndAfterItRan) {
  RealClock clock;
  EventLoop loop(&clock);
  std::atomic<int> fired{0};
  // Hold the loop thread until every cancellation is done, so no timer can
  // run before its CancelTimer() however slow this thread is.
  absl::Notification release;
  loop.PostTask([&] { release.WaitForNotification(); });
  std::vector<EventLoop::TimerId> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(loop.PostTaskAfterRealDelay(absl::Milliseconds(20 + i % 7),
                                              [&] { fired += 1000; }));
    ids.push_back(
        loop.PostTaskAt(clock.Now() + absl::Minutes(1), [&] { ++fired; }));
  }
  // Cancel every other real timer and every clock timer, in reverse order.
  for (size_t i = ids.size(); i-- > 0;) {
    if (i % 4 != 0)
      loop.CancelTimer(ids[i]);
  }
  release.Notify();
  absl::Notification done;
  loop.PostTaskAfterRealDelay(absl::Milliseconds(100), [&] { done.Notify(); });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(fired.load(), 500 * 1000);
  loop.CancelTimer(ids[0]);  // already ran: a no-op
  loop.CancelTimer(0);
}

// Timers and tasks posted by the loop's own callbacks run without any other
// thread waking the loop.
TEST(EventLoopTest, TimersAndTasksPostedFromTheLoopThread) {
  FakeClock fake;
  EventLoop loop(&fake);
  absl::Notification real_fired, clock_fired, chained;
  std::atomic<int> steps{0};
  loop.PostTask([&] {
    loop.PostTaskAfterRealDelay(absl::Milliseconds(20),
                                [&] { real_fired.Notify(); });
    loop.PostTaskAt(fake.Now() + absl::Seconds(1),
                    [&] { clock_fired.Notify(); });
    std::function<void()> step = [&] {
      if (++steps < 100) {
        loop.PostTask([&] { loop.PostTask([] {}); });
      }
    };
    for (int i = 0; i < 100; ++i)
      loop.PostTask(step);
    loop.PostTask([&] { chained.Notify(); });
  });
  ASSERT_TRUE(chained.WaitForNotificationWithTimeout(absl::Seconds(5)));
  ASSERT_TRUE(real_fired.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_FALSE(clock_fired.HasBeenNotified());
  fake.Advance(absl::Seconds(1));
  ASSERT_TRUE(clock_fired.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(steps.load(), 100);
}

TEST(EventLoopTest, WatchReadableAndUnwatchInsideCallback) {
  RealClock clock;
  EventLoop loop(&clock);
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  absl::Notification got;
  std::string data;
  loop.PostTask([&] {
    auto id = std::make_shared<EventLoop::WatchId>();
    *id = loop.Watch(fds[0], EventLoop::kReadable, [&, id](int ready) {
      EXPECT_TRUE(ready & EventLoop::kReadable);
      char buf[16];
      ssize_t n = read(fds[0], buf, sizeof(buf));
      data.assign(buf, n > 0 ? n : 0);
      loop.Unwatch(*id);  // from inside its own callback
      got.Notify();
    });
  });
  ASSERT_EQ(write(fds[1], "ping", 4), 4);
  ASSERT_TRUE(got.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(data, "ping");
  loop.Stop();
  close(fds[0]);
  close(fds[1]);
}

TEST(EventLoopTest, StopDropsPendingWorkAndOutlivesFakeClockObserver) {
  FakeClock clock;
  {
    EventLoop loop(&clock);
    loop.PostTaskAt(clock.Now() + absl::Hours(1),
                    [] { FAIL() << "must not run"; });
    loop.Stop();
    loop.Stop();  // idempotent
  }
  clock.Advance(absl::Hours(2));  // the loop's observer must be harmless now
}

}  // namespace
}  // namespace fetch_later::net
