#include "net/event_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
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
      for (int i = 0; i < 100; ++i) loop.PostTask([&] { ++count; });
    });
  }
  for (auto& t : threads) t.join();
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
    loop.PostTaskAt(clock.Now() + absl::Hours(1), [] { FAIL() << "must not run"; });
    loop.Stop();
    loop.Stop();  // idempotent
  }
  clock.Advance(absl::Hours(2));  // the loop's observer must be harmless now
}

}  // namespace
}  // namespace fetch_later::net
