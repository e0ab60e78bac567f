// PageScriptRunner: the browser's side of page script. It hands page steps
// (run a script, fire lifecycle events, run due timers) to the renderer that
// hosts a document and waits for the renderer's answer (ReportStepResult),
// keeps which documents ran script and when their next page timer is due (on
// the page clock: ms since the browser started), fires HTML's lifecycle events
// in those documents, and keeps the reports of script work the browser started
// on its own until the driver takes them.
//
// Created and owned by BrowserCore; lives as long as it. Thread-safe: one lock
// guards the pending steps, the scripted documents and the reports. It may
// call RendererHostRegistry and RendererHost (whose locks come after its own)
// with the lock held; it never holds it while waiting on a renderer other than
// through the lock's own condition wait, nor while calling the frame tree. See
// browser_core.h for the lock order.
#ifndef BROWSER_PAGE_SCRIPT_RUNNER_H_
#define BROWSER_PAGE_SCRIPT_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/bad_message.h"
#include "browser/renderer_host.h"
#include "browser/renderer_host_registry.h"
#include "ipc/browser_control.pb.h"
#include "ipc/page_step.pb.h"
#include "ipc/renderer_host.pb.h"
#include "net/clock.h"

namespace fetch_later::browser {

class PageScriptRunner {
 public:
  // What a renderer reports is kept until the driver takes it: bounded.
  static constexpr size_t kMaxScriptReports = 1000;

  struct Options {
    const net::Clock* clock = nullptr;  // Not owned; must outlive the runner.
    // How long the browser waits for lifecycle listeners and due page timers
    // before it goes on without them.
    absl::Duration script_task_timeout = absl::Seconds(10);
    // Called (without the lock) when a document armed a page timer, so a
    // real-time timer thread can wake up for it.
    std::function<void()> on_timer_armed;
  };

  // `renderers` (not owned) must outlive the runner. The page clock starts now.
  PageScriptRunner(RendererHostRegistry* renderers, Options options);
  PageScriptRunner(const PageScriptRunner&) = delete;  // Not copyable.
  PageScriptRunner& operator=(const PageScriptRunner&) = delete;

  // The page clock (what script timers count in): ms since the runner started.
  double PageTimeMs() const;

  // Hands `step` to the renderer hosting `document_token` (with the page clock
  // set) and waits for its result. NotFound for an unknown document,
  // DeadlineExceeded when the renderer does not answer within `timeout`,
  // Unavailable when it is cut off or gone meanwhile. A document that ran a
  // script gets lifecycle events and timers from then on; its next timer is
  // what its renderer last answered.
  absl::StatusOr<ipc::StepResult> RunPageStep(const std::string& document_token,
                                              ipc::PageStep step,
                                              absl::Duration timeout);
  // A renderer's answer to a step. The bad message (not reported: the caller
  // reports it) when `renderer` was not given that step or names a next timer
  // that is no page time; nullopt when the answer is taken.
  std::optional<BadMessage> ReportStepResult(const RendererHost& renderer,
                                             const ipc::StepResult& result);
  // `renderer` was cut off: steps waiting for it stop waiting.
  void OnRendererCutOff(const RendererHost& renderer);
  // The document `document_token` names was destroyed.
  void ForgetDocument(const std::string& document_token);

  // HTML page lifecycle: fires `events` in each document of `documents` that
  // runs script, in order, and waits for each (Options::script_task_timeout).
  // Reports go to TakeScriptReports(). Call before the frame-tree change the
  // events announce (or after, for pageshow).
  void FireLifecycleEvents(const std::vector<DocumentId>& documents,
                           const std::vector<ipc::LifecycleEvent>& events);
  // When the earliest page timer of any document is due, on the browser's
  // clock; nullopt when none is armed.
  std::optional<absl::Time> NextTimerDeadline();
  // Runs the page timers of every scripted document that are due by the page
  // clock's current time.
  void RunDueTimers();
  // The script work the browser started on its own since the last call (at
  // most kMaxScriptReports are kept).
  std::vector<ipc::ScriptReport> TakeScriptReports();

 private:
  void AddScriptReport(const std::string& document_token,
                       std::string cause,
                       const absl::StatusOr<ipc::StepResult>& result);

  RendererHostRegistry* const renderers_;  // Not owned.
  const Options options_;
  // The page clock's origin.
  const absl::Time page_clock_start_;

  absl::Mutex mu_;
  // Page steps handed to renderers and not yet answered.
  struct PendingStep {
    const RendererHost* host;  // Not owned.
    std::optional<ipc::StepResult> result;
    bool renderer_cut_off = false;
  };
  absl::flat_hash_map<uint64_t, PendingStep> pending_steps_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_step_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Documents that ran a script (by token) -> their next page timer (page ms).
  absl::flat_hash_map<std::string, std::optional<double>> scripted_
      ABSL_GUARDED_BY(mu_);
  std::deque<ipc::ScriptReport> script_reports_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::browser

#endif  // BROWSER_PAGE_SCRIPT_RUNNER_H_
