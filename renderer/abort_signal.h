// DOM's AbortController and AbortSignal as the Fetch model uses them: a
// Request's signal is a dependent signal of the one its RequestInit named, and
// fetchLater() adds its abort step to it.
//
//   AbortController controller;
//   controller.signal()->AddAlgorithm([] { /* abort the deferred fetch */ });
//   controller.Abort();  // reason: AbortError "signal is aborted without
//   reason"
//
// Nothing here is thread-safe; signals live on the renderer main thread.
#ifndef RENDERER_ABORT_SIGNAL_H_
#define RENDERER_ABORT_SIGNAL_H_

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "renderer/js_error.h"

namespace fetch_later::renderer {

// DOM: AbortSignal. Created by AbortController, by ConstructRequest() (the
// Request's dependent signal) or by AbortSignal::Create(); shared by its
// holders (the controller, Request objects and whoever added an abort
// algorithm). Dependent signals are held weakly by their sources.
class AbortSignal {
 public:
  using AbortAlgorithm = std::function<void()>;

  static std::shared_ptr<AbortSignal> Create();
  // DOM: "create a dependent abort signal" from `signals`.
  static std::shared_ptr<AbortSignal> CreateDependent(
      const std::vector<std::shared_ptr<AbortSignal>>& signals);

  // Not copyable.
  AbortSignal(const AbortSignal&) = delete;
  AbortSignal& operator=(const AbortSignal&) = delete;

  bool aborted() const { return reason_.has_value(); }
  // DOM: "abort reason"; nullopt while not aborted.
  const std::optional<JsError>& reason() const { return reason_; }

  // DOM: AbortSignal "add": runs `algorithm` when the signal aborts. Does
  // nothing if already aborted.
  void AddAlgorithm(AbortAlgorithm algorithm);

  // DOM: "signal abort" with `reason` (default: an AbortError DOMException
  // "signal is aborted without reason"). Runs the abort algorithms in the
  // order they were added, then those of dependent signals. Does nothing if
  // already aborted.
  void Abort(std::optional<JsError> reason = std::nullopt);

 private:
  AbortSignal() = default;
  void RunAbortSteps();

  std::optional<JsError> reason_;
  std::vector<AbortAlgorithm> algorithms_;
  bool dependent_ = false;
  std::vector<std::weak_ptr<AbortSignal>> source_signals_;
  std::vector<std::weak_ptr<AbortSignal>> dependent_signals_;
};

// DOM: AbortController: owns a fresh signal.
class AbortController {
 public:
  AbortController() : signal_(AbortSignal::Create()) {}
  const std::shared_ptr<AbortSignal>& signal() const { return signal_; }
  // DOM: AbortController abort(reason).
  void Abort(std::optional<JsError> reason = std::nullopt) {
    signal_->Abort(std::move(reason));
  }

 private:
  std::shared_ptr<AbortSignal> signal_;
};

}  // namespace fetch_later::renderer

#endif  // RENDERER_ABORT_SIGNAL_H_
