#include "browser/page_script_runner.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fetch_later::browser {
namespace {

// Why the script report exists, for its `cause`.
std::string CauseOf(const ipc::PageStep& step) {
  if (step.has_lifecycle()) {
    std::string cause;
    for (const ipc::LifecycleEvent& e : step.lifecycle().events()) {
      absl::StrAppend(
          &cause, cause.empty() ? "" : "+",
          e.has_page_transition() ? e.page_transition() : "visibilitychange");
    }
    return cause;
  }
  return step.run_timers() ? "timers" : "step";
}

}  // namespace

PageScriptRunner::PageScriptRunner(RendererHostRegistry* renderers,
                                   Options options)
    : renderers_(renderers),
      options_(std::move(options)),
      page_clock_start_(options_.clock->Now()) {}

double PageScriptRunner::PageTimeMs() const {
  return absl::ToDoubleMilliseconds(options_.clock->Now() - page_clock_start_);
}

absl::StatusOr<ipc::StepResult> PageScriptRunner::RunPageStep(
    const std::string& document_token,
    ipc::PageStep step,
    absl::Duration timeout) {
  step.set_page_time_ms(PageTimeMs());
  RendererHost* host = nullptr;
  uint64_t step_id = 0;
  {
    // The registry is asked under this lock, so a document destroyed meanwhile
    // (ForgetDocument comes after the registry forgot it) is never recorded
    // as scripted.
    absl::MutexLock lock(&mu_);
    absl::StatusOr<RendererHost*> found = renderers_->HostOf(document_token);
    if (!found.ok())
      return found.status();
    host = *found;
    step_id = next_step_id_++;
    pending_steps_[step_id] = PendingStep{host, std::nullopt};
    if (step.has_run_script())
      scripted_.try_emplace(document_token);
  }
  ipc::RendererEvent event;
  ipc::RunPageStep* run = event.mutable_run_page_step();
  run->set_step_id(step_id);
  run->set_document_token(document_token);
  *run->mutable_step() = std::move(step);
  host->PushEvent(std::move(event));

  std::optional<ipc::StepResult> result;
  bool cut_off = false;
  bool timer_armed = false;
  {
    absl::MutexLock lock(&mu_);
    auto answered = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      const PendingStep& pending = pending_steps_.at(step_id);
      // terminated(): a host cut off before the step was registered.
      return pending.result.has_value() || pending.renderer_cut_off ||
             host->terminated();
    };
    mu_.AwaitWithTimeout(absl::Condition(&answered), timeout);
    result = std::move(pending_steps_.at(step_id).result);
    cut_off = pending_steps_.at(step_id).renderer_cut_off;
    pending_steps_.erase(step_id);
    // The document's next page timer, as its renderer last said (none when it
    // did not answer: the browser does not poll a silent renderer).
    if (auto scripted = scripted_.find(document_token);
        scripted != scripted_.end()) {
      scripted->second.reset();
      if (result && result->has_next_timer_ms()) {
        scripted->second = result->next_timer_ms();
        timer_armed = true;
      }
    }
  }
  // A real-clock browser's timer thread sleeps until the earliest deadline,
  // which this timer may now be.
  if (timer_armed && options_.on_timer_armed)
    options_.on_timer_armed();
  if (result)
    return *std::move(result);
  if (cut_off || host->terminated()) {
    return absl::UnavailableError(
        absl::StrCat("the renderer for ", host->site(), " is gone"));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "the renderer for ", host->site(), " did not run the step in time"));
}

std::optional<BadMessage> PageScriptRunner::ReportStepResult(
    const RendererHost& renderer,
    const ipc::StepResult& result) {
  absl::MutexLock lock(&mu_);
  auto it = pending_steps_.find(result.step_id());
  if (it == pending_steps_.end() || it->second.host != &renderer ||
      it->second.result.has_value()) {
    return BadMessage{BadMessageReason::kStepResultUnknownStep,
                      "step_id: not a step given to this renderer"};
  }
  // The browser's clock stops at this time (BrowserTimers::AdvanceClock): it
  // must be one.
  if (result.has_next_timer_ms() &&
      !(std::isfinite(result.next_timer_ms()) && result.next_timer_ms() >= 0)) {
    return BadMessage{BadMessageReason::kStepResultBadNextTimer,
                      "next_timer_ms: not a finite, non-negative page time"};
  }
  it->second.result = result;
  return std::nullopt;
}

