#include "renderer/fetch.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "net/origin.h"

namespace fetch_later::renderer {

JsResult<Request> ValidateFetch(const RequestInfo& input,
                                const RequestInit& init,
                                const std::optional<RetryOptionsInit>& retry,
                                const ClientContext& client) {
  // Fetch "fetch(input, init)" step 2.
  JsResult<Request> request = ConstructRequest(input, init, client);
  if (!request.ok())
    return request.error();
  // Step 4: "abort the fetch() call" with the signal's abort reason.
  if (request->signal()->aborted())
    return *request->signal()->reason();
  // Fetch-retry explainer, RetryOptions.retryAfterUnload: "setting this to
  // true requires keepalive: true to be set on the same fetch() call".
  if (retry && retry->retry_after_unload && !request->keepalive()) {
    return MakeTypeError(
        "fetch: retryOptions.retryAfterUnload requires keepalive: true");
  }
  const net::Url& url = request->url();
  // Main fetch step 7, Mixed Content: "should fetching request be blocked as
  // mixed content?": a secure context's request to a URL that is not
  // potentially trustworthy.
  if (client.secure_context && !net::IsUrlPotentiallyTrustworthy(url)) {
    return MakeTypeError(absl::StrCat(
        "fetch: ", url.Serialize(/*exclude_fragment=*/true),
        " was blocked as mixed content: the page is a secure context and "
        "the URL is not potentially trustworthy"));
  }
  // Main fetch step 12: "scheme fetch" for anything but HTTP(S).
  if (!url.SchemeIsHttpOrHttps()) {
    return MakeTypeError(absl::StrCat("fetch: the URL scheme \"", url.scheme(),
                                      "\" is not supported (http and https "
                                      "only)"));
  }
  if (request->body() && !request->body()->length) {
    return MakeTypeError(
        "fetch: a ReadableStream body is not supported by this browser");
  }
  return request;
}

}  // namespace fetch_later::renderer
