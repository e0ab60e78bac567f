#include "renderer/fetch_later.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "net/origin.h"

namespace fetch_later::renderer {

// Fetch: "fetchLater(input, init)" method steps 1-9.
JsResult<ValidatedFetchLater> ValidateFetchLater(
    const std::optional<RequestInfo>& input,
    const DeferredRequestInit& init,
    const ClientContext& client) {
  // WebIDL overload resolution: `input` is required.
  if (!input.has_value()) {
    return MakeTypeError(
        "Failed to execute 'fetchLater' on 'Window': 1 argument required, but "
        "only 0 present.");
  }
  // WebIDL dictionary conversion: DeferredRequestInit's own member is
  // converted after the inherited RequestInit members, and a
  // DOMHighResTimeStamp (a restricted double) must be finite.
  JsResult<RequestInitEnums> enums = ConvertRequestInitEnums(init);
  if (!enums.ok())
    return enums.error();
  if (init.activate_after.has_value() && !std::isfinite(*init.activate_after)) {
    return MakeTypeError(
        "Failed to read the 'activateAfter' property from "
        "'DeferredRequestInit': The provided double value is non-finite.");
  }

  // Step 1.
  JsResult<Request> request_object = ConstructRequest(*input, init, client);
  if (!request_object.ok())
    return request_object.error();
  // Step 2.
  if (request_object->signal()->aborted())
    return *request_object->signal()->reason();
  // Step 3.
  const Request& request = *request_object;
  // Step 4.
  std::optional<double> activate_after = init.activate_after;
  // Step 5.
  if (activate_after.has_value() && *activate_after < 0) {
    return MakeRangeError(
        "fetchLater: activateAfter must be a non-negative number.");
  }
  // Step 6.
  if (!client.fully_active) {
    return MakeTypeError("fetchLater: the document is not fully active.");
  }
  // Step 7.
  if (!request.url().SchemeIsHttpOrHttps()) {
    return MakeTypeError(
        absl::StrCat("fetchLater: the URL scheme must be http or https: ",
                     request.url().Serialize()));
  }
  // Step 8.
  if (!net::IsUrlPotentiallyTrustworthy(request.url())) {
    return MakeTypeError(
        absl::StrCat("fetchLater: the URL must be potentially trustworthy: ",
                     request.url().Serialize()));
  }
  // Step 9.
  if (request.body().has_value() && !request.body()->length.has_value()) {
    return MakeTypeError(
        "fetchLater: a request with a ReadableStream body cannot be "
        "deferred.");
  }
  // Steps 10-16 are the browser's: "available deferred-fetch quota" for the
  // request's client and URL origin, "total request length",
  // QuotaExceededError, "queue a deferred fetch", the abort step on the
  // signal, and the FetchLaterResult whose `activated` the IPC layer sets.
  return ValidatedFetchLater{std::move(request_object).value(), activate_after};
}

}  // namespace fetch_later::renderer
