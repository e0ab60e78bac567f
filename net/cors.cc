#include "net/cors.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "net/http_token.h"

namespace fetch_later::net {
namespace {

bool IsHttpWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

absl::string_view StripHttpWhitespace(absl::string_view s) {
  while (!s.empty() && IsHttpWhitespace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsHttpWhitespace(s.back()))
    s.remove_suffix(1);
  return s;
}

// Fetch: "extract header list values" for a `#token` list header: the
// combined value split on commas, each element stripped; empty elements are
// skipped (the ABNF list rule allows them). An element that is not a token is
// an error naming `name`.
absl::StatusOr<std::vector<std::string>> ExtractTokenList(
    const HeaderList& headers,
    absl::string_view name) {
  std::vector<std::string> out;
  std::optional<std::string> combined = GetHeader(headers, name);
  if (!combined)
    return out;
  for (absl::string_view element : absl::StrSplit(*combined, ',')) {
    element = StripHttpWhitespace(element);
    if (element.empty())
      continue;
    if (!IsHttpToken(element)) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": \"", element, "\" is not a token (in \"", *combined, "\")"));
    }
    out.emplace_back(element);
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::optional<std::string> GetHeader(const HeaderList& headers,
                                     absl::string_view name) {
  std::optional<std::string> result;
  for (const auto& [n, v] : headers) {
    if (!absl::EqualsIgnoreCase(n, name))
      continue;
    if (result)
      absl::StrAppend(&*result, ", ", v);
    else
      result = v;
  }
  return result;
}

bool IsCorsNonWildcardRequestHeaderName(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "authorization");
}

HeaderList CorsPreflightRequestHeaders(
    absl::string_view method,
    const std::vector<std::string>& unsafe_header_names) {
  HeaderList out;
  out.emplace_back("Accept", "*/*");  // Step 2.
  out.emplace_back("Access-Control-Request-Method", std::string(method));
  if (!unsafe_header_names.empty()) {  // Step 5.
    out.emplace_back("Access-Control-Request-Headers",
                     absl::StrJoin(unsafe_header_names, ","));
  }
  return out;
}

absl::Status CorsCheck(const HeaderList& response_headers,
                       absl::string_view serialized_origin,
                       CredentialsMode credentials) {
  // Step 1.
  std::optional<std::string> origin =
      GetHeader(response_headers, "Access-Control-Allow-Origin");
  // Step 2.
  if (!origin) {
    return absl::PermissionDeniedError(
        "Access-Control-Allow-Origin is missing");
  }
  // Step 3.
  if (credentials != CredentialsMode::kInclude && *origin == "*")
    return absl::OkStatus();
  // Step 4.
  if (*origin != serialized_origin) {
    return absl::PermissionDeniedError(absl::StrCat(
        "Access-Control-Allow-Origin \"", *origin,
        "\" is not the request's origin ", serialized_origin,
        *origin == "*" ? " (\"*\" is not allowed with credentials \"include\")"
                       : ""));
  }
  // Step 5.
  if (credentials != CredentialsMode::kInclude)
    return absl::OkStatus();
  // Steps 6-7.
  std::optional<std::string> allow_credentials =
      GetHeader(response_headers, "Access-Control-Allow-Credentials");
  if (allow_credentials && *allow_credentials == "true")
    return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "Access-Control-Allow-Credentials is ",
      allow_credentials ? absl::StrCat("\"", *allow_credentials, "\"")
                        : std::string("missing"),
      ", not \"true\", for a request with credentials \"include\""));
}

absl::StatusOr<CorsPreflightResult> CheckCorsPreflightResponse(
    int status,
    const HeaderList& response_headers,
    absl::string_view serialized_origin,
    CredentialsMode credentials) {
  // Step 7: "ok status" and the CORS check.
  if (status < 200 || status > 299) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the preflight response's status ", status, " is not an ok status"));
  }
  if (absl::Status check =
          CorsCheck(response_headers, serialized_origin, credentials);
      !check.ok()) {
    return check;
  }
  CorsPreflightResult result;
  // Steps 7.1-7.3.
  absl::StatusOr<std::vector<std::string>> methods =
      ExtractTokenList(response_headers, "Access-Control-Allow-Methods");
  if (!methods.ok())
    return methods.status();
  absl::StatusOr<std::vector<std::string>> names =
      ExtractTokenList(response_headers, "Access-Control-Allow-Headers");
  if (!names.ok())
    return names.status();
  result.methods = *std::move(methods);
  for (const std::string& n : *names)
    result.header_names.push_back(absl::AsciiStrToLower(n));
  // Steps 7.8-7.9: delta-seconds; anything else is the default.
  if (std::optional<std::string> max_age =
          GetHeader(response_headers, "Access-Control-Max-Age")) {
    uint64_t seconds = 0;
    const absl::string_view v = StripHttpWhitespace(*max_age);
    if (!v.empty() && std::all_of(v.begin(), v.end(), absl::ascii_isdigit)) {
      // Digits beyond uint64 saturate at the cap.
      result.max_age = absl::SimpleAtoi(v, &seconds)
                           ? absl::Seconds(static_cast<double>(seconds))
                           : kMaxCorsPreflightMaxAge;
    }
  }
  // Step 7.10: the user agent's limit.
  result.max_age = std::min(result.max_age, kMaxCorsPreflightMaxAge);
  return result;
}

absl::Status CorsPreflightAllows(
    const CorsPreflightResult& result,
    absl::string_view method,
    const std::vector<std::string>& unsafe_header_names,
    CredentialsMode credentials) {
  const bool wildcard = credentials != CredentialsMode::kInclude;
  // Step 7.5.
  if (!IsCorsSafelistedMethod(method) && !Contains(result.methods, method) &&
      !(wildcard && Contains(result.methods, "*"))) {
    return absl::PermissionDeniedError(absl::StrCat(
        "Access-Control-Allow-Methods does not list the method ", method,
        wildcard ? ""
                 : " (\"*\" is no wildcard with credentials \"include\")"));
  }
  // Steps 7.6-7.7.
  for (const std::string& name : unsafe_header_names) {
    if (Contains(result.header_names, name))
      continue;
    if (wildcard && Contains(result.header_names, "*") &&
        !IsCorsNonWildcardRequestHeaderName(name)) {
      continue;
    }
    return absl::PermissionDeniedError(absl::StrCat(
        "Access-Control-Allow-Headers does not list the header ", name,
        IsCorsNonWildcardRequestHeaderName(name)
            ? " (\"*\" never covers authorization)"
            : (wildcard ? ""
                        : " (\"*\" is no wildcard with credentials "
                          "\"include\")")));
  }
  return absl::OkStatus();
}

}  // namespace fetch_later::net
