#include "net/fetch_header_rules.h"

#include <array>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace fetch_later::net {
namespace {

bool IsHttpWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool IsHttpTabOrSpace(char c) {
  return c == ' ' || c == '\t';
}

absl::string_view StripHttpTabOrSpace(absl::string_view s) {
  while (!s.empty() && IsHttpTabOrSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsHttpTabOrSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

// Fetch: "collect an HTTP quoted string" with extract-value false: returns the
// quoted string as written (quotes and backslashes included). `*pos` is at
// the opening quote.
std::string CollectHttpQuotedString(absl::string_view input, size_t* pos) {
  size_t start = *pos;
  ++*pos;  // The opening quote.
  while (*pos < input.size()) {
    char c = input[*pos];
    ++*pos;
    if (c == '\\') {
      if (*pos >= input.size())
        break;
      ++*pos;
    } else if (c == '"') {
      break;
    }
  }
  return std::string(input.substr(start, *pos - start));
}

// Fetch: header value "get, decode, and split" (commas inside quoted strings
// do not split).
std::vector<std::string> GetDecodeAndSplit(absl::string_view input) {
  std::vector<std::string> values;
  size_t pos = 0;
  std::string temporary;
  while (true) {
    size_t end = input.find_first_of("\",", pos);
    if (end == absl::string_view::npos)
      end = input.size();
    temporary.append(input.substr(pos, end - pos).data(), end - pos);
    pos = end;
    if (pos < input.size() && input[pos] == '"') {
      temporary += CollectHttpQuotedString(input, &pos);
      if (pos < input.size())
        continue;
    }
    values.emplace_back(StripHttpTabOrSpace(temporary));
    temporary.clear();
    if (pos >= input.size())
      return values;
    ++pos;  // The comma.
  }
}

}  // namespace

bool IsHeaderValue(absl::string_view s) {
  if (!s.empty() &&
      (IsHttpWhitespace(s.front()) || IsHttpWhitespace(s.back()))) {
    return false;
  }
  for (char c : s) {
    if (c == '\0' || c == '\n' || c == '\r')
      return false;
  }
  return true;
}

std::string NormalizeHeaderValue(absl::string_view s) {
  while (!s.empty() && IsHttpWhitespace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsHttpWhitespace(s.back()))
    s.remove_suffix(1);
  return std::string(s);
}

bool IsForbiddenMethod(absl::string_view method) {
  return absl::EqualsIgnoreCase(method, "CONNECT") ||
         absl::EqualsIgnoreCase(method, "TRACE") ||
         absl::EqualsIgnoreCase(method, "TRACK");
}

std::string NormalizeMethod(absl::string_view method) {
  for (absl::string_view m :
       {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}) {
    if (absl::EqualsIgnoreCase(method, m))
      return std::string(m);
  }
  return std::string(method);
}

// Fetch: "forbidden request-header".
bool IsForbiddenRequestHeader(absl::string_view name, absl::string_view value) {
  static constexpr std::array<absl::string_view, 21> kForbidden = {
      "accept-charset",
      "accept-encoding",
      "access-control-request-headers",
      "access-control-request-method",
      "connection",
      "content-length",
      "cookie",
      "cookie2",
      "date",
      "dnt",
      "expect",
      "host",
      "keep-alive",
      "origin",
      "referer",
      "set-cookie",
      "te",
      "trailer",
      "transfer-encoding",
      "upgrade",
      "via"};
  // Step 1.
  for (absl::string_view f : kForbidden) {
    if (absl::EqualsIgnoreCase(name, f))
      return true;
  }
  // Step 2.
  if (absl::StartsWithIgnoreCase(name, "proxy-") ||
      absl::StartsWithIgnoreCase(name, "sec-")) {
    return true;
  }
  // Step 3: X-HTTP-Method(-Override) / X-Method-Override naming a forbidden
  // method in any of its "get, decode, and split" values.
  if (absl::EqualsIgnoreCase(name, "x-http-method") ||
      absl::EqualsIgnoreCase(name, "x-http-method-override") ||
      absl::EqualsIgnoreCase(name, "x-method-override")) {
    for (const std::string& method : GetDecodeAndSplit(value)) {
      if (IsForbiddenMethod(method))
        return true;
    }
  }
  return false;
}

}  // namespace fetch_later::net
