#include "net/response_filter.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "net/cors.h"
#include "net/redirect.h"

namespace fetch_later::net {

absl::string_view FilteredResponseTypeName(FilteredResponseType type) {
  switch (type) {
    case FilteredResponseType::kBasic:
      return "basic";
    case FilteredResponseType::kCors:
      return "cors";
    case FilteredResponseType::kOpaque:
      return "opaque";
    case FilteredResponseType::kOpaqueRedirect:
      return "opaqueredirect";
  }
  return "basic";
}

bool IsForbiddenResponseHeaderName(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "Set-Cookie") ||
         absl::EqualsIgnoreCase(name, "Set-Cookie2");
}

bool IsCorsSafelistedResponseHeaderName(
    absl::string_view name,
    const std::vector<std::string>& exposed) {
  for (absl::string_view safelisted :
       {"Cache-Control", "Content-Language", "Content-Length", "Content-Type",
        "Expires", "Last-Modified", "Pragma"}) {
    if (absl::EqualsIgnoreCase(name, safelisted))
      return true;
  }
  if (IsForbiddenResponseHeaderName(name))
    return false;
  for (const std::string& item : exposed) {
    if (absl::EqualsIgnoreCase(name, item))
      return true;
  }
  return false;
}

std::vector<std::string> CorsExposedHeaderNames(
    const std::vector<std::pair<std::string, std::string>>& headers,
    CredentialsMode credentials) {
  // Step 14.1.1: "extracting header list values"; failure exposes nothing.
  absl::StatusOr<std::vector<std::string>> names =
      ExtractTokenList(headers, "Access-Control-Expose-Headers");
  if (!names.ok())
    return {};
  // Step 14.1.2: `*` without credentials "include": every header name of the
  // response ("all unique header names").
  if (credentials != CredentialsMode::kInclude) {
    for (const std::string& name : *names) {
      if (name != "*")
        continue;
      std::vector<std::string> all;
      for (const auto& [header_name, value] : headers) {
        bool seen = false;
        for (const std::string& n : all)
          seen |= absl::EqualsIgnoreCase(n, header_name);
        if (!seen)
          all.push_back(absl::AsciiStrToLower(header_name));
      }
      return all;
    }
  }
  // Step 14.1.3.
  return *std::move(names);
}

absl::StatusOr<FilteredResponse> FilterResponse(const RequestOutcome& outcome,
                                                RedirectMode redirect,
                                                CredentialsMode credentials) {
  if (outcome.kind != RequestOutcome::Kind::kResponse) {
    return absl::FailedPreconditionError(
        "FilterResponse: the outcome is not a response");
  }
  FilteredResponse out;
  // Fetch: "HTTP fetch" step 4.2, redirect mode "manual": an opaque-redirect
  // filtered response (status 0, empty status text, header list and URL
  // list, null body).
  if (redirect == RedirectMode::kManual && IsRedirectStatus(outcome.status)) {
    out.type = FilteredResponseType::kOpaqueRedirect;
    return out;
  }
  switch (outcome.tainting) {
    case ResponseTainting::kOpaque:
      // "Main fetch" step 14: an opaque filtered response.
      out.type = FilteredResponseType::kOpaque;
      return out;
    case ResponseTainting::kBasic:
      // A basic filtered response: no forbidden response-header name.
      out.type = FilteredResponseType::kBasic;
      for (const auto& header : outcome.headers) {
        if (!IsForbiddenResponseHeaderName(header.first))
          out.headers.push_back(header);
      }
      break;
    case ResponseTainting::kCors: {
      // A CORS filtered response: only CORS-safelisted response-header names
      // given the CORS-exposed header-name list.
      out.type = FilteredResponseType::kCors;
      const std::vector<std::string> exposed =
          CorsExposedHeaderNames(outcome.headers, credentials);
      for (const auto& header : outcome.headers) {
        if (IsCorsSafelistedResponseHeaderName(header.first, exposed))
          out.headers.push_back(header);
      }
      break;
    }
  }
  out.url = outcome.url;
  out.redirected = outcome.redirect_count > 0;
  out.status = outcome.status;
  out.status_text = outcome.status_text;
  out.body = outcome.body;
  return out;
}

}  // namespace fetch_later::net
