#include "net/redirect.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fetch_later::net {

bool IsRedirectStatus(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

absl::StatusOr<std::optional<std::string>> ExtractLocation(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::optional<std::string> location;
  int count = 0;
  for (const auto& [name, value] : headers) {
    if (!absl::EqualsIgnoreCase(name, "location"))
      continue;
    if (++count == 1)
      location = value;
  }
  if (count > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        count, " Location fields (Fetch allows one; the first is \"", *location,
        "\")"));
  }
  return location;
}

absl::StatusOr<RedirectStep> ComputeRedirect(const RedirectRequest& request,
                                             const Url& current,
                                             int status,
                                             absl::string_view location,
                                             int redirects_so_far) {
  // Fetch: "location URL": parse Location relative to the response's URL. The
  // fragment, when the Location has none, is the current URL's; we never send
  // fragments, so it does not matter. Fetch: "HTTP-redirect fetch" step 5:
  // failure is a network error.
  absl::StatusOr<Url> next = Url::Parse(location, &current);
  if (!next.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Location \"", location,
                     "\" does not parse: ", next.status().message()));
  }
  // Step 6: not an HTTP(S) scheme → network error.
  if (!next->SchemeIsHttpOrHttps()) {
    return absl::InvalidArgumentError(
        absl::StrCat("redirect to a non-HTTP(S) URL ", next->Serialize()));
  }
  // Step 7: the 21st redirect is a network error.
  if (redirects_so_far >= kMaxRedirects) {
    return absl::OutOfRangeError(absl::StrCat("more than ", kMaxRedirects,
                                              " redirects (at ",
                                              current.Serialize(), ")"));
  }
  // Steps 9-10 (credentials in a cors redirect) — we refuse credentials on
  // any hop.
  if (next->IncludesCredentials()) {
    return absl::InvalidArgumentError("redirect to a URL with credentials");
  }
  RedirectStep step{*next, request.method, request.body, request.headers};
  // Step 12: 301/302 with POST, or 303 with anything but GET/HEAD: GET, no
  // body, drop the request-body-header names.
  if (((status == 301 || status == 302) && request.method == "POST") ||
      (status == 303 && request.method != "GET" && request.method != "HEAD")) {
    step.method = "GET";
    step.body.clear();
    std::vector<std::pair<std::string, std::string>> kept;
    for (auto& header : step.headers) {
      const std::string& n = header.first;
      if (absl::EqualsIgnoreCase(n, "content-encoding") ||
          absl::EqualsIgnoreCase(n, "content-language") ||
          absl::EqualsIgnoreCase(n, "content-location") ||
          absl::EqualsIgnoreCase(n, "content-type")) {
        continue;
      }
      kept.push_back(std::move(header));
    }
    step.headers = std::move(kept);
  }
  return step;
}

}  // namespace fetch_later::net