void PageScriptRunner::OnRendererCutOff(const RendererHost& renderer) {
  absl::MutexLock lock(&mu_);
  for (auto& [id, pending] : pending_steps_) {
    if (pending.host == &renderer)
      pending.renderer_cut_off = true;
  }
}

void PageScriptRunner::ForgetDocument(const std::string& document_token) {
  absl::MutexLock lock(&mu_);
  scripted_.erase(document_token);
}

void PageScriptRunner::FireLifecycleEvents(
    const std::vector<DocumentId>& documents,
    const std::vector<ipc::LifecycleEvent>& events) {
  std::vector<std::string> tokens;
  {
    absl::MutexLock lock(&mu_);
    for (DocumentId id : documents) {
      // Only documents that ran script have listeners to run.
      std::optional<std::string> token = renderers_->TokenOf(id);
      if (token && scripted_.contains(*token))
        tokens.push_back(*std::move(token));
    }
  }
  ipc::PageStep step;
  for (const ipc::LifecycleEvent& event : events)
    *step.mutable_lifecycle()->add_events() = event;
  for (const std::string& token : tokens) {
    AddScriptReport(token, CauseOf(step),
                    RunPageStep(token, step, options_.script_task_timeout));
  }
}

std::optional<absl::Time> PageScriptRunner::NextTimerDeadline() {
  absl::MutexLock lock(&mu_);
  std::optional<double> earliest;
  for (const auto& [token, next] : scripted_) {
    if (next && (!earliest || *next < *earliest))
      earliest = next;
  }
  if (!earliest)
    return std::nullopt;
  return page_clock_start_ + absl::Milliseconds(*earliest);
}

void PageScriptRunner::RunDueTimers() {
  const double now = PageTimeMs();
  std::vector<std::string> due;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [token, next] : scripted_) {
      if (next && *next <= now)
        due.push_back(token);
    }
  }
  std::sort(due.begin(), due.end());  // a stable order between documents
  ipc::PageStep step;
  step.set_run_timers(true);
  for (const std::string& token : due) {
    AddScriptReport(token, "timers",
                    RunPageStep(token, step, options_.script_task_timeout));
  }
}

void PageScriptRunner::AddScriptReport(
    const std::string& document_token,
    std::string cause,
    const absl::StatusOr<ipc::StepResult>& result) {
  ipc::ScriptReport report;
  report.set_document_token(document_token);
  report.set_cause(std::move(cause));
  if (result.ok()) {
    *report.mutable_result() = *result;
    // What a renderer reports is kept until the driver takes it: bounded.
    constexpr int kMaxLines = 200;
    ipc::StepResult* kept = report.mutable_result();
    if (kept->console_size() > kMaxLines) {
      kept->mutable_console()->DeleteSubrange(kMaxLines,
                                              kept->console_size() - kMaxLines);
      kept->add_console("(console output truncated)");
    }
    if (kept->errors_size() > kMaxLines) {
      kept->mutable_errors()->DeleteSubrange(kMaxLines,
                                             kept->errors_size() - kMaxLines);
    }
  } else {
    // The renderer did not answer (gone, or too slow): say so; nothing waits.
    report.mutable_result()->set_outcome(ipc::JS_OTHER_ERROR);
    report.mutable_result()->set_message(
        std::string(result.status().message()));
  }
  absl::MutexLock lock(&mu_);
  script_reports_.push_back(std::move(report));
  while (script_reports_.size() > kMaxScriptReports)
    script_reports_.pop_front();
}

std::vector<ipc::ScriptReport> PageScriptRunner::TakeScriptReports() {
  absl::MutexLock lock(&mu_);
  std::vector<ipc::ScriptReport> out(
      std::make_move_iterator(script_reports_.begin()),
      std::make_move_iterator(script_reports_.end()));
  script_reports_.clear();
  return out;
}

}  // namespace fetch_later::browser
