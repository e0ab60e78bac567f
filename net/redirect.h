// Fetch: "HTTP-redirect fetch" — what the next hop of a redirected request is,
// as a pure function so the rules are testable without a server that redirects.
//
//   absl::StatusOr<RedirectStep> next = ComputeRedirect(
//       {.method = "POST", .body = "x", .headers = {...}},
//       *Url::Parse("https://a.test/a"), 302, "/b", /*redirects_so_far=*/0);
//   next->url.Serialize();  // "https://a.test/b"
//   next->method;           // "GET": 301/302 turn POST into GET; 303 turns all
//   but GET/HEAD
//
// The HTTPS network stage calls this for every 301, 302, 303, 307 and 308
// response that carries a Location header, and additionally refuses any hop
// that is not https (HTTPS only).
#ifndef NET_REDIRECT_H_
#define NET_REDIRECT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/url.h"

namespace fetch_later::net {

// Fetch: "HTTP-redirect fetch" step 7: more than 20 redirects is a network
// error.
inline constexpr int kMaxRedirects = 20;

// Fetch: "redirect status" (301, 302, 303, 307, 308).
bool IsRedirectStatus(int status);

struct RedirectStep {
  Url url;
  std::string method;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct RedirectRequest {
  std::string method;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Fetch: "location URL" step 2, "extract header list values" given
// `Location` from a redirect response's `headers`: nullopt when there is none;
// an InvalidArgumentError when there is more than one (Location's ABNF allows
// a single header), even with the same value.
absl::StatusOr<std::optional<std::string>> ExtractLocation(
    const std::vector<std::pair<std::string, std::string>>& headers);

// `current` is the URL that answered `status` with `location`.
// `redirects_so_far` counts the redirects already followed by this attempt.
// Errors, in the order of Fetch's steps: InvalidArgumentError (a Location that
// does not parse, or is not an HTTP(S) URL), OutOfRangeError (too many
// redirects), InvalidArgumentError (a URL with credentials).
absl::StatusOr<RedirectStep> ComputeRedirect(const RedirectRequest& request,
                                             const Url& current,
                                             int status,
                                             absl::string_view location,
                                             int redirects_so_far);

}  // namespace fetch_later::net

#endif  // NET_REDIRECT_H_
