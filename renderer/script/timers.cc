#include "renderer/script/timers.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace fetch_later::renderer::script {

int TimerList::Add(std::shared_ptr<Callback> callback,
                   double timeout_ms,
                   bool repeat,
                   bool internal) {
  // HTML: "If timeout is less than 0, then set timeout to 0."
  if (!(timeout_ms >= 0))
    timeout_ms = 0;
  Entry entry;
  // HTML: the nesting level is the running timer task's level + 1.
  entry.nesting = current_nesting_ >= 0 ? current_nesting_ + 1 : 0;
  // HTML: "If nesting level is greater than 5, and timeout is less than 4,
  // then set timeout to 4."
  if (entry.nesting > 5 && timeout_ms < 4)
    timeout_ms = 4;
  entry.callback = std::move(callback);
  entry.timeout_ms = timeout_ms;
  entry.due_ms = now_ms_ + timeout_ms;
  entry.sequence = next_sequence_++;
  entry.repeat = repeat;
  int id = internal ? next_internal_id_-- : next_id_++;
  timers_[id] = std::move(entry);
  return id;
}

void TimerList::Clear(int id) {
  timers_.erase(id);
}

std::optional<double> TimerList::NextDue() const {
  std::optional<double> due;
  for (const auto& [id, entry] : timers_) {
    if (!due || entry.due_ms < *due)
      due = entry.due_ms;
  }
  return due;
}

void TimerList::AdvanceTo(
    double now_ms,
    const std::function<void(Callback& callback)>& run_task) {
  while (true) {
    // HTML: timers run in order of due time, then of scheduling.
    auto next = timers_.end();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->second.due_ms > now_ms)
        continue;
      if (next == timers_.end() || it->second.due_ms < next->second.due_ms ||
          (it->second.due_ms == next->second.due_ms &&
           it->second.sequence < next->second.sequence)) {
        next = it;
      }
    }
    if (next == timers_.end())
      break;
    const int id = next->first;
    now_ms_ = std::max(now_ms_, next->second.due_ms);
    std::shared_ptr<Callback> callback = next->second.callback;
    const int nesting = next->second.nesting;
    if (!next->second.repeat)
      timers_.erase(next);
    current_nesting_ = nesting;
    run_task(*callback);
    current_nesting_ = -1;
    auto again = timers_.find(id);
    if (again != timers_.end() && again->second.repeat &&
        again->second.callback == callback) {
      // HTML: an interval re-runs the timer initialization steps with
      // previousId (nesting level + 1).
      Entry& entry = again->second;
      entry.nesting = nesting + 1;
      double timeout = entry.timeout_ms;
      if (entry.nesting > 5 && timeout < 4)
        timeout = 4;
      // A zero interval would never let the clock move: clamp to 1 ms.
      entry.due_ms = now_ms_ + std::max(timeout, 1.0);
      entry.sequence = next_sequence_++;
    }
  }
  now_ms_ = std::max(now_ms_, now_ms);
}

}  // namespace fetch_later::renderer::script
