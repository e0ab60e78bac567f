#include "renderer/abort_signal.h"

namespace fetch_later::renderer {

std::shared_ptr<AbortSignal> AbortSignal::Create() {
  return std::shared_ptr<AbortSignal>(new AbortSignal());
}

// DOM: "create a dependent abort signal".
std::shared_ptr<AbortSignal> AbortSignal::CreateDependent(
    const std::vector<std::shared_ptr<AbortSignal>>& signals) {
  std::shared_ptr<AbortSignal> result = Create();
  // Step 2.
  for (const auto& signal : signals) {
    if (signal->aborted()) {
      result->reason_ = signal->reason_;
      return result;
    }
  }
  // Steps 3-4.
  result->dependent_ = true;
  for (const auto& signal : signals) {
    if (!signal->dependent_) {
      result->source_signals_.push_back(signal);
      signal->dependent_signals_.push_back(result);
      continue;
    }
    for (const auto& weak_source : signal->source_signals_) {
      std::shared_ptr<AbortSignal> source = weak_source.lock();
      if (!source)
        continue;
      result->source_signals_.push_back(source);
      source->dependent_signals_.push_back(result);
    }
  }
  return result;
}

void AbortSignal::AddAlgorithm(AbortAlgorithm algorithm) {
  if (aborted())
    return;
  algorithms_.push_back(std::move(algorithm));
}

// DOM: "signal abort".
void AbortSignal::Abort(std::optional<JsError> reason) {
  // Step 1.
  if (aborted())
    return;
  // Step 2.
  reason_ = reason.has_value()
                ? *std::move(reason)
                : MakeAbortError("signal is aborted without reason");
  // Steps 3-4.
  std::vector<std::shared_ptr<AbortSignal>> dependents_to_abort;
  for (const auto& weak_dependent : dependent_signals_) {
    std::shared_ptr<AbortSignal> dependent = weak_dependent.lock();
    if (dependent && !dependent->aborted()) {
      dependent->reason_ = reason_;
      dependents_to_abort.push_back(std::move(dependent));
    }
  }
  // Step 5.
  RunAbortSteps();
  // Step 6.
  for (const auto& dependent : dependents_to_abort)
    dependent->RunAbortSteps();
}

// DOM: "run the abort steps" (no event target is modelled).
void AbortSignal::RunAbortSteps() {
  std::vector<AbortAlgorithm> algorithms = std::move(algorithms_);
  algorithms_.clear();
  for (AbortAlgorithm& algorithm : algorithms)
    algorithm();
}

}  // namespace fetch_later::renderer
