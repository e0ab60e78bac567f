// The document's timers on the page clock: HTML "timer initialization steps"
// (map of active timers, nesting-level clamping, ordering by due time then
// by scheduling order), without any JS (the callbacks are opaque).
#ifndef RENDERER_SCRIPT_TIMERS_H_
#define RENDERER_SCRIPT_TIMERS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace fetch_later::renderer::script {

class TimerList {
 public:
  class Callback {
   public:
    virtual ~Callback() = default;
    virtual void Run() = 0;
  };

  explicit TimerList(double now_ms) : now_ms_(now_ms) {}

  // HTML: "timer initialization steps". Returns the timer's id (> 0), or a
  // negative id for `internal` timers script cannot clear.
  int Add(std::shared_ptr<Callback> callback,
          double timeout_ms,
          bool repeat,
          bool internal = false);
  // HTML: clearTimeout/clearInterval: removes the entry (no-op if unknown).
  void Clear(int id);
  void ClearAll() { timers_.clear(); }

  std::optional<double> NextDue() const;
  double now_ms() const { return now_ms_; }

  // Moves the clock to `now_ms` (never backwards), running each timer due by
  // then in order via `run_task` (one task each); timers added meanwhile run
  // too when due by `now_ms`.
  void AdvanceTo(double now_ms,
                 const std::function<void(Callback& callback)>& run_task);

 private:
  struct Entry {
    std::shared_ptr<Callback> callback;
    double due_ms = 0;
    uint64_t sequence = 0;
    int nesting = 0;
    bool repeat = false;
    double timeout_ms = 0;
  };

  double now_ms_;
  int next_id_ = 1;
  int next_internal_id_ = -1;
  uint64_t next_sequence_ = 0;
  // The nesting level of the timer task running now, -1 outside timers.
  int current_nesting_ = -1;
  std::map<int, Entry> timers_;
};

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_TIMERS_H_
