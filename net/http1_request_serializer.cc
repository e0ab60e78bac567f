#include "net/http1_request_serializer.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/http_token.h"

namespace fetch_later::net {
namespace {

bool HasCrLfNul(absl::string_view s) {
  return s.find_first_of(absl::string_view("\r\n\0", 3)) !=
         absl::string_view::npos;
}

// Headers that set message framing or connection handling: only the stage
// writes them.
constexpr absl::string_view kReservedHeaders[] = {
    "host",       "content-length", "transfer-encoding",
    "connection", "keep-alive",     "upgrade",
    "te",         "trailer",        "proxy-connection",
};

}  // namespace

std::string HostHeaderValue(const Url& url) {
  std::string host = url.host().value_or("");
  if (url.port())
    absl::StrAppend(&host, ":", *url.port());
  return host;
}

absl::StatusOr<std::string> SerializeRequest(
    absl::string_view method,
    const Url& url,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::string_view body,
    absl::string_view host_header) {
  if (!IsHttpToken(method)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request method \"", absl::CEscape(method), "\" is not a token"));
  }
  if (host_header.empty() || HasCrLfNul(host_header)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Host \"", absl::CEscape(host_header),
                     "\" is empty or contains CR/LF/NUL"));
  }
  const std::string target = url.PathForRequest();
  if (target.empty() ||
      absl::string_view(target).find_first_of(
          absl::string_view(" \r\n\0", 4)) != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request target \"", absl::CEscape(target), "\" is not origin-form"));
  }
  std::string out = absl::StrCat(
      method, " ", target, " HTTP/1.1\r\nHost: ", host_header,
      "\r\nConnection: keep-alive\r\nUser-Agent: ", kUserAgent, "\r\n");
  for (size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    if (!IsHttpToken(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("header ", i, " name \"", absl::CEscape(name),
                       "\" is not a token (CR/LF/NUL?)"));
    }
    if (HasCrLfNul(value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "header ", i, " \"", name, "\" value contains CR, LF or NUL"));
    }
    for (absl::string_view reserved : kReservedHeaders) {
      if (absl::EqualsIgnoreCase(name, reserved)) {
        return absl::InvalidArgumentError(
            absl::StrCat("header ", i, " \"", name,
                         "\" is set by the network stage, not the request"));
      }
    }
    if (absl::EqualsIgnoreCase(name, "user-agent"))
      continue;
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n");
  }
  absl::StrAppend(&out, "\r\n");
  out.append(body.data(), body.size());
  return out;
}

}  // namespace fetch_later::net
